import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { GradientContext } from './gradient-step';
import { samGradientFn } from './sam';

describe('SAM (Foret et al., ICLR 2021, eq. 2 and Algorithm 1)', () => {
  test('the gradient is taken at w + rho g/||g||, hand-computed, and the weights come back bit-identical', () => {
    // L(w) = sum(w^4) / 4, so g(w) = w^3. At w = (1, 2): g = (1, 8), ||g|| = sqrt(65),
    // eps = rho g / ||g||, and SAM's gradient is (w + eps)^3.
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'sam_w');
    const rho = 0.5;
    const ctx = {
      variables: [w],
      gradientsOf: (f: () => tf.Scalar) => tf.variableGrads(f, [w]),
    } as unknown as GradientContext;
    const before = w.dataSync().slice();
    const tensors = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const r = samGradientFn(rho, () => tf.div(tf.sum(tf.pow(w, 4)), 4) as tf.Scalar)(ctx);
      return { loss: r.loss.dataSync()[0], grad: Array.from(r.grads[w.name].dataSync()) };
    });
    const n = Math.sqrt(65);
    const expected = [1 + (rho * 1) / n, 2 + (rho * 8) / n].map((v) => v ** 3);
    assert.ok(Math.abs(out.loss - (1 + 16) / 4) < 1e-6, `loss at w, got ${out.loss}`);
    out.grad.forEach((g, i) =>
      assert.ok(Math.abs(g - expected[i]) < 1e-4, `${g} vs ${expected[i]}`),
    );
    assert.deepEqual(w.dataSync(), before);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
    w.dispose();
  });

  test('refuses rho <= 0', () => {
    assert.throws(() => samGradientFn(0), /rho/);
  });
});
