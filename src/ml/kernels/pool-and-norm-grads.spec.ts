import * as tf from '@tensorflow/tfjs';
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { expectTensorsClose, tensorCount, assertNoLeaks } from '../../../test/support/tensors';
import { batchNormGradConfig } from './batch-norm-grad';

// References: tfjs-backend-cpu 4.22's MaxPoolGrad (TensorFlow's rule: the first maximum of each
// window in row-major order takes the window's gradient); tfjs-core 4.22's own FusedBatchNorm
// gradient (taken before ours replaces it); and the batch-norm backward pass of Ioffe & Szegedy
// 2015 (section 3): dx = g / N * (N dy - sum(dy) - xhat * sum(dy * xhat)) in training mode.

const tfjsBatchNormGrad = tf.getGradient('FusedBatchNorm');

function values(rng: Rng, n: number, ties: boolean): Float32Array {
  const out = new Float32Array(n);
  // With ties, few distinct values (and runs of zeros, as after a ReLU).
  for (let i = 0; i < n; i++) out[i] = ties ? Math.max(0, rng.int(-2, 3)) : rng.normal();
  return out;
}

async function maxPoolGradOn(
  backend: string,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: { filterSize: [number, number]; strides: [number, number]; pad: 'valid' | 'same' },
): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const input = tf.tensor(x.dataSync(), x.shape);
    const output = tf.maxPool(input as tf.Tensor4D, attrs.filterSize, attrs.strides, attrs.pad);
    const g = tf.tensor(dy.dataSync(), dy.shape);
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy: g, input, output }, {
      ...attrs,
      dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    return dx.dataSync() as Float32Array;
  });
}

describe('MaxPoolGrad on wasm (ours) vs tfjs-backend-cpu', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  const rng = new Rng(7);
  const cases = Array.from({ length: 16 }, (_, i) => ({
    b: rng.int(1, 3),
    h: rng.int(4, 12),
    w: rng.int(4, 12),
    c: rng.int(1, 6),
    k: 2 + (i % 2),
    s: 1 + (i % 3),
    pad: i % 4 < 2 ? ('valid' as const) : ('same' as const),
    ties: i % 2 === 0,
  }));
  for (const [i, k] of cases.entries()) {
    const label = `b${k.b} ${k.h}x${k.w}x${k.c} pool ${k.k} stride ${k.s} ${k.pad}${k.ties ? ', ties' : ''}`;
    test(`the same gradient, each window's first maximum taking it (${label})`, async () => {
      const r = new Rng(300 + i);
      await tf.setBackend('cpu');
      const x = tf.tensor4d(values(r, k.b * k.h * k.w * k.c, k.ties), [k.b, k.h, k.w, k.c]);
      const pooled = tf.maxPool(x, k.k, k.s, k.pad);
      const dy = tf.tensor4d(values(r, pooled.size, false), pooled.shape);
      const attrs = {
        filterSize: [k.k, k.k] as [number, number],
        strides: [k.s, k.s] as [number, number],
        pad: k.pad,
      };
      const want = await maxPoolGradOn('cpu', x, dy, attrs);
      await tf.setBackend('wasm');
      const count = tensorCount();
      const got = await maxPoolGradOn('wasm', x, dy, attrs);
      assertNoLeaks(count);
      expectTensorsClose(got, want, 1e-6);
      await tf.setBackend('cpu');
      tf.dispose([x, pooled, dy]);
    });
  }

  test('through tf.grad of a max pool, as a model trains it', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(values(new Rng(5), 2 * 6 * 6 * 3, true), [2, 6, 6, 3]);
    const f = (t: tf.Tensor) =>
      tf.sum(
        tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), tf.range(1, 55).reshape([2, 3, 3, 3])),
      );
    const got = tf.grad(f)(x).dataSync();
    await tf.setBackend('cpu');
    const want = tf.grad(f)(tf.tensor4d(x.dataSync(), x.shape)).dataSync();
    expectTensorsClose(got, want, 1e-6);
  });
});

describe('FusedBatchNorm gradient (ours, broadcasting) vs tfjs-core and Ioffe & Szegedy', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  for (const [i, shape] of [
    [4, 5, 5, 3],
    [2, 7, 3, 8],
    [6, 1, 1, 4], // a dense layer's batch norm: tf.batchNorm runs the kernel on 4-D x
  ].entries()) {
    test(`dx, dmean, dvariance, dscale, doffset equal tfjs-core's to 1e-5 ([${shape}])`, () => {
      const r = new Rng(40 + i);
      const c = shape[shape.length - 1];
      const x = tf.tensor(
        values(
          r,
          shape.reduce((a, b) => a * b),
          false,
        ),
        shape,
      );
      const dy = tf.tensor(values(r, x.size, false), shape);
      const mean = tf.tensor1d(values(r, c, false));
      const variance = tf.abs(tf.tensor1d(values(r, c, false))).add(0.1);
      const scale = tf.tensor1d(values(r, c, false));
      const attrs = { varianceEpsilon: 1e-3 } as unknown as tf.NamedAttrMap;
      const saved = [x, mean, variance, scale];
      const count = tensorCount();
      tf.tidy(() => {
        const ours = batchNormGradConfig.gradFunc(dy, saved, attrs);
        const theirs = tfjsBatchNormGrad.gradFunc(dy, saved, attrs);
        for (const input of ['x', 'mean', 'variance', 'scale', 'offset']) {
          expectTensorsClose(ours[input](), theirs[input](), 1e-5);
        }
      });
      assertNoLeaks(count);
    });
  }

  test('a training-mode batch norm (moments of the batch) backpropagates as in the paper', () => {
    const [n, c] = [16, 3];
    const r = new Rng(11);
    const x = tf.tensor2d(values(r, n * c, false), [n, c]);
    const dy = tf.tensor2d(values(r, n * c, false), [n, c]);
    const gamma = tf.tensor1d([0.5, 1.5, -2]);
    const eps = 1e-3;
    const forward = (t: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, 0);
      return tf.sum(
        tf.mul(tf.batchNorm(t as tf.Tensor2D, mean, variance, tf.zeros([c]), gamma, eps), dy),
      );
    };
    const got = tf.grad(forward)(x).arraySync() as number[][];
    const xs = x.arraySync();
    const dys = dy.arraySync();
    const gs = gamma.arraySync();
    for (let j = 0; j < c; j++) {
      const col = xs.map((row) => row[j]);
      const mu = col.reduce((a, b) => a + b) / n;
      const v = col.reduce((a, b) => a + (b - mu) ** 2, 0) / n;
      const xhat = col.map((xi) => (xi - mu) / Math.sqrt(v + eps));
      const sumDy = dys.reduce((a, row) => a + row[j], 0);
      const sumDyXhat = dys.reduce((a, row, k) => a + row[j] * xhat[k], 0);
      for (let k = 0; k < n; k++) {
        const want =
          ((gs[j] / Math.sqrt(v + eps)) * (n * dys[k][j] - sumDy - xhat[k] * sumDyXhat)) / n;
        assert.ok(Math.abs(got[k][j] - want) < 1e-4, `x[${k}][${j}]: ${got[k][j]} vs ${want}`);
      }
    }
  });
});
