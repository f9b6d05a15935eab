import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TextLimeExplainer, tokenize } from './text-lime';

describe('TextLimeExplainer', () => {
  test('tokenize keeps separators so tokens join back to the text (LIME IndexedString)', () => {
    const text = "Great food, awful service -- café's fine!";
    const { tokens, isWord } = tokenize(text);
    assert.equal(tokens.join(''), text);
    assert.deepEqual(
      tokens.filter((_, i) => isWord[i]),
      ['Great', 'food', 'awful', 'service', 'café', 's', 'fine'],
    );
  });

  test('finds a planted trigger word: the model fires only on "excellent" (weight ~ 0.9 - 0.1)', async () => {
    const predict = async (batch: string[]): Promise<number[][]> =>
      batch.map((t) => (/\bexcellent\b/.test(t) ? [0.1, 0.9] : [0.9, 0.1]));
    const text = 'the room was small but the staff were excellent and the view was nice';
    const lime = new TextLimeExplainer({ numSamples: 1000, numFeatures: 3, seed: 1 });
    const e = await lime.explain(text, predict);
    assert.equal(e.label, 1);
    assert.equal(e.features[0].name, 'excellent');
    assert.ok(Math.abs(e.features[0].weight - 0.8) < 0.05, `weight ${e.features[0].weight}`);
    for (const f of e.features.slice(1))
      assert.ok(Math.abs(f.weight) < 0.05, `${f.name} ${f.weight}`);
    // Masking a word removes every occurrence of it ("the" appears three times).
    const keep = new Uint8Array(e.featureNames.length).fill(1);
    keep[e.featureNames.indexOf('the')] = 0;
    assert.equal(lime.masker(text, e)(keep).includes('the'), false);
  });

  test('same seed, same explanation', async () => {
    const predict = async (batch: string[]): Promise<number[][]> =>
      batch.map((t) => [t.length / 100, 1 - t.length / 100]);
    const a = await new TextLimeExplainer({ numSamples: 300, seed: 2 }).explain(
      'a bb ccc dddd',
      predict,
    );
    const b = await new TextLimeExplainer({ numSamples: 300, seed: 2 }).explain(
      'a bb ccc dddd',
      predict,
    );
    assert.deepEqual(a, b);
  });
});
