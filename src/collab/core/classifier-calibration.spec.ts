import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import {
  calibrateFromClassStats,
  choleskyWithJitter,
  classBalancedDraws,
  classFeatureStats,
  classStatsFloats,
  headAccuracy,
  headCalibrationSettings,
  headLoss,
  mergeClassStats,
  retrainHead,
  sampleVirtualFeatures,
  type HeadCalibrationSettings,
  type LabelledFeatures,
} from './classifier-calibration';

const f = (...v: number[]) => Float32Array.from(v);

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe('classifier calibration (cRT, Kang et al. 2020; CCVR, Luo et al. 2021)', () => {
  test('one SGD step on the softmax cross-entropy, by hand', () => {
    // x1 = [1, 0] (class 0), x2 = [0, 2] (class 1), W = 0, b = 0: p = [1/2, 1/2] for both rows,
    // dz = (p - y) / 2 = [-1/4, 1/4] and [1/4, -1/4]; dW = x^T dz = [[-1/4, 1/4], [1/2, -1/2]],
    // db = 0; with lr 0.1: W = [[0.025, -0.025], [-0.05, 0.05]], and the loss was ln 2.
    const data: LabelledFeatures = { features: f(1, 0, 0, 2), labels: [0, 1], dim: 2 };
    const out = retrainHead(
      { kernel: new Float32Array(4), bias: new Float32Array(2) },
      data,
      headCalibrationSettings({
        epochs: 1,
        learningRate: 0.1,
        momentum: 0,
        weightDecay: 0,
        batchSize: 2,
        sampling: 'shuffle',
      }),
      1,
    );
    close(out.head.kernel, [0.025, -0.025, -0.05, 0.05], 1e-7, 'kernel');
    close(out.head.bias, [0, 0], 1e-7, 'bias');
    assert.equal(out.steps, 1);
    assert.ok(Math.abs(out.epochLosses[0] - Math.LN2) < 1e-12);
    // The loss at the new head, by hand: row 1 z = [0.025, -0.025], row 2 z = [-0.1, 0.1].
    const ce = (zy: number, zo: number) => Math.log(Math.exp(zy) + Math.exp(zo)) - zy;
    const expected = (ce(0.025, -0.025) + ce(0.1, -0.1)) / 2;
    assert.ok(Math.abs(headLoss(out.head, data) - expected) < 1e-7);
  });

  test('many steps with momentum and weight decay match TF.js autograd on the same draws', () => {
    const rng = new Rng(5);
    const n = 37;
    const dim = 5;
    const k = 3;
    const features = Float32Array.from({ length: n * dim }, () => rng.normal());
    const labels = Array.from({ length: n }, (_, r) => (r < 25 ? 0 : r < 33 ? 1 : 2));
    const kernel = Float32Array.from({ length: dim * k }, () => rng.normal(0, 0.3));
    const bias = Float32Array.from({ length: k }, () => rng.normal(0, 0.1));
    const settings = headCalibrationSettings({
      epochs: 3,
      learningRate: 0.05,
      momentum: 0.9,
      weightDecay: 0.01,
      batchSize: 8,
    });
    const ours = retrainHead({ kernel, bias }, { features, labels, dim }, settings, 11);

    // The reference: the same class-balanced draws, autograd of
    // mean CE + (wd / 2) ||W||^2, and tf.train.momentum (accum <- mu accum + g; w <- w - lr accum).
    const draws = new Rng(11);
    const w = tf.variable(tf.tensor2d(kernel, [dim, k]));
    const b = tf.variable(tf.tensor1d(bias));
    const opt = tf.train.momentum(settings.learningRate, settings.momentum);
    const x = tf.tensor2d(features, [n, dim]);
    let steps = 0;
    for (let e = 0; e < settings.epochs; e++) {
      const order = classBalancedDraws(labels, k, n, draws);
      for (let s = 0; s < order.length; s += settings.batchSize) {
        const batch = order.slice(s, s + settings.batchSize);
        tf.tidy(() => {
          const xb = tf.gather(x, tf.tensor1d(batch, 'int32'));
          const yb = tf.oneHot(
            tf.tensor1d(
              batch.map((r) => labels[r]),
              'int32',
            ),
            k,
          );
          opt.minimize(() => {
            const z = tf.add(tf.matMul(xb, w), b);
            const ce = tf.mean(tf.neg(tf.sum(tf.mul(yb, tf.logSoftmax(z)), 1)));
            return tf.add(ce, tf.mul(settings.weightDecay / 2, tf.sum(tf.square(w)))) as tf.Scalar;
          });
        });
        steps++;
      }
    }
    assert.equal(ours.steps, steps);
    close(ours.head.kernel, w.dataSync(), 2e-5, 'kernel');
    close(ours.head.bias, b.dataSync(), 2e-5, 'bias');
    tf.dispose([w, b, x]);
    opt.dispose();
    // The input head is untouched, and the same seed gives the same head.
    const again = retrainHead({ kernel, bias }, { features, labels, dim }, settings, 11);
    assert.deepEqual(again.head.kernel, ours.head.kernel);
    assert.deepEqual(again.head.bias, ours.head.bias);
  });

  test('class-balanced draws: each class 1/C, each row uniform within its class', () => {
    // Classes of 1, 10 and 100 rows (and an absent class 3): each present class 1/3 of the draws.
    const labels = [0, ...Array(10).fill(1), ...Array(100).fill(2)];
    const draws = classBalancedDraws(labels, 4, 30_000, new Rng(3));
    const perClass = [0, 0, 0, 0];
    const perRow = new Array(labels.length).fill(0);
    for (const r of draws) {
      perClass[labels[r]]++;
      perRow[r]++;
    }
    assert.equal(perClass[3], 0);
    // sd of a share over 30,000 draws at p = 1/3: 0.0027; 4 sd.
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(perClass[c] / 30_000 - 1 / 3) < 0.011);
    // Class 1's rows: 1/30 each (sd 0.001 over 30,000 draws).
    for (let r = 1; r <= 10; r++) assert.ok(Math.abs(perRow[r] / 30_000 - 1 / 30) < 0.0045);
  });

  test('CCVR: the merged per-class statistics equal the pooled rows statistics (eqs. 3-4)', () => {
    const rng = new Rng(9);
    const dim = 3;
    const site = (n: number, bias: number): LabelledFeatures => ({
      features: Float32Array.from({ length: n * dim }, () => rng.normal(bias, 1 + bias)),
      labels: Array.from({ length: n }, () => (rng.float() < 0.2 + 0.3 * bias ? 1 : 0)),
      dim,
    });
    const sites = [site(12, 0), site(30, 1), site(7, 2), site(1, 0)];
    const pooled: LabelledFeatures = {
      features: Float32Array.from(sites.flatMap((s) => [...s.features])),
      labels: sites.flatMap((s) => [...Array.from(s.labels)]),
      dim,
    };
    const merged = mergeClassStats(sites.map((s) => classFeatureStats(s, 3)));
    const direct = classFeatureStats(pooled, 3);
    for (let c = 0; c < 3; c++) {
      assert.equal(merged[c].count, direct[c].count);
      close(merged[c].mean, direct[c].mean, 1e-9, `mean ${c}`);
      close(merged[c].covariance, direct[c].covariance, 1e-9, `covariance ${c}`);
    }
    assert.equal(merged[2].count, 0);
    // Bytes: per class present, count + mean + the covariance's upper triangle (or diagonal).
    const one = classFeatureStats(sites[1], 3);
    const present = one.filter((s) => s.count > 0).length;
    assert.equal(classStatsFloats(one, 'full'), present * (1 + 3 + 6));
    assert.equal(classStatsFloats(one, 'diagonal'), present * (1 + 3 + 3));
  });

  test('virtual features follow the class Gaussians; Cholesky reproduces the matrix', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 3, 0.5, 0.4, 0.5, 1]);
    const l = choleskyWithJitter(a, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let p = 0; p < 3; p++) s += l[i * 3 + p] * l[j * 3 + p];
        assert.ok(Math.abs(s - a[i * 3 + j]) < 1e-4, `LL^T[${i},${j}]`);
      }
    // A singular covariance (a dead unit) still factorises.
    choleskyWithJitter(Float64Array.from([1, 0, 0, 0]), 2);
    const stats = [
      { count: 10, mean: Float64Array.from([1, -2, 0.5]), covariance: a },
      { count: 0, mean: new Float64Array(3), covariance: new Float64Array(9) },
    ];
    const m = 20_000;
    const v = sampleVirtualFeatures(stats, m, new Rng(4));
    assert.equal(v.labels.length, m);
    assert.ok(Array.from(v.labels).every((y) => y === 0));
    const back = classFeatureStats(v, 2)[0];
    close(back.mean, stats[0].mean, 0.05, 'sample mean');
    close(back.covariance, a, 0.12, 'sample covariance');
    const diag = classFeatureStats(sampleVirtualFeatures(stats, m, new Rng(4), 'diagonal'), 2)[0];
    close(diag.covariance, [4, 0, 0, 0, 3, 0, 0, 0, 1], 0.12, 'diagonal covariance');
  });

  test('CCVR de-biases a head from two one-class sites statistics alone', () => {
    // Site A holds only class 0 around (2, 0), site B only class 1 around (0, 2); the head starts
    // biased to class 0 (bias 5): 50% on the pooled rows. The coordinator sees only statistics.
    const rng = new Rng(21);
    const rows = (n: number, c: number): LabelledFeatures => ({
      features: Float32Array.from({ length: 2 * n }, (_, i) =>
        i % 2 === c ? 2 + rng.normal(0, 0.3) : rng.normal(0, 0.3),
      ),
      labels: Array(n).fill(c),
      dim: 2,
    });
    const a = rows(40, 0);
    const b = rows(15, 1);
    const biased = { kernel: f(1, 0, 0, 1), bias: f(5, 0) };
    const pooled: LabelledFeatures = {
      features: Float32Array.from([...a.features, ...b.features]),
      labels: [...Array.from(a.labels), ...Array.from(b.labels)],
      dim: 2,
    };
    assert.ok(headAccuracy(biased, pooled) < 0.75);
    const settings = {
      virtualPerClass: 100,
      covariance: 'full' as const,
      head: headCalibrationSettings({ learningRate: 0.1 }),
    };
    const out = calibrateFromClassStats(
      biased,
      [classFeatureStats(a, 2), classFeatureStats(b, 2)],
      settings,
      3,
    );
    assert.equal(headAccuracy(out.head, pooled), 1);
    // Seeded: the same statistics and seed give the same head.
    const again = calibrateFromClassStats(
      biased,
      [classFeatureStats(a, 2), classFeatureStats(b, 2)],
      settings,
      3,
    );
    assert.deepEqual(again.head, out.head);
  });

  test('settings are checked field by field', () => {
    assert.throws(() => headCalibrationSettings({ epochs: 0 }), ValidationError);
    assert.throws(() => headCalibrationSettings({ learningRate: -1 }), ValidationError);
    assert.throws(() => headCalibrationSettings({ momentum: 1 }), ValidationError);
    assert.equal(headCalibrationSettings({}).epochs, 10);
    assert.throws(
      () => headCalibrationSettings({ epoch: 3 } as Partial<HeadCalibrationSettings>),
      ValidationError,
    );
    assert.throws(() => classBalancedDraws([0, 3], 3, 1, new Rng(1)), RangeError);
  });
});
