import * as tf from '@tensorflow/tfjs';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { CLIP_BY_VALUE_GRAD, clipByValueBackprop } from './clip-by-value-grad';

// Reference: tfjs-core 4.22's ClipByValue gradient (gradients/ClipByValue_grad.ts),
//   dx = where(logicalAnd(greaterEqual(x, min), lessEqual(x, max)), dy, zerosLike(dy)),
// written out here with tfjs ops, so the bounds are inclusive and a NaN input passes nothing.

function reference(x: tf.Tensor, dy: tf.Tensor, min: number, max: number): Float32Array {
  return tf.tidy(
    () =>
      tf
        .where(tf.logicalAnd(tf.greaterEqual(x, min), tf.lessEqual(x, max)), dy, tf.zerosLike(dy))
        .dataSync() as Float32Array,
  );
}

/** Values around and on the bounds (0 and 6, as relu6 makes them), and a NaN. */
function inputs(rng: Rng, n: number): Float32Array {
  const picks = [0, 6, -0, -1e-7, 6.0000005, Number.NaN];
  return Float32Array.from({ length: n }, (_, i) =>
    i % 7 === 0 ? picks[(i / 7) % picks.length] : rng.normal() * 5 + 3,
  );
}

describe('ClipByValue gradient in one pass (ours, relu6 in the zoo) vs tfjs-core', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  test('the loop equals the reference formula, bounds inclusive, NaN passing nothing', () => {
    const rng = new Rng(3);
    const x = inputs(rng, 500);
    const dy = Float32Array.from({ length: 500 }, () => rng.normal());
    const dx = new Float32Array(500);
    clipByValueBackprop(x, dy, dx, 0, 6);
    const expected = reference(tf.tensor(x), tf.tensor(dy), 0, 6);
    assert.deepEqual(Array.from(dx), Array.from(expected));
    assert.equal(dx[0], dy[0], 'x = 0 is inside [0, 6]');
    assert.equal(dx[35], 0, 'NaN passes nothing');
  });

  for (const [shape, min, max] of [
    [[2, 5, 5, 3], 0, 6],
    [[4, 7], -1.5, 2.25],
    [[3, 1, 9, 16], 0, 6],
  ] as const) {
    test(`tf.grad through clipByValue on wasm uses the kernel and matches (${shape.join('x')}, [${min}, ${max}])`, () => {
      assert.ok(tf.getKernel(CLIP_BY_VALUE_GRAD, 'wasm'), 'registered for wasm by selectBackend');
      const rng = new Rng(shape.length * 11 + shape[0]);
      const size = shape.reduce((a: number, d: number) => a * d, 1);
      const x = tf.tensor(inputs(rng, size), [...shape]);
      const dy = tf.tensor(
        Float32Array.from({ length: size }, () => rng.normal()),
        [...shape],
      );
      const got = tf.tidy(() =>
        Array.from(
          tf
            .grad((t: tf.Tensor) => tf.clipByValue(t, min, max))(x, dy)
            .dataSync(),
        ),
      );
      assert.deepEqual(got, Array.from(reference(x, dy, min, max)));
      tf.dispose([x, dy]);
    });
  }

  test("a relu6 layer's training gradient is one kernel instead of tfjs-core's five", async () => {
    const layer = tf.layers.reLU({ maxValue: 6 });
    const x = tf.randomNormal([8, 6, 6, 4], 3, 4, 'float32', 5);
    const info = await tf.profile(() => {
      tf.tidy(() => {
        tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x).dataSync();
      });
    });
    const names = info.kernels.map((k) => k.name);
    assert.ok(names.includes(CLIP_BY_VALUE_GRAD), names.join(' '));
    for (const stock of ['GreaterEqual', 'LessEqual', 'LogicalAnd', 'Select'])
      assert.ok(!names.includes(stock), `${stock} left in ${names.join(' ')}`);
    x.dispose();
  });

  test('on a backend without the kernel (cpu) the gradient is tfjs-core’s own', async () => {
    await tf.setBackend('cpu');
    try {
      const rng = new Rng(9);
      const x = tf.tensor(inputs(rng, 64));
      const dy = tf.tensor(Float32Array.from({ length: 64 }, () => rng.normal()));
      const got = tf.tidy(() =>
        tf
          .grad((t: tf.Tensor) => tf.clipByValue(t, 0, 6))(x, dy)
          .dataSync(),
      );
      assert.deepEqual(Array.from(got), Array.from(reference(x, dy, 0, 6)));
      tf.dispose([x, dy]);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
