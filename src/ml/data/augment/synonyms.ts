/**
 * A small built-in English synonym table for EDA, written for this project (no third-party word
 * list, so no licence to track). Each group lists interchangeable single words; every word maps
 * to the other members of its groups. Enough for augmentation of short texts such as reviews and
 * e-mails; pass your own table to `EdaAugmenter` for anything serious.
 */
const GROUPS: readonly string[] = [
  'good fine great excellent nice',
  'bad poor awful terrible lousy',
  'big large huge enormous vast',
  'small little tiny minor compact',
  'fast quick rapid swift speedy',
  'slow sluggish unhurried leisurely',
  'happy glad pleased cheerful content',
  'sad unhappy gloomy sorrowful',
  'angry mad furious irate annoyed',
  'easy simple effortless straightforward',
  'hard difficult tough demanding',
  'begin start commence initiate',
  'end finish conclude complete',
  'buy purchase acquire obtain',
  'sell vend market',
  'get receive obtain gain',
  'give provide offer supply',
  'help assist aid support',
  'make create produce build',
  'show display reveal present',
  'say state tell mention',
  'ask inquire request query',
  'answer reply respond',
  'look see view watch observe',
  'think believe consider suppose',
  'want wish desire crave',
  'need require demand',
  'use employ utilize apply',
  'try attempt endeavor',
  'keep retain hold preserve',
  'change alter modify adjust',
  'choose select pick opt',
  'find discover locate detect',
  'fix repair mend correct',
  'break smash shatter crack',
  'send dispatch forward transmit',
  'free complimentary gratis',
  'cheap inexpensive affordable economical',
  'expensive costly pricey dear',
  'money cash funds currency',
  'offer deal bargain promotion',
  'win earn gain secure',
  'now immediately instantly today',
  'often frequently regularly repeatedly',
  'rarely seldom infrequently',
  'very really extremely highly',
  'maybe perhaps possibly',
  'important significant crucial vital essential',
  'new novel fresh recent modern',
  'old aged ancient elderly vintage',
  'smart clever intelligent bright brilliant',
  'stupid dumb foolish silly',
  'beautiful pretty lovely attractive gorgeous',
  'ugly unattractive hideous unsightly',
  'strong powerful mighty sturdy',
  'weak feeble frail fragile',
  'rich wealthy affluent prosperous',
  'poor needy impoverished broke',
  'safe secure protected',
  'dangerous risky hazardous unsafe',
  'correct right accurate exact',
  'wrong incorrect mistaken false',
  'clean spotless tidy neat',
  'dirty filthy grimy messy',
  'quiet silent calm peaceful',
  'loud noisy deafening',
  'movie film picture',
  'story tale narrative plot',
  'actor performer player',
  'boring dull tedious tiresome',
  'funny amusing hilarious humorous comical',
  'scary frightening terrifying creepy',
  'interesting fascinating engaging intriguing',
  'love adore cherish',
  'hate detest loathe despise',
  'like enjoy fancy',
  'problem issue trouble difficulty',
  'idea notion concept thought',
  'job work task chore',
  'house home residence dwelling',
  'car automobile vehicle',
  'road street avenue highway',
  'child kid youngster',
  'man guy gentleman fellow',
  'woman lady female',
  'friend pal buddy companion',
  'company firm business enterprise',
  'message note letter mail',
  'email mail message',
  'account profile membership',
  'price cost charge fee',
  'quickly rapidly swiftly speedily',
  'slowly gradually leisurely',
  'completely totally entirely fully wholly',
  'almost nearly practically virtually',
  'sure certain confident positive',
  'strange odd weird peculiar unusual',
  'normal ordinary usual typical regular',
  'whole entire complete total',
  'part piece portion section',
];

function buildTable(groups: readonly string[]): ReadonlyMap<string, readonly string[]> {
  const table = new Map<string, Set<string>>();
  for (const group of groups) {
    const words = group.split(' ');
    for (const w of words) {
      const set = table.get(w) ?? new Set<string>();
      for (const other of words) if (other !== w) set.add(other);
      table.set(w, set);
    }
  }
  return new Map([...table].map(([w, set]) => [w, [...set].sort()]));
}

export type SynonymTable = ReadonlyMap<string, readonly string[]>;

export const BUILTIN_SYNONYMS: SynonymTable = buildTable(GROUPS);

/** A table from user groups (space-separated words per group). */
export function synonymTable(groups: readonly string[]): SynonymTable {
  return buildTable(groups);
}

/** English stop words never replaced by synonym replacement (the list of Wei & Zou's eda.py). */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers ' +
    'herself it its itself they them their theirs themselves what which who whom this that these those am is ' +
    'are was were be been being have has had having do does did doing a an the and but if or because as until ' +
    'while of at by for with about against between into through during before after above below to from up ' +
    'down in out on off over under again further then once here there when where why how all any both each ' +
    'few more most other some such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);
