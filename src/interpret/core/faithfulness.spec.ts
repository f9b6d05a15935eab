import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { aopc, deletionCurve, faithfulness, importanceOrder } from './faithfulness';
import { gaussianRows, logisticModel } from '../../../test/support/interpret-fixtures';
import { TabularLimeExplainer } from './tabular-lime';

describe('faithfulness (deletion curve, AOPC)', () => {
  test('AOPC equals the hand value 1/(L+1) sum (p0 - pk) (Samek et al. 2017, eq. 12)', () => {
    assert.ok(Math.abs(aopc([0.9, 0.5, 0.3]) - (0 + 0.4 + 0.6) / 3) < 1e-12);
  });

  test('deletion curve of a linear-in-logit model follows the closed form sigmoid(sum of kept terms)', async () => {
    const w = [2, 1, -1];
    const x = [1, 1, 1];
    const curve = await deletionCurve(
      {
        predict: logisticModel(w),
        masker: (keep) => x.map((v, j) => (keep[j] ? v : 0)),
        numFeatures: 3,
        label: 1,
      },
      importanceOrder([0.5, 0.2, -0.3]),
    );
    const s = (z: number): number => 1 / (1 + Math.exp(-z));
    [s(2), s(0), s(-1), s(0)].forEach((p, k) => assert.ok(Math.abs(curve[k] - p) < 1e-12));
  });

  test('AOPC of a LIME explanation beats the AOPC of random orderings on a known logistic model', async () => {
    const w = [3, -2, 1, 0, 0.5, 0, -1, 2];
    const train = gaussianRows(300, 8, 21);
    const lime = new TabularLimeExplainer({
      trainingData: train,
      discretize: false,
      numSamples: 1000,
      numFeatures: 8,
      featureSelection: 'none',
      seed: 1,
    });
    const x = [0.6, -0.5, 0.4, 0.2, 0.5, -0.3, -0.4, 0.3];
    const predict = logisticModel(w);
    const e = await lime.explain(x, predict, 1);
    const report = await faithfulness(
      { predict, masker: lime.masker(x), numFeatures: 8, label: 1 },
      e.contributions,
      new Rng(3),
      20,
    );
    assert.ok(
      report.aopc > report.randomAopc + 0.05,
      `LIME ${report.aopc} vs random ${report.randomAopc}`,
    );
    assert.equal(report.curve.length, 9);
    assert.deepEqual(report.removed, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('the own and random curves are predicted in one call and equal their curves predicted alone', async () => {
    const w = [2, 1, -1, 0.5];
    const x = [1, 1, 1, 1];
    const calls: number[] = [];
    const opts = {
      predict: async (batch: number[][]) => {
        calls.push(batch.length);
        return logisticModel(w)(batch);
      },
      masker: (keep: Uint8Array) => x.map((v, j) => (keep[j] ? v : 0)),
      numFeatures: 4,
      label: 1,
    };
    const report = await faithfulness(opts, [0.4, 0.3, -0.2, 0.1], new Rng(8), 3);
    assert.deepEqual(calls, [4 * 5]);
    const rng = new Rng(8);
    const all = [0, 1, 2, 3];
    assert.deepEqual(
      report.curve,
      await deletionCurve(opts, importanceOrder([0.4, 0.3, -0.2, 0.1])),
    );
    const random = [0, 0, 0, 0, 0];
    for (let r = 0; r < 3; r++) {
      const c = await deletionCurve(opts, rng.shuffle(all));
      c.forEach((p, k) => (random[k] += p / 3));
    }
    assert.deepEqual(report.randomCurve, random);
  });
});
