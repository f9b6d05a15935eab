import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, expectTensorsClose, tensorCount } from '../../../test/support/tensors';
import { dtnhCombine, gradientCosine } from './dtnh';

before(async () => {
  await tf.setBackend('cpu');
});

const vec = (n: number) =>
  fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n });

describe('DTNH gradient combination (Wan et al. ICDM 2019, orthogonal decomposition)', () => {
  test('hand case: g_t = (1, 0), g_r = (-1, 1) conflict; g_r loses its -g_t part, step = (1, 1)', () => {
    const start = tensorCount();
    const t = { w: tf.tensor1d([1, 0]) };
    const r = { w: tf.tensor1d([-1, 1]) };
    const out = dtnhCombine(t, r);
    expectTensorsClose(out.w, [1, 1]);
    assert.equal(gradientCosine(t, r), -1 / Math.SQRT2);
    tf.dispose([t.w, r.w, out.w]);
    assertNoLeaks(start);
  });

  test('property: <combined, g_t> >= 0 always, and without conflict combined = g_t + g_r exactly', () => {
    const start = tensorCount();
    fc.assert(
      fc.property(vec(3), vec(4), vec(3), vec(4), (t1, t2, r1, r2) => {
        const dot =
          t1.reduce((s, v, i) => s + v * r1[i], 0) + t2.reduce((s, v, i) => s + v * r2[i], 0);
        const norm = t1.concat(t2).reduce((s, v) => s + v * v, 0);
        tf.tidy(() => {
          const task = { a: tf.tensor1d(t1), b: tf.tensor2d(t2, [2, 2]) };
          const reg = { a: tf.tensor1d(r1), b: tf.tensor2d(r2, [2, 2]) };
          const out = dtnhCombine(task, reg);
          const a = out.a.dataSync();
          const b = out.b.dataSync();
          const inner =
            t1.reduce((s, v, i) => s + v * a[i], 0) + t2.reduce((s, v, i) => s + v * b[i], 0);
          // float32 arithmetic: allow rounding relative to the magnitudes involved.
          assert.ok(inner >= -1e-4 * (1 + norm + Math.abs(dot)), `inner ${inner}, dot ${dot}`);
          if (dot >= 0) {
            expectTensorsClose(
              out.a,
              t1.map((v, i) => v + r1[i]),
            );
            expectTensorsClose(
              out.b,
              t2.map((v, i) => v + r2[i]),
            );
          } else if (norm > 1e-6) {
            // The task component of the step is exactly g_t: <combined, g_t> = ||g_t||^2.
            assert.ok(
              Math.abs(inner - norm) <= 1e-3 * (1 + norm + Math.abs(dot)),
              `${inner} vs ${norm}`,
            );
          }
        });
      }),
      { numRuns: 300 },
    );
    assertNoLeaks(start);
  });

  test('a variable without a regulariser gradient keeps its task gradient (scaled only on conflict)', () => {
    const start = tensorCount();
    const task = { w: tf.tensor1d([1, 0]), head: tf.tensor1d([2]) };
    const reg = { w: tf.tensor1d([3, 1]) };
    const out = dtnhCombine(task, reg);
    expectTensorsClose(out.w, [4, 1]);
    expectTensorsClose(out.head, [2]);
    assert.throws(() => dtnhCombine({}, reg), /regulariser gradient for w has no task gradient/);
    tf.dispose([task.w, task.head, reg.w, out.w, out.head]);
    assertNoLeaks(start);
  });
});
