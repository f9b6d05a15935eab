import * as tf from '@tensorflow/tfjs';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectTensorsClose, tensorCount, assertNoLeaks } from '../../../test/support/tensors';
import { L2Penalty } from './l2.penalty';
import { L2SpPenalty } from './l2sp.penalty';
import { createPenalty } from './penalty-registry';

before(async () => {
  await tf.setBackend('cpu');
});

/** A variable from nested arrays, without leaving the initial tensor behind. */
function variable(values: number[][]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor2d(values)));
}

const W = [
  [1, 2],
  [3, 4],
];
const H = [
  [1, -1],
  [0, 2],
];

describe('L2 penalty (weight decay, alpha/2 ||w||^2)', () => {
  test('value and gradient on 2x2 weights: hand-computed 0.25 * 36 = 9 and grad = alpha * w', () => {
    const start = tensorCount();
    const w = variable(W);
    const h = variable(H);
    const penalty = new L2Penalty({ alpha: 0.5 });
    const { value, grads } = tf.variableGrads(
      () => penalty.apply({ backbone: [w], head: [h] }),
      [w, h],
    );
    // ||W||^2 = 1+4+9+16 = 30, ||H||^2 = 1+1+0+4 = 6: alpha/2 * 36 = 9.
    expectTensorsClose(value, 9);
    expectTensorsClose(grads[w.name], [0.5, 1, 1.5, 2]);
    expectTensorsClose(grads[h.name], [0.5, -0.5, 0, 1]);
    tf.dispose([value, grads[w.name], grads[h.name], w, h]);
    penalty.dispose();
    assertNoLeaks(start);
  });

  test('constructor names the bad argument', () => {
    assert.throws(() => new L2Penalty({ alpha: -1 }), /alpha must be a finite number >= 0, got -1/);
  });
});

describe('L2-SP penalty (Li et al. 2018, eq. 3: alpha/2 ||w_S - w_S^0||^2 + beta/2 ||w_head||^2)', () => {
  test('value and gradients on 2x2 weights against hand-computed values', () => {
    const start = tensorCount();
    const w0 = tf.ones([2, 2]);
    const w = variable(W);
    const h = variable(H);
    const penalty = new L2SpPenalty({ alpha: 0.2, beta: 0.1, sourceWeights: [w0] });
    const { value, grads } = tf.variableGrads(
      () => penalty.apply({ backbone: [w], head: [h] }),
      [w, h],
    );
    // W - W0 = [[0,1],[2,3]]: ||.||^2 = 14, 0.1 * 14 = 1.4; ||H||^2 = 6, 0.05 * 6 = 0.3.
    expectTensorsClose(value, 1.7);
    // d/dW = alpha (W - W0), d/dH = beta H.
    expectTensorsClose(grads[w.name], [0, 0.2, 0.4, 0.6]);
    expectTensorsClose(grads[h.name], [0.1, -0.1, 0, 0.2]);
    tf.dispose([value, grads[w.name], grads[h.name], w, h, w0]);
    penalty.dispose();
    assertNoLeaks(start);
  });

  test('keeps its own copy of the starting point: moving the source tensor does not move w_S^0', () => {
    const start = tensorCount();
    const source = variable(W);
    const penalty = createPenalty('l2sp', { alpha: 1, beta: 0, sourceWeights: [source] });
    tf.tidy(() => source.assign(tf.zeros([2, 2])));
    // Penalty at w = W (the original start) is 0; at w = 0 it is 1/2 * 30 = 15.
    const atStart = tf.tidy(() => penalty.apply({ backbone: [tf.tensor2d(W)], head: [] }));
    const atZero = tf.tidy(() => penalty.apply({ backbone: [source], head: [] }));
    expectTensorsClose(atStart, 0);
    expectTensorsClose(atZero, 15);
    tf.dispose([atStart, atZero, source]);
    penalty.dispose();
    assertNoLeaks(start);
  });

  test('rejects a backbone whose shapes do not match the source weights', () => {
    const start = tensorCount();
    const ones = tf.ones([2, 2]);
    const penalty = new L2SpPenalty({ alpha: 1, beta: 1, sourceWeights: [ones] });
    ones.dispose();
    assert.throws(
      () => tf.tidy(() => penalty.apply({ backbone: [tf.ones([3])], head: [] })),
      /backbone weight 0 has shape \[3\], its source weight \[2,2\]/,
    );
    penalty.dispose();
    assertNoLeaks(start);
  });
});
