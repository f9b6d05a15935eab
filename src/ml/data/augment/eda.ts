/**
 * EDA: Easy Data Augmentation for text classification (Wei & Zou, EMNLP 2019), following the
 * authors' eda.py: text is lower-cased and reduced to letters and spaces; synonym replacement
 * (SR) and random insertion (RI) change n = max(1, floor(alpha * words)) words, random swap (RS)
 * swaps n pairs, random deletion (RD) drops each word with probability p but never all of them.
 * Deviation: synonyms come from a small built-in table instead of WordNet.
 */
import { Rng } from '../../../platform/core/rng';
import { ValidationError } from '../../../platform/errors/domain-error';
import { BUILTIN_SYNONYMS, STOP_WORDS, SynonymTable } from './synonyms';

/** eda.py's get_only_chars: lower case, apostrophes/hyphens/tabs to spaces, letters only. */
export function edaTokens(text: string): string[] {
  const cleaned = text
    .toLowerCase()
    .replace(/[’'\-\t\n]/g, ' ')
    .replace(/[^a-z ]/g, ' ');
  return cleaned.split(' ').filter((w) => w !== '');
}

export function changeCount(alpha: number, words: number): number {
  return Math.max(1, Math.floor(alpha * words));
}

/** SR: replaces n distinct non-stop words that have synonyms (every occurrence, as eda.py). */
export function synonymReplacement(
  words: readonly string[],
  n: number,
  rng: Rng,
  table: SynonymTable = BUILTIN_SYNONYMS,
): string[] {
  const out = words.slice();
  const candidates = rng.shuffle(
    [...new Set(words)].filter((w) => !STOP_WORDS.has(w) && (table.get(w)?.length ?? 0) > 0),
  );
  let replaced = 0;
  for (const word of candidates) {
    if (replaced >= n) break;
    const synonym = rng.choice(table.get(word) ?? []);
    for (let i = 0; i < out.length; i++) if (out[i] === word) out[i] = synonym;
    replaced++;
  }
  return out;
}

/** RI: n times, inserts a synonym of a random word (one with synonyms) at a random position. */
export function randomInsertion(
  words: readonly string[],
  n: number,
  rng: Rng,
  table: SynonymTable = BUILTIN_SYNONYMS,
): string[] {
  const out = words.slice();
  for (let k = 0; k < n; k++) {
    const withSynonyms = out.filter((w) => (table.get(w)?.length ?? 0) > 0);
    if (withSynonyms.length === 0) break;
    const synonym = rng.choice(table.get(rng.choice(withSynonyms)) ?? []);
    out.splice(rng.int(0, out.length), 0, synonym);
  }
  return out;
}

/** RS: n times, swaps the words at two distinct random positions. */
export function randomSwap(words: readonly string[], n: number, rng: Rng): string[] {
  const out = words.slice();
  if (out.length < 2) return out;
  for (let k = 0; k < n; k++) {
    const i = rng.int(0, out.length - 1);
    let j = rng.int(0, out.length - 2);
    if (j >= i) j++;
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** RD: drops each word with probability p; keeps one random word if all would go. */
export function randomDeletion(words: readonly string[], p: number, rng: Rng): string[] {
  if (words.length <= 1) return words.slice();
  const out = words.filter(() => rng.float() >= p);
  return out.length > 0 ? out : [rng.choice(words)];
}

export interface EdaOptions {
  alphaSr?: number;
  alphaRi?: number;
  alphaRs?: number;
  pRd?: number;
  synonyms?: SynonymTable;
}

export type EdaOperation = 'sr' | 'ri' | 'rs' | 'rd';

/**
 * Augments one text per call with one of the four operations (chosen uniformly, the even mix of
 * eda.py's `eda(sentence, num_aug)`). Defaults are the paper's recommended alpha = 0.1.
 */
export class EdaAugmenter {
  readonly alphaSr: number;
  readonly alphaRi: number;
  readonly alphaRs: number;
  readonly pRd: number;
  private readonly table: SynonymTable;

  constructor(options: EdaOptions = {}) {
    this.alphaSr = options.alphaSr ?? 0.1;
    this.alphaRi = options.alphaRi ?? 0.1;
    this.alphaRs = options.alphaRs ?? 0.1;
    this.pRd = options.pRd ?? 0.1;
    for (const [name, v] of Object.entries({
      alphaSr: this.alphaSr,
      alphaRi: this.alphaRi,
      alphaRs: this.alphaRs,
      pRd: this.pRd,
    })) {
      if (!(v >= 0 && v <= 1))
        throw ValidationError.field(`eda.${name}`, `must be in [0, 1], got ${v}`);
    }
    this.table = options.synonyms ?? BUILTIN_SYNONYMS;
  }

  /** Applies `operation` (or a uniformly chosen one) and returns the augmented text. */
  augment(text: string, rng: Rng, operation?: EdaOperation): string {
    const words = edaTokens(text);
    const op = operation ?? rng.choice<EdaOperation>(['sr', 'ri', 'rs', 'rd']);
    const n = words.length;
    switch (op) {
      case 'sr':
        return synonymReplacement(words, changeCount(this.alphaSr, n), rng, this.table).join(' ');
      case 'ri':
        return randomInsertion(words, changeCount(this.alphaRi, n), rng, this.table).join(' ');
      case 'rs':
        return randomSwap(words, changeCount(this.alphaRs, n), rng).join(' ');
      case 'rd':
        return randomDeletion(words, this.pRd, rng).join(' ');
    }
  }

  /** `count` augmented variants, as eda.py's `num_aug` (the original text is not included). */
  variants(text: string, count: number, rng: Rng): string[] {
    if (!Number.isInteger(count) || count < 1)
      throw ValidationError.field('eda.count', `must be a positive integer, got ${count}`);
    const perOp = Math.floor(count / 4) + 1;
    const all: string[] = [];
    for (const op of ['sr', 'ri', 'rs', 'rd'] as const)
      for (let k = 0; k < perOp; k++) all.push(this.augment(text, rng, op));
    return rng.shuffle(all).slice(0, count);
  }
}
