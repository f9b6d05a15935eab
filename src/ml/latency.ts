import * as tf from '@tensorflow/tfjs';

export interface LatencyOptions {
  batchSize?: number;
  runs?: number;
  warmup?: number;
}

export interface Latency {
  batchSize: number;
  runs: number;
  medianMs: number;
  p90Ms: number;
}

/**
 * Measured inference latency: median (and p90) wall time of `runs` timed predictions of one batch
 * of zeros, after `warmup` untimed ones (the first calls compile/allocate). Each timing includes
 * reading the output back (dataSync), so asynchronous backends are timed to completion.
 */
export function measureLatency(model: tf.LayersModel, options: LatencyOptions = {}): Latency {
  const batchSize = options.batchSize ?? 1;
  const runs = options.runs ?? 20;
  const warmup = options.warmup ?? 3;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(runs) || runs < 1)
    throw new RangeError(`runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new RangeError(`warmup must be an integer >= 0, got ${warmup}`);
  const shape = [batchSize, ...model.inputs[0].shape.slice(1).map((d) => d ?? 1)];
  const input = tf.zeros(shape);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      // One pass over the whole batch: predict's default would split it into passes of 32.
      tf.tidy(() => (model.predict(input, { batchSize }) as tf.Tensor).dataSync());
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    input.dispose();
  }
  times.sort((a, b) => a - b);
  const mid = times.length / 2;
  const median =
    times.length % 2 === 1 ? times[Math.floor(mid)] : (times[mid - 1] + times[mid]) / 2;
  const p90 = times[Math.min(times.length - 1, Math.ceil(0.9 * times.length) - 1)];
  return { batchSize, runs, medianMs: median, p90Ms: p90 };
}
