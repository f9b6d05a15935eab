import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../platform/core/rng';
import { BUILTIN_SYNONYMS } from './synonyms';
import {
  EdaAugmenter,
  changeCount,
  edaTokens,
  randomDeletion,
  randomInsertion,
  randomSwap,
  synonymReplacement,
} from './eda';

// 10 distinct words, 6 of them in the synonym table, 2 stop words.
const SENTENCE = 'The quick movie was a great story with funny actor moments';
const words = edaTokens(SENTENCE);

describe('EDA (Wei & Zou 2019)', () => {
  test("tokens follow eda.py's get_only_chars", () => {
    assert.deepEqual(edaTokens("Don't  stop-me now! 42x"), ['don', 't', 'stop', 'me', 'now', 'x']);
    assert.equal(changeCount(0.1, 11), 1);
    assert.equal(changeCount(0.3, 11), 3);
  });

  test('SR replaces exactly n distinct words by synonyms and keeps the token count', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = synonymReplacement(words, 3, new Rng(seed));
      assert.equal(out.length, words.length);
      const changed = out.map((w, i) => [words[i], w]).filter(([a, b]) => a !== b);
      assert.equal(changed.length, 3);
      for (const [a, b] of changed) assert.ok(BUILTIN_SYNONYMS.get(a)?.includes(b), `${a} -> ${b}`);
    }
  });

  test('RI inserts n synonyms and keeps the original words in order', () => {
    const out = randomInsertion(words, 2, new Rng(4));
    assert.equal(out.length, words.length + 2);
    let k = 0;
    for (const w of out) if (k < words.length && w === words[k]) k++;
    assert.equal(k, words.length, 'original is a subsequence');
  });

  test('RS keeps the multiset of words and count; RD with p = 0 keeps all, p = 1 keeps one', () => {
    const swapped = randomSwap(words, 3, new Rng(1));
    assert.deepEqual([...swapped].sort(), [...words].sort());
    assert.notDeepEqual(swapped, words);
    assert.deepEqual(randomDeletion(words, 0, new Rng(1)), words);
    const one = randomDeletion(words, 1, new Rng(1));
    assert.equal(one.length, 1);
    assert.ok(words.includes(one[0]));
  });

  test('RD removes about p of the words (binomial, 4-sigma bound over 200 runs)', () => {
    const rng = new Rng(8);
    let removed = 0;
    for (let r = 0; r < 200; r++) removed += words.length - randomDeletion(words, 0.3, rng).length;
    const n = 200 * words.length;
    assert.ok(Math.abs(removed - 0.3 * n) < 4 * Math.sqrt(n * 0.3 * 0.7));
  });

  test('augmenter: seeded variants, one operation each', () => {
    const eda = new EdaAugmenter({ alphaSr: 0.2 });
    const a = eda.variants(SENTENCE, 8, new Rng(3));
    assert.equal(a.length, 8);
    assert.deepEqual(eda.variants(SENTENCE, 8, new Rng(3)), a);
    assert.equal(eda.augment(SENTENCE, new Rng(0), 'sr').split(' ').length, words.length);
    assert.throws(() => new EdaAugmenter({ pRd: 2 }), /eda\.pRd: must be in \[0, 1\], got 2/);
  });
});
