import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withLeakCheck } from '../../test/support/tensors';
import { distillationLoss } from './core/codistill';
import {
  distillationGradient,
  ensembleDistill,
  serverDistillationSettings,
} from './core/ensemble-distillation';
import { TfDistillationStudent } from './server-distillation';

/** z = x W + b for W [d, k] row-major (the dense kernel's layout), b [k]. */
function logits(x: number[][], w: Float32Array, b: Float32Array, k: number): Float32Array {
  const out = new Float32Array(x.length * k);
  x.forEach((row, r) => {
    for (let c = 0; c < k; c++) {
      let z = b[c];
      row.forEach((v, j) => (z += v * w[j * k + c]));
      out[r * k + c] = z;
    }
  });
  return out;
}

/** One Adam step (Kingma & Ba 2015, Algorithm 1; tf.train.adam's defaults) on a flat array. */
function adam(
  w: Float32Array,
  g: Float32Array,
  state: { m: Float64Array; v: Float64Array; t: number },
  lr: number,
): Float32Array {
  state.t++;
  const eps = tf.backend().epsilon();
  return Float32Array.from(w, (wi, i) => {
    state.m[i] = 0.9 * state.m[i] + 0.1 * g[i];
    state.v[i] = 0.999 * state.v[i] + 0.001 * g[i] * g[i];
    const mh = state.m[i] / (1 - 0.9 ** state.t);
    const vh = state.v[i] / (1 - 0.999 ** state.t);
    return wi - (lr * mh) / (Math.sqrt(vh) + eps);
  });
}

describe('FedDF on TF.js (server-distillation.ts) against the core formulas', () => {
  test('a linear softmax student on 2 points: loss = T^2 KL (Hinton et al. 2015) and two Adam steps on the gradient T (q - p) x / rows', async () => {
    const x = [
      [1, -0.5],
      [0.3, 2],
    ];
    const k = 3;
    const T = 2;
    const lr = 0.01;
    const targets = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.3, 0.6]);
    const w0 = Float32Array.from([0.2, -0.1, 0.4, 0.3, -0.6, 0.1]);
    const b0 = Float32Array.from([0.05, -0.2, 0.1]);
    await withLeakCheck(async () => {
      const model = tf.sequential({
        layers: [tf.layers.dense({ units: k, activation: 'softmax', inputShape: [2] })],
      });
      const publicX = tf.tensor2d(x);
      const student = new TfDistillationStudent(model, publicX);
      assert.equal(student.rows, 2);
      assert.equal(student.classes, k);
      student.begin([w0, b0], lr);
      // predict: log softmax(z), a per-row shift of z (checked through the softmax at T).
      const z0 = logits(x, w0, b0, k);
      const got = await student.predict([0, 1]);
      assert.ok(
        Math.abs(distillationLoss(got, targets, k, T) - distillationLoss(z0, targets, k, T)) < 1e-5,
      );
      let w: Float32Array = w0;
      let b: Float32Array = b0;
      const sw = { m: new Float64Array(6), v: new Float64Array(6), t: 0 };
      const sb = { m: new Float64Array(3), v: new Float64Array(3), t: 0 };
      for (let step = 0; step < 2; step++) {
        const z = logits(x, w, b, k);
        const loss = await student.step([0, 1], targets, T);
        const expected = distillationLoss(z, targets, k, T);
        assert.ok(Math.abs(loss - expected) < 1e-5, `step ${step}: ${loss} vs ${expected}`);
        const g = distillationGradient(z, targets, k, T);
        const gw = new Float32Array(6);
        const gb = new Float32Array(3);
        x.forEach((row, r) => {
          for (let c = 0; c < k; c++) {
            gb[c] += g[r * k + c];
            row.forEach((v, j) => (gw[j * k + c] += v * g[r * k + c]));
          }
        });
        w = adam(w, gw, sw, lr);
        b = adam(b, gb, sb, lr);
        const [tw, tb] = student.weights();
        tw.forEach((v, i) => assert.ok(Math.abs(v - w[i]) < 1e-5, `W ${i}: ${v} vs ${w[i]}`));
        tb.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `b ${i}: ${v} vs ${b[i]}`));
      }
      student.end();
      model.dispose();
      publicX.dispose();
    });
  });

  test('identical site models on a small cnn: the distilled model is the average (fixed point)', async () => {
    await withLeakCheck(async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            filters: 2,
            kernelSize: 3,
            activation: 'relu',
            inputShape: [6, 6, 1],
          }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      const publicX = tf.randomUniform([24, 6, 6, 1], 0, 1, 'float32', 5);
      const site = model.getWeights().map((t) => Float32Array.from(t.dataSync()));
      const student = new TfDistillationStudent(model, publicX);
      const out = await ensembleDistill(
        [site, site],
        site,
        student,
        serverDistillationSettings({ steps: 20, evalEvery: 5, batchSize: 8 }),
        0,
      );
      assert.ok(out.initialLoss < 1e-5, `${out.initialLoss}`);
      out.weights.forEach((w, t) =>
        w.forEach((v, i) => assert.ok(Math.abs(v - site[t][i]) < 1e-6, `${t}.${i}`)),
      );
      model.dispose();
      publicX.dispose();
    });
  });
});
