import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { StepContext } from './gradient-step';
import { notTrueDistillationLoss, notTrueKl } from './not-true-distillation';

const close = (a: number, b: number, tol = 1e-4) =>
  assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

/** notTrueKl of one row with true class 0 and the global prediction (0.5, 0.3, 0.2). */
const klOf = (local: number[], tau = 1) =>
  tf.tidy(
    () =>
      notTrueKl(
        tf.tensor2d([[0.5, 0.3, 0.2]]),
        tf.tensor2d([local]),
        tf.tensor1d([0], 'int32'),
        tau,
      ).dataSync()[0],
  );

describe('FedNTD not-true distillation (Lee et al., NeurIPS 2022, eq. 4-5)', () => {
  test('hand case: KL of the softmax over the not-true classes, tau = 1', () => {
    // y = 0; global (0.5, 0.3, 0.2) -> not-true (0.6, 0.4); local (0.6, 0.1, 0.3) -> (0.25, 0.75).
    // KL = 0.6 ln(0.6 / 0.25) + 0.4 ln(0.4 / 0.75) = 0.273838
    const kl = klOf([0.6, 0.1, 0.3], 1);
    close(kl, 0.6 * Math.log(0.6 / 0.25) + 0.4 * Math.log(0.4 / 0.75));
  });

  test('the true class does not enter: rescaling the others keeps it, equal not-true parts give 0', () => {
    close(klOf([0.9, 0.06, 0.04]), 0, 1e-5);
    close(klOf([0.2, 0.48, 0.32]), 0, 1e-5);
  });

  test('tau: the not-true softmax of log(p) / tau, hand case at tau = 2', () => {
    // not-true global (0.3, 0.2) at tau 2: sqrt weights (0.5477, 0.4472) -> (0.5505, 0.4495);
    // local (0.1, 0.3): (0.3162, 0.5477) -> (0.3660, 0.6340).
    const g = [Math.sqrt(0.3), Math.sqrt(0.2)];
    const l = [Math.sqrt(0.1), Math.sqrt(0.3)];
    const qg = g.map((v) => v / (g[0] + g[1]));
    const ql = l.map((v) => v / (l[0] + l[1]));
    const kl = klOf([0.6, 0.1, 0.3], 2);
    close(kl, qg[0] * Math.log(qg[0] / ql[0]) + qg[1] * Math.log(qg[1] / ql[1]));
  });

  test('the local loss is CE + beta tau^2 KL, with the global rows gathered by the batch rows', () => {
    const global = tf.tensor2d([
      [0.1, 0.1, 0.8],
      [0.5, 0.3, 0.2],
    ]);
    const local = tf.tensor2d([[0.6, 0.1, 0.3]]);
    const ctx = {
      epoch: 0,
      step: 0,
      rows: tf.tensor1d([1], 'int32'),
      forward: () => local,
    } as unknown as StepContext;
    const loss = tf.tidy(
      () =>
        notTrueDistillationLoss(global, 2)(
          {} as tf.LayersModel,
          local,
          tf.tensor1d([0], 'int32'),
          ctx,
        ).dataSync()[0],
    );
    close(loss, -Math.log(0.6) + 2 * (0.6 * Math.log(0.6 / 0.25) + 0.4 * Math.log(0.4 / 0.75)));
    tf.dispose([global, local, ctx.rows!]);
  });
});
