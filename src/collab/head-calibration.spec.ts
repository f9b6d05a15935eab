import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildZooModel } from '../ml/zoo/zoo';
import { Rng } from '../platform/core/rng';
import { headCalibrationSettings, retrainHead } from './core/classifier-calibration';
import { HeadFeatures } from './head-calibration';
import { readWeights, writeWeights } from './site-training';

function model(seed: number): tf.LayersModel {
  return buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, seed, width: 4 });
}

describe('HeadFeatures (the model side of head calibration)', () => {
  test('softmax(features W + b) is the model output', () => {
    const m = model(1);
    const weights = readWeights(model(2));
    const rng = new Rng(1);
    const x = tf.tensor4d(
      Float32Array.from({ length: 5 * 64 }, () => rng.float()),
      [5, 8, 8, 1],
    );
    try {
      const hf = new HeadFeatures(m);
      assert.equal(hf.dim, 64);
      assert.equal(hf.classes, 3);
      const feats = hf.features(weights, x, 2);
      const { kernel, bias } = hf.head(weights);
      const p = (m.predict(x) as tf.Tensor).dataSync();
      for (let r = 0; r < 5; r++) {
        const z = [0, 1, 2].map((c) => {
          let s = bias[c];
          for (let i = 0; i < 64; i++) s += feats[r * 64 + i] * kernel[i * 3 + c];
          return s;
        });
        const mx = Math.max(...z);
        const e = z.map((v) => Math.exp(v - mx));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(e[c] / sum - p[r * 3 + c]) < 1e-5);
      }
    } finally {
      x.dispose();
      m.dispose();
    }
  });

  test('calibration changes the head only: every other layer bit-identical', () => {
    const m = model(3);
    const weights = readWeights(model(4));
    const rng = new Rng(2);
    const n = 24;
    const x = tf.tensor4d(
      Float32Array.from({ length: n * 64 }, () => rng.float()),
      [n, 8, 8, 1],
    );
    try {
      const hf = new HeadFeatures(m);
      const labels = Array.from({ length: n }, (_, r) => r % 3);
      const before = hf.head(weights);
      const out = retrainHead(
        before,
        { features: hf.features(weights, x), labels, dim: hf.dim },
        headCalibrationSettings({ epochs: 5, learningRate: 0.1 }),
        7,
      );
      const calibrated = hf.withHead(weights, out.head);
      assert.notDeepEqual(out.head.kernel, before.kernel);
      // Through the model and back, as the coordinator sends it.
      writeWeights(m, calibrated);
      const back = readWeights(m);
      for (let i = 0; i < weights.length; i++) {
        const expected =
          i === hf.kernelIndex ? out.head.kernel : i === hf.biasIndex ? out.head.bias : weights[i];
        assert.ok(
          Buffer.from(back[i].buffer, back[i].byteOffset, back[i].byteLength).equals(
            Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
          ),
          `weight ${i}`,
        );
        if (i !== hf.kernelIndex && i !== hf.biasIndex) assert.equal(calibrated[i], weights[i]);
      }
      assert.equal(hf.kernelIndex, weights.length - 2);
      assert.equal(hf.biasIndex, weights.length - 1);
    } finally {
      x.dispose();
      m.dispose();
    }
  });
});
