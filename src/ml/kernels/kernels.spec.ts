import * as tf from '@tensorflow/tfjs';
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { expectTensorsClose, tensorCount, assertNoLeaks } from '../../../test/support/tensors';
import { KernelScope } from './kernel-scope';
import { filterGradient } from './conv2d-backprop-filter';

// Reference: tfjs-backend-cpu 4.22's own kernels (the same formulas as TensorFlow's
// conv_grad_*_ops), compared to 1e-4; dilated cases, which cpu's backprop kernels do not take, are
// checked with the adjoint identity <conv(x, W), dy> = <W, dW> = <x, dX> (conv is bilinear).

type Pad = 'valid' | 'same';
const TOL = 1e-4;

function randn(rng: Rng, shape: number[]): Float32Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

async function kernelOn(
  backend: string,
  name: string,
  inputs: Record<string, { data: Float32Array | Int32Array; shape: number[]; dtype?: 'int32' }>,
  attrs: object,
): Promise<{ values: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape, v.dtype);
    const out = tf.engine().runKernel(name, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

function outSize(n: number, k: number, s: number, d: number, pad: Pad): number {
  const span = (k - 1) * d + 1;
  return pad === 'same' ? Math.ceil(n / s) : Math.floor((n - span) / s) + 1;
}

interface Case {
  b: number;
  h: number;
  w: number;
  c: number;
  m: number;
  kh: number;
  kw: number;
  s: number;
  pad: Pad;
}

function randomCases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const c: Case = {
      b: rng.int(1, 3),
      h: rng.int(5, 10),
      w: rng.int(5, 10),
      c: rng.int(1, 4),
      m: rng.int(1, 3),
      kh: rng.int(1, 4),
      kw: rng.int(1, 4),
      s: 1 + (i % 2),
      pad: i % 4 < 2 ? 'valid' : 'same',
    };
    cases.push(c);
  }
  return cases;
}

