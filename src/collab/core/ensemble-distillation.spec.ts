import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { distillationLoss } from './codistill';
import {
  distillationGradient,
  ensembleDistill,
  ensembleTargets,
  gatherRows,
  serverDistillationSettings,
  type DistillationStudent,
} from './ensemble-distillation';
import { ValidationError } from '../../platform/errors/domain-error';
import type { WeightSet } from './weights';

const f = (...v: number[]) => Float32Array.from(v);

/**
 * A linear softmax model z = W x + b (W [k, d] row-major, b [k]) on fixed public inputs, trained
 * by plain gradient descent with the closed-form gradient dL/dW = sum_r g_r x_r^T, dL/db =
 * sum_r g_r, g = distillationGradient: a real student for the procedure, in closed form.
 */
class LinearStudent implements DistillationStudent {
  readonly rows: number;
  private w: Float32Array[] = [];
  private lr = 0;

  constructor(
    private readonly x: readonly number[][],
    readonly classes: number,
  ) {
    this.rows = x.length;
  }

  logitsOf(w: WeightSet, rows: readonly number[]): Float32Array {
    const k = this.classes;
    const d = this.x[0].length;
    const out = new Float32Array(rows.length * k);
    rows.forEach((r, i) => {
      for (let c = 0; c < k; c++) {
        let z = w[1][c];
        for (let j = 0; j < d; j++) z += w[0][c * d + j] * this.x[r][j];
        out[i * k + c] = z;
      }
    });
    return out;
  }

  predict(rows: readonly number[], weights?: WeightSet): Promise<Float32Array> {
    return Promise.resolve(this.logitsOf(weights ?? this.w, rows));
  }

  begin(weights: WeightSet, learningRate: number): void {
    this.w = weights.map((w) => Float32Array.from(w));
    this.lr = learningRate;
  }

  step(rows: readonly number[], targets: Float32Array, temperature: number): Promise<number> {
    const z = this.logitsOf(this.w, rows);
    const loss = distillationLoss(z, targets, this.classes, temperature);
    const g = distillationGradient(z, targets, this.classes, temperature);
    const d = this.x[0].length;
    rows.forEach((r, i) => {
      for (let c = 0; c < this.classes; c++) {
        const gc = g[i * this.classes + c];
        for (let j = 0; j < d; j++) this.w[0][c * d + j] -= this.lr * gc * this.x[r][j];
        this.w[1][c] -= this.lr * gc;
      }
    });
    return Promise.resolve(loss);
  }

  weights(): Float32Array[] {
    return this.w.map((w) => Float32Array.from(w));
  }

  end(): void {}
}

