import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { gaussianRows, logisticModel } from '../../../test/support/interpret-fixtures';
import { TabularLimeExplainer } from './tabular-lime';

const TRUE_W = [3, -2, 1, 0, 0.5];
const train = gaussianRows(400, TRUE_W.length, 1);

describe('TabularLimeExplainer', () => {
  test("recovers sign and rank of a logistic model's weights (Stein's lemma: Gaussian OLS slope is E[sigma'] w)", async () => {
    const lime = new TabularLimeExplainer({
      trainingData: train,
      discretize: false,
      numSamples: 3000,
      numFeatures: 5,
      featureSelection: 'none',
      kernelWidth: 100,
      seed: 3,
    });
    const e = await lime.explain([0, 0, 0, 0, 0], logisticModel(TRUE_W), 1);
    const trueRank = [0, 1, 2, 4, 3];
    assert.deepEqual(
      e.features.map((f) => f.index),
      trueRank,
    );
    for (const j of [0, 1, 2, 4])
      assert.equal(Math.sign(e.weights[j]), Math.sign(TRUE_W[j]), `sign of x${j}`);
    // Proportionality to the true weights: the ratio coef/w is the same for every feature.
    const ratio = e.weights[0] / TRUE_W[0];
    for (const j of [1, 2, 4])
      assert.ok(Math.abs(e.weights[j] / TRUE_W[j] / ratio - 1) < 0.25, `ratio of x${j}`);
  });

  test('a linear probability model is fitted exactly: weights = 0.02 w (scaled features, std 1), R^2 ~ 1', async () => {
    const predict = async (batch: number[][]): Promise<number[][]> =>
      batch.map((x) => {
        const p = 0.5 + 0.02 * x.reduce((s, v, j) => s + v * TRUE_W[j], 0);
        return [1 - p, p];
      });
    const lime = new TabularLimeExplainer({
      trainingData: train,
      discretize: false,
      numSamples: 2000,
      numFeatures: 5,
      featureSelection: 'none',
      seed: 4,
    });
    const e = await lime.explain([0.3, -0.2, 0.1, 0, 0.4], predict, 1);
    assert.ok(e.score > 0.999, `fidelity ${e.score}`);
    // Scaled features are (x - mean)/std, so the slope is 0.02 w_j std_j.
    for (let j = 0; j < 5; j++) {
      const col = train.map((r) => r[j]);
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const std = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
      assert.ok(Math.abs(e.weights[j] - 0.02 * TRUE_W[j] * std) < 2e-3, `x${j}: ${e.weights[j]}`);
    }
  });

  for (const selection of ['forward_selection', 'highest_weights', 'lasso_path'] as const) {
    test(`${selection} keeps the two truly largest weights {x0, x1} when numFeatures = 2`, async () => {
      const lime = new TabularLimeExplainer({
        trainingData: train,
        discretize: false,
        numSamples: 1500,
        numFeatures: 2,
        featureSelection: selection,
        seed: 5,
      });
      // Not at the training mean: highest_weights ranks |coef_j * x_j| like the reference.
      const e = await lime.explain([0.5, 0.5, 0.5, 0.5, 0.5], logisticModel(TRUE_W), 1);
      assert.deepEqual(e.features.map((f) => f.index).sort(), [0, 1]);
    });
  }

  test("quartile discretisation: names the instance's bins and puts the irrelevant feature last", async () => {
    const lime = new TabularLimeExplainer({
      trainingData: train,
      numSamples: 2000,
      numFeatures: 5,
      featureSelection: 'none',
      seed: 6,
      featureNames: ['a', 'b', 'c', 'd', 'e'],
    });
    const e = await lime.explain([1.5, -1.5, 1.5, 0, 1.5], logisticModel(TRUE_W), 1);
    assert.equal(e.features[e.features.length - 1].index, 3);
    assert.match(e.featureNames[0], /^a > /);
    assert.match(e.featureNames[1], /^b <= /);
    // Being in a's top quartile and b's bottom quartile both push towards class 1.
    assert.ok(e.weights[0] > 0 && e.weights[1] > 0);
  });

  test('categorical features are sampled by training frequency and explained as name=value', async () => {
    const rows = train.map((r, i) => [r[0], i % 3]);
    const predict = async (batch: number[][]): Promise<number[][]> =>
      batch.map((x) => (x[1] === 2 ? [0.1, 0.9] : [0.8, 0.2]));
    const lime = new TabularLimeExplainer({
      trainingData: rows,
      categoricalFeatures: [1],
      featureNames: ['num', 'colour'],
      numSamples: 1000,
      numFeatures: 2,
      featureSelection: 'none',
      seed: 7,
    });
    const e = await lime.explain([0.1, 2], predict, 1);
    assert.equal(e.features[0].name, 'colour=2');
    // P(code = 2) = 1/3; being the instance's category raises p1 by 0.7 exactly.
    assert.ok(Math.abs(e.features[0].weight - 0.7) < 0.02, `weight ${e.features[0].weight}`);
  });

  test('same seed gives the same explanation; constructor names a bad argument', async () => {
    const opts = { trainingData: train, numSamples: 500, seed: 9 };
    const a = await new TabularLimeExplainer(opts).explain(
      [0.1, 0.2, 0.3, 0.4, 0.5],
      logisticModel(TRUE_W),
    );
    const b = await new TabularLimeExplainer(opts).explain(
      [0.1, 0.2, 0.3, 0.4, 0.5],
      logisticModel(TRUE_W),
    );
    assert.deepEqual(a, b);
    assert.throws(
      () => new TabularLimeExplainer({ trainingData: train, numSamples: 1 }),
      /numSamples/,
    );
    await assert.rejects(
      new TabularLimeExplainer(opts).explain([1, 2], logisticModel(TRUE_W)),
      /instance: must have 5 features/,
    );
  });
});

test('a model returning malformed probabilities is a 422, not a crash', async () => {
  const lime = new TabularLimeExplainer({ trainingData: train, numSamples: 20, seed: 1 });
  const bad = async (batch: number[][]): Promise<number[][]> =>
    batch.map((_, i) => (i === 3 ? [0.5] : [0.5, 0.5]));
  await assert.rejects(
    lime.explain([0, 0, 0, 0, 0], bad),
    (e: unknown) => e instanceof UnprocessableError,
  );
});

describe('TabularLimeExplainer statistics', () => {
  test('explainers over the same training rows share their statistics: same seed, same explanation; other rows checked anew', async () => {
    const rows = gaussianRows(300, TRUE_W.length, 9);
    const opts = { trainingData: rows, numSamples: 500, seed: 4 };
    const first = await new TabularLimeExplainer(opts).explain(rows[0], logisticModel(TRUE_W));
    const second = await new TabularLimeExplainer(opts).explain(rows[0], logisticModel(TRUE_W));
    assert.deepEqual(second, first);
    const bad = rows.map((r) => [...r]);
    bad[7][2] = Number.NaN;
    assert.throws(
      () => new TabularLimeExplainer({ ...opts, trainingData: bad }),
      /trainingData\[7\]\[2\]/,
    );
  });
});