describe('wasm composite gradient kernels vs tfjs-backend-cpu', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  for (const [i, k] of randomCases(1, 12).entries()) {
    const label = `b${k.b} ${k.h}x${k.w}x${k.c} k${k.kh}x${k.kw} m${k.m} s${k.s} ${k.pad}`;

    test(`Conv2DBackpropFilter and Conv2DBackpropInput (replaced on wasm) match cpu (${label})`, async () => {
      const rng = new Rng(100 + i);
      const co = k.m + 1;
      const oh = outSize(k.h, k.kh, k.s, 1, k.pad);
      const ow = outSize(k.w, k.kw, k.s, 1, k.pad);
      const inputs = {
        x: { data: randn(rng, [k.b, k.h, k.w, k.c]), shape: [k.b, k.h, k.w, k.c] },
        dy: { data: randn(rng, [k.b, oh, ow, co]), shape: [k.b, oh, ow, co] },
      };
      const attrs = {
        strides: [k.s, k.s],
        pad: k.pad,
        dataFormat: 'NHWC',
        filterShape: [k.kh, k.kw, k.c, co],
      };
      const want = await kernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs);
      const filter = { data: randn(rng, [k.kh, k.kw, k.c, co]), shape: [k.kh, k.kw, k.c, co] };
      const iAttrs = {
        strides: [k.s, k.s],
        pad: k.pad,
        dataFormat: 'NHWC',
        inputShape: inputs.x.shape,
      };
      const wantI = await kernelOn('cpu', 'Conv2DBackpropInput', { dy: inputs.dy, filter }, iAttrs);
      const before = tensorCount();
      const got = await kernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs);
      const gotI = await kernelOn('wasm', 'Conv2DBackpropInput', { dy: inputs.dy, filter }, iAttrs);
      assertNoLeaks(before);
      assert.deepEqual(got.shape, want.shape);
      assert.deepEqual(gotI.shape, wantI.shape);
      expectTensorsClose(got.values, want.values, TOL);
      expectTensorsClose(gotI.values, wantI.values, TOL);
    });

    test(`DepthwiseConv2dNativeBackpropFilter and ...BackpropInput match cpu (${label})`, async () => {
      const rng = new Rng(200 + i);
      const oh = outSize(k.h, k.kh, k.s, 1, k.pad);
      const ow = outSize(k.w, k.kw, k.s, 1, k.pad);
      const x = { data: randn(rng, [k.b, k.h, k.w, k.c]), shape: [k.b, k.h, k.w, k.c] };
      const dy = { data: randn(rng, [k.b, oh, ow, k.c * k.m]), shape: [k.b, oh, ow, k.c * k.m] };
      const filter = { data: randn(rng, [k.kh, k.kw, k.c, k.m]), shape: [k.kh, k.kw, k.c, k.m] };
      const common = { strides: [k.s, k.s], dilations: [1, 1], pad: k.pad };
      const fAttrs = { ...common, filterShape: filter.shape };
      const iAttrs = { ...common, inputShape: x.shape };
      const wantF = await kernelOn('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, fAttrs);
      const wantI = await kernelOn(
        'cpu',
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        iAttrs,
      );
      const before = tensorCount();
      const gotF = await kernelOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, fAttrs);
      const gotI = await kernelOn(
        'wasm',
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        iAttrs,
      );
      assertNoLeaks(before);
      assert.deepEqual(gotF.shape, wantF.shape);
      assert.deepEqual(gotI.shape, wantI.shape);
      expectTensorsClose(gotF.values, wantF.values, TOL);
      expectTensorsClose(gotI.values, wantI.values, TOL);
    });
  }

  for (const [d, pad] of [
    [2, 'same'],
    [2, 'valid'],
    [3, 'same'],
  ] as Array<[number, Pad]>) {
    test(`dilation ${d} (${pad}): depthwise and conv gradients satisfy the adjoint identity`, async () => {
      await tf.setBackend('wasm');
      const rng = new Rng(300 + d);
      const [b, h, w, c, m, kh] = [2, 11, 9, 3, 2, 3];
      const before = tensorCount();
      tf.tidy(() => {
        const x = tf.tensor(randn(rng, [b, h, w, c]), [b, h, w, c]) as tf.Tensor4D;
        const dwFilter = tf.tensor(randn(rng, [kh, kh, c, m]), [kh, kh, c, m]) as tf.Tensor4D;
        const y = tf.depthwiseConv2d(x, dwFilter, 1, pad, 'NHWC', d);
        const dy = tf.tensor(randn(rng, y.shape), y.shape);
        const attrs = { strides: [1, 1], dilations: [d, d], pad } as unknown as tf.NamedAttrMap;
        const dW = tf.engine().runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x, dy },
          {
            ...attrs,
            filterShape: dwFilter.shape,
          },
        ) as tf.Tensor;
        const dX = tf.engine().runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy, filter: dwFilter },
          {
            ...attrs,
            inputShape: x.shape,
          },
        ) as tf.Tensor;
        const lhs = tf.sum(tf.mul(y, dy)).dataSync()[0];
        expectTensorsClose(tf.sum(tf.mul(dwFilter, dW)).dataSync()[0], lhs, TOL);
        expectTensorsClose(tf.sum(tf.mul(x, dX)).dataSync()[0], lhs, TOL);

        // Plain conv: the kernel attributes carry no dilation, so call the formula directly.
        const filter = tf.tensor(randn(rng, [kh, kh, c, 4]), [kh, kh, c, 4]) as tf.Tensor4D;
        const yc = tf.conv2d(x, filter, 1, pad, 'NHWC', d);
        const dyc = tf.tensor(randn(rng, yc.shape), yc.shape);
        const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, 1, d, pad);
        const dWc = tf
          .engine()
          .makeTensorFromTensorInfo(
            filterGradient(new KernelScope(tf.backend(), 'wasm'), x, dyc, info),
          );
        expectTensorsClose(
          tf.sum(tf.mul(filter, dWc)).dataSync()[0],
          tf.sum(tf.mul(yc, dyc)).dataSync()[0],
          TOL,
        );
      });
      assertNoLeaks(before);
    });
  }

  test('UnsortedSegmentSum matches cpu, ids out of range dropped (TF semantics)', async () => {
    const rng = new Rng(400);
    const ids = Int32Array.from({ length: 12 }, () => rng.int(-1, 6));
    const inputs = {
      x: { data: randn(rng, [12, 5]), shape: [12, 5] },
      segmentIds: { data: ids, shape: [12], dtype: 'int32' as const },
    };
    const want = await kernelOn('cpu', 'UnsortedSegmentSum', inputs, { numSegments: 6 });
    const got = await kernelOn('wasm', 'UnsortedSegmentSum', inputs, { numSegments: 6 });
    assert.deepEqual(got.shape, [6, 5]);
    expectTensorsClose(got.values, want.values, TOL);
  });

  test('a conv net gradient on wasm equals the same gradient on cpu (end to end through tf.grads)', async () => {
    const rng = new Rng(500);
    const xs = randn(rng, [2, 8, 8, 2]);
    const f1 = randn(rng, [3, 3, 2, 1]);
    const f2 = randn(rng, [3, 3, 2, 3]);
    const grads = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(xs, [2, 8, 8, 2]);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const h = tf.depthwiseConv2d(x, a as tf.Tensor4D, 2, 'same');
          return tf.sum(
            tf.square(tf.conv2d(tf.relu(h) as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')),
          );
        });
        return g([tf.tensor4d(f1, [3, 3, 2, 1]), tf.tensor4d(f2, [3, 3, 2, 3])]).map(
          (t) => t.dataSync() as Float32Array,
        );
      });
    };
    const want = await grads('cpu');
    const got = await grads('wasm');
    expectTensorsClose(got[0], want[0], TOL);
    expectTensorsClose(got[1], want[1], TOL);
  });
});
