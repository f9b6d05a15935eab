import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import { decorrelatedLoss, decorrelationPenalty } from './feature-decorrelation';

const close = (a: number, b: number, tol = 1e-4) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

const penaltyOf = (rows: number[][]) =>
  tf.tidy(() => decorrelationPenalty(tf.tensor2d(rows)).dataSync()[0]);

/** The paper's reference code in plain arithmetic (Shi et al., ICLR 2023; FedDecorrLoss). */
function reference(rows: number[][]): number {
  const n = rows.length;
  const d = rows[0].length;
  const cols = Array.from({ length: d }, (_, j) => {
    const c = rows.map((r) => r[j]);
    const mean = c.reduce((a, b) => a + b, 0) / n;
    const centred = c.map((v) => v - mean);
    const variance = centred.reduce((a, v) => a + v * v, 0) / (n - 1); // torch's unbiased var
    return centred.map((v) => v / Math.sqrt(1e-8 + variance));
  });
  let sum = 0;
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++) {
      if (a === b) continue;
      let m = 0;
      for (let i = 0; i < n; i++) m += cols[a][i] * cols[b][i];
      sum += m * m;
    }
  return sum / (d * (d - 1)) / n;
}

describe('FedDecorr penalty (Shi et al., ICLR 2023, reference implementation)', () => {
  test('hand case: two proportional columns have correlation 1, so each off-diagonal entry is n - 1', () => {
    // n = 5, d = 2: M = [[4, 4], [4, 4]]; mean of the two squared off-diagonals 16, over n = 5.
    const rows = [1, 2, 3, 4, 5].map((v) => [v, 2 * v + 7]);
    close(penaltyOf(rows), 16 / 5);
  });

  test('uncorrelated columns (Hadamard rows, centred) have no penalty', () => {
    close(
      penaltyOf([
        [1, 1, 1],
        [-1, 1, -1],
        [1, -1, -1],
        [-1, -1, 1],
      ]),
      0,
    );
  });

  test('equals the reference code on random features, a dead (constant) unit included', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const rows = Array.from({ length: 9 }, () => [rand(), rand(), rand(), 0.5, rand()]);
    rows.forEach((r) => (r[4] = 0.8 * r[0] + 0.2 * r[4])); // one strongly correlated pair
    close(penaltyOf(rows), reference(rows));
  });

  test('one row has no penalty (the reference returns 0 for n = 1)', () => {
    close(penaltyOf([[1, 2, 3]]), 0);
  });
});

describe('decorrelatedLoss', () => {
  test('is the cross-entropy of the model plus beta times the penalty on the head input', () => {
    const input = tf.input({ shape: [3] });
    const hidden = tf.layers
      .dense({ units: 4, activation: 'relu', kernelInitializer: 'glorotUniform', name: 'body' })
      .apply(input) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2, activation: 'softmax', name: 'head' })
      .apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const x = tf.tensor2d([
      [0.1, 0.9, -0.3],
      [0.7, -0.2, 0.4],
      [-0.5, 0.3, 0.8],
      [0.2, 0.2, -0.6],
    ]);
    const y = tf.tensor1d([0, 1, 1, 0], 'int32');
    const beta = 0.3;
    const got = tf.tidy(
      () =>
        decorrelatedLoss(model, beta)(model, x, y, {
          epoch: 0,
          step: 0,
          forward: (t) => t,
        }).dataSync()[0],
    );
    const features = tf.model({ inputs: input, outputs: hidden }).predict(x) as tf.Tensor;
    const want =
      crossEntropy(model.predict(x) as tf.Tensor, y).dataSync()[0] +
      beta * decorrelationPenalty(features).dataSync()[0];
    close(got, want, 1e-5);
    tf.dispose([x, y, features]);
    model.dispose();
  });

  test('a step against its gradient lowers the penalty of correlated features', () => {
    // Minimising the penalty over the features themselves: two nearly proportional columns.
    const z = tf.variable(
      tf.tensor2d([1, 2, 3, 4, 5, 6].map((v) => [v, 2 * v + 0.1 * (v % 2), v * v])),
    );
    const before = decorrelationPenalty(z).dataSync()[0];
    const opt = tf.train.adam(0.1);
    for (let i = 0; i < 100; i++) opt.minimize(() => decorrelationPenalty(z));
    const after = decorrelationPenalty(z).dataSync()[0];
    assert.ok(after < 0.5 * before, `${after} not well below ${before}`);
    z.dispose();
    opt.dispose();
  });
});