describe('server-side ensemble distillation (FedDF, Lin et al. NeurIPS 2020, Algorithm 1)', () => {
  test('gradient of T^2 KL(p || softmax(z/T)) is T (q - p) / rows (Hinton et al. 2015, eq. 2 x T^2): hand case and finite differences', () => {
    // One row, T = 1: q = softmax(0, ln 3) = (1/4, 3/4), p = (1/2, 1/2) -> (-1/4, +1/4).
    const g1 = distillationGradient(f(0, Math.log(3)), f(0.5, 0.5), 2, 1);
    assert.ok(Math.abs(g1[0] + 0.25) < 1e-6 && Math.abs(g1[1] - 0.25) < 1e-6, `${g1}`);
    // A linear softmax model on 2 points, T = 2: dL/dW from the formula against central
    // differences of the loss itself.
    const x = [
      [1, -0.5],
      [0.3, 2],
    ];
    const student = new LinearStudent(x, 3);
    const w: Float32Array[] = [f(0.2, -0.1, 0.4, 0.3, -0.6, 0.1), f(0.05, -0.2, 0.1)];
    const p = f(0.7, 0.2, 0.1, 0.1, 0.3, 0.6);
    const T = 2;
    const rows = [0, 1];
    const loss = (ws: WeightSet) => distillationLoss(student.logitsOf(ws, rows), p, 3, T);
    const g = distillationGradient(student.logitsOf(w, rows), p, 3, T);
    for (let c = 0; c < 3; c++)
      for (let j = 0; j < 2; j++) {
        const analytic = g[c] * x[0][j] + g[3 + c] * x[1][j];
        const h = 1e-3;
        const plus = w.map((a) => Float64Array.from(a));
        const minus = w.map((a) => Float64Array.from(a));
        plus[0][c * 2 + j] += h;
        minus[0][c * 2 + j] -= h;
        const numeric =
          (loss(plus.map((a) => Float32Array.from(a))) -
            loss(minus.map((a) => Float32Array.from(a)))) /
          (2 * h);
        assert.ok(Math.abs(analytic - numeric) < 2e-3, `W[${c},${j}]: ${analytic} vs ${numeric}`);
      }
  });

  test('the teacher is softmax of the sites’ averaged logits at T (the paper’s AvgLogits)', () => {
    // z1 = (0, 2), z2 = (2, 0): mean (1, 1) -> (1/2, 1/2), whatever T; not the mean of the
    // sites' softmaxes' argmax. Row 2: mean (0, ln 4) at T = 2 -> softmax(0, ln 2) = (1/3, 2/3).
    const t = ensembleTargets([f(0, 2, 0, 0), f(2, 0, 0, 2 * Math.log(4))], 2, 2);
    const expected = [0.5, 0.5, 1 / 3, 2 / 3];
    t.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${[...t]}`));
    assert.deepEqual([...gatherRows(f(1, 2, 3, 4, 5, 6), [2, 0], 2)], [5, 6, 1, 2]);
  });

  test('fixed point: identical site models -> the distilled model is the average, unchanged', async () => {
    const x = Array.from({ length: 20 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
    const site: Float32Array[] = [f(0.5, -1, 0.3, 0.8, -0.2, 0.1), f(0.1, 0, -0.3)];
    const student = new LinearStudent(x, 3);
    const s = serverDistillationSettings({ steps: 40, evalEvery: 5, learningRate: 0.5 });
    const out = await ensembleDistill([site, site, site], site, student, s, 1);
    assert.equal(out.bestStep, 0);
    assert.ok(out.initialLoss < 1e-6, `${out.initialLoss}`);
    assert.deepEqual(
      out.weights.map((w) => [...w]),
      site.map((w) => [...w]),
    );
  });

  test('linear sites: the ensemble teacher is the uniform weight average, and distillation moves a skewed average there', async () => {
    // For z = W x + b the mean of the sites' logits is the logits of their mean weights, so
    // KL to the teacher is 0 exactly at the uniform average: starting from a 0.9 / 0.1
    // (sample-weighted) average, the distilled weights move towards the uniform one and the
    // held-out loss falls.
    const x = Array.from({ length: 60 }, (_, i) => [Math.sin(1.3 * i), Math.cos(0.7 * i)]);
    const a: Float32Array[] = [f(2, 0, 0, 2, -1, -1), f(0, 0, 0)];
    const b: Float32Array[] = [f(-1, 0, 0, -1, 2, 1), f(0.5, 0, -0.5)];
    const mix = (u: number) => a.map((w, t) => w.map((v, j) => u * v + (1 - u) * b[t][j]));
    const uniform = mix(0.5);
    const skewed = mix(0.9);
    const dist = (w: WeightSet) =>
      Math.sqrt(
        w.reduce((s, v, t) => s + v.reduce((q, e, j) => q + (e - uniform[t][j]) ** 2, 0), 0),
      );
    const student = new LinearStudent(x, 3);
    const s = serverDistillationSettings({
      steps: 2000,
      evalEvery: 50,
      patience: 5,
      learningRate: 1,
      batchSize: 16,
    });
    const out = await ensembleDistill([a, b], skewed, student, s, 3);
    assert.ok(out.bestStep > 0);
    assert.ok(out.bestLoss < out.initialLoss / 10, `${out.initialLoss} -> ${out.bestLoss}`);
    assert.ok(dist(out.weights) < dist(skewed) / 3, `${dist(skewed)} -> ${dist(out.weights)}`);
    // Same seed, same result (the held-out slice and the batches are seeded).
    const again = await ensembleDistill([a, b], skewed, new LinearStudent(x, 3), s, 3);
    assert.deepEqual(again.weights, out.weights);
  });

  test('early stopping keeps the best held-out weights, never worse than the average', async () => {
    // A step size far too large makes every step worse: the average is returned after `patience`
    // evaluations.
    const x = Array.from({ length: 30 }, (_, i) => [Math.sin(i), Math.cos(i)]);
    const a: Float32Array[] = [f(1, 0, 0, 1, 0, 0), f(0, 0, 0)];
    const b: Float32Array[] = [f(0, 1, 1, 0, 0, 0), f(0, 0, 1)];
    const avg = a.map((w, t) => w.map((v, j) => 0.8 * v + 0.2 * b[t][j]));
    const s = serverDistillationSettings({
      steps: 1000,
      evalEvery: 10,
      patience: 2,
      learningRate: 1e4,
    });
    const out = await ensembleDistill([a, b], avg, new LinearStudent(x, 3), s, 0);
    assert.ok(out.bestLoss <= out.initialLoss);
    assert.ok(out.steps <= 30 && out.steps >= 20, `${out.steps}`);
    assert.equal(out.bestStep, 0);
    assert.deepEqual(out.weights, avg);
  });

  test('settings: defaults (Adam 1e-3, T = 1) and a 400 naming the field on bad values', () => {
    const d = serverDistillationSettings({});
    assert.equal(d.learningRate, 0.001);
    assert.equal(d.temperature, 1);
    const bad: [Record<string, number>, string][] = [
      [{ steps: 0 }, 'serverDistillation.steps'],
      [{ steps: 2.5 }, 'serverDistillation.steps'],
      [{ temperature: 0 }, 'serverDistillation.temperature'],
      [{ learningRate: Number.NaN }, 'serverDistillation.learningRate'],
      [{ batchSize: -1 }, 'serverDistillation.batchSize'],
      [{ validationFraction: 1 }, 'serverDistillation.validationFraction'],
    ];
    for (const [s, field] of bad)
      assert.throws(
        () => serverDistillationSettings(s),
        (e: unknown) => e instanceof ValidationError && e.message.startsWith(`${field}:`),
        field,
      );
  });
});
