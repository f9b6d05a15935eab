/** Synthetic models and data for the interpret specs and e2e tests (not part of the build). */
import { Rng } from '../../src/platform/core/rng';
import type { PredictFn, RgbImage } from '../../src/interpret/core/types';

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Standard normal training rows. */
export function gaussianRows(n: number, d: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
}

/** Two-class logistic model p(1 | x) = sigmoid(w . x + b), returned as [p0, p1]. */
export function logisticModel(w: readonly number[], b = 0): PredictFn<number[]> {
  return async (batch) =>
    batch.map((x) => {
      const p = sigmoid(x.reduce((s, v, j) => s + v * w[j], b));
      return [1 - p, p];
    });
}

/** 32x32 image of random 8x8 colour blocks. */
export function blockImage(seed: number, size = 32): RgbImage {
  const rng = new Rng(seed);
  const colours = Array.from({ length: 16 }, () => [
    rng.uniform(0.3, 1),
    rng.uniform(0.3, 1),
    rng.uniform(0.3, 1),
  ]);
  const data = new Float32Array(size * size * 3);
  const cell = size / 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = colours[Math.floor(y / cell) * 4 + Math.floor(x / cell)];
      for (let k = 0; k < 3; k++)
        data[(y * size + x) * 3 + k] = Math.min(1, Math.max(0, c[k] + rng.normal(0, 0.01)));
    }
  }
  return { width: size, height: size, data };
}
