import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import { classLogPrior, logitAdjustedCrossEntropy } from './logit-adjustment';

const close = (a: number, b: number, tol = 1e-4) =>
  assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

const lossOf = (probs: number[][], y: number[], prior: number[], tau: number) =>
  tf.tidy(
    () =>
      logitAdjustedCrossEntropy(
        tf.tensor2d(probs),
        tf.tensor1d(y, 'int32'),
        tf.tensor1d(prior.map(Math.log)),
        tau,
      ).dataSync()[0],
  );

describe('logit-adjusted cross-entropy (Menon et al., ICLR 2021, eq. 10)', () => {
  test('hand case: -log of p_y pi_y^tau over sum_j p_j pi_j^tau', () => {
    // p (0.5, 0.3, 0.2), pi (0.7, 0.2, 0.1), y = 1: p * pi = (0.35, 0.06, 0.02), sum 0.43.
    close(lossOf([[0.5, 0.3, 0.2]], [1], [0.7, 0.2, 0.1], 1), -Math.log(0.06 / 0.43));
    // tau = 2: p * pi^2 = (0.245, 0.012, 0.002), sum 0.259; the batch mean with a second row.
    const row2 = -Math.log(0.245 / 0.259);
    close(
      lossOf(
        [
          [0.5, 0.3, 0.2],
          [0.5, 0.3, 0.2],
        ],
        [1, 0],
        [0.7, 0.2, 0.1],
        2,
      ),
      (-Math.log(0.012 / 0.259) + row2) / 2,
    );
  });

  test('a uniform prior leaves plain cross-entropy', () => {
    const probs = [
      [0.6, 0.1, 0.3],
      [0.2, 0.5, 0.3],
    ];
    const plain = tf.tidy(
      () => crossEntropy(tf.tensor2d(probs), tf.tensor1d([2, 1], 'int32')).dataSync()[0],
    );
    close(lossOf(probs, [2, 1], [1 / 3, 1 / 3, 1 / 3], 1), plain);
  });

  test('its minimiser on rows labelled by the prior is the uniform posterior (the balanced one)', () => {
    // Every row has the same input and labels in proportion pi: plain cross-entropy is minimised
    // at p = pi; the adjusted loss (tau = 1) at softmax(log p + log pi) = pi, i.e. p uniform.
    const pi = [0.7, 0.2, 0.1];
    const y = tf.tensor1d([0, 0, 0, 0, 0, 0, 0, 1, 1, 2], 'int32');
    const logPrior = tf.tensor1d(pi.map(Math.log));
    const fit = (adjusted: boolean) => {
      const z = tf.variable(tf.zeros([1, 3]));
      const opt = tf.train.adam(0.05);
      for (let i = 0; i < 800; i++)
        opt.minimize(() => {
          const p = tf.tile(tf.softmax(z), [10, 1]);
          return adjusted ? logitAdjustedCrossEntropy(p, y, logPrior, 1) : crossEntropy(p, y);
        });
      const p = Array.from(tf.tidy(() => tf.softmax(z).dataSync()));
      z.dispose();
      opt.dispose();
      return p;
    };
    fit(false).forEach((p, c) => close(p, pi[c], 2e-3));
    fit(true).forEach((p) => close(p, 1 / 3, 2e-3));
    y.dispose();
    logPrior.dispose();
  });

  test('classLogPrior: add-one smoothed class shares, a class absent from the rows kept finite', () => {
    const lp = classLogPrior([0, 0, 0, 1], 3);
    // counts + 1: (4, 2, 1) over 7
    [4 / 7, 2 / 7, 1 / 7].forEach((p, c) => close(Math.exp(lp[c]), p, 1e-6));
    assert.throws(() => classLogPrior([0, 3], 3), /not in \[0, 3\)/);
  });
});
