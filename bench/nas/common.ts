/** Shared set-up of the NAS benchmarks: Fashion-MNIST subsets (or sklearn digits as fallback). */
import { existsSync } from 'node:fs';
import { Dataset } from '../../src/ml/data/dataset';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import { resizeDataset, shuffleDataset, tabularAsImages } from '../../src/ml/data/transforms';

export const argv = process.argv.slice(2);
export const flag = (name: string): boolean => argv.includes(`--${name}`);
export const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

export interface BenchImages {
  name: string;
  train: Dataset;
  test: Dataset;
}

/**
 * `trainSize` training and `testSize` test images, `side` x `side` pixels, from Fashion-MNIST when
 * Debian's dataset-fashion-mnist is installed, else scikit-learn's 8x8 digits (as images).
 */
export async function loadImages(
  trainSize: number,
  testSize: number,
  side: number,
): Promise<BenchImages> {
  const fmnist = '/usr/share/datasets/fashion-mnist';
  if (existsSync(`${fmnist}/train-images-idx3-ubyte.gz`)) {
    const p = await loadPackagedDataset('fashion-mnist');
    const pick = (ds: Dataset, n: number, seed: number): Dataset => {
      const s = shuffleDataset(ds, seed).select([...Array(n).keys()]);
      return side === 28 ? s : resizeDataset(s, { height: side, width: side }, 'bilinear');
    };
    return {
      name: `fashion-mnist ${side}x${side}`,
      train: pick(p.train, trainSize, 1),
      test: pick(p.test as Dataset, testSize, 2),
    };
  }
  const digits = shuffleDataset(
    tabularAsImages(
      (await loadPackagedDataset('sklearn-digits')).train,
      { height: 8, width: 8, channels: 1 },
      16,
    ),
    1,
  );
  const n = digits.labels.length;
  const nTest = Math.min(testSize, Math.floor(n / 4));
  return {
    name: 'sklearn digits 8x8',
    train: digits.select([...Array(Math.min(trainSize, n - nTest)).keys()]),
    test: digits.select([...Array(nTest).keys()].map((i) => n - 1 - i)),
  };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
}
