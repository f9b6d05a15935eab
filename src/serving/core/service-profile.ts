import { Rng } from '../../platform/core/rng';
import { quantileSorted } from './open-loop';

/**
 * Profiling the service time of one model instance per batch size, with a stopping rule that
 * makes the p99 stable: after `warmup` discarded batches (JIT, TF.js kernel compilation, the
 * first allocations), samples are taken in rounds of `roundSize` until the 95% bootstrap
 * confidence interval of the p99 (percentile bootstrap, Efron & Tibshirani 1993, ch. 13) has a
 * half-width within `targetRelCi` of the p99, or `maxSamples` are in, or the size's time budget
 * is spent (then the row says `converged: false`).
 */
export interface ProfileOptions {
  batchSizes: number[];
  warmup: number;
  minSamples: number;
  maxSamples: number;
  roundSize: number;
  targetRelCi: number;
  /** Wall-time budget per batch size in ms (the adapter's clock), after warm-up. */
  maxMsPerSize: number;
  bootstrapResamples: number;
  seed: number;
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = {
  batchSizes: [1, 2, 4, 8, 16],
  warmup: 20,
  minSamples: 200,
  maxSamples: 3000,
  roundSize: 100,
  targetRelCi: 0.05,
  maxMsPerSize: 20_000,
  bootstrapResamples: 200,
  seed: 0,
};

export interface ProfileRow {
  batchSize: number;
  /** Service times of the measured batches in ms, in measurement order. */
  latenciesMs: number[];
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Half-width of the p99's 95% bootstrap CI relative to the p99. */
  p99RelCi: number;
  converged: boolean;
}

export interface ServiceProfile {
  rows: ProfileRow[];
  /** The stopping rule, in words, as stored with the profile. */
  rule: string;
  /** Largest batch per second one instance sustains: max over b of b / mean(b). */
  capacityPerInstanceRps: number;
}

export interface ProfileHooks {
  now: () => number;
  onProgress?: (fraction: number, message: string) => void | Promise<void>;
  cancelled?: () => boolean;
  /** Called when a batch size is done (e.g. to log its row). */
  onRow?: (row: ProfileRow) => void | Promise<void>;
}

/**
 * Service times of one or more batches of `batchSize` requests, in ms (measured by the adapter;
 * several when it runs one batch on each of several instances at once, as they would serve).
 */
export type MeasureBatch = (batchSize: number) => Promise<number[]>;

export function checkProfileOptions(o: ProfileOptions): void {
  const sizes = o.batchSizes;
  if (sizes.length === 0 || sizes.some((b) => !Number.isInteger(b) || b < 1))
    throw new RangeError(`batchSizes must be positive integers, got ${JSON.stringify(sizes)}`);
  if (new Set(sizes).size !== sizes.length)
    throw new RangeError(`batchSizes must be distinct, got ${JSON.stringify(sizes)}`);
  if (!(o.minSamples >= 20 && o.maxSamples >= o.minSamples))
    throw new RangeError(
      `need 20 <= minSamples <= maxSamples, got ${o.minSamples}, ${o.maxSamples}`,
    );
  if (!(o.targetRelCi > 0 && o.targetRelCi < 1))
    throw new RangeError(`targetRelCi must be in (0, 1), got ${o.targetRelCi}`);
}

export async function profileService(
  measure: MeasureBatch,
  options: ProfileOptions,
  hooks: ProfileHooks,
): Promise<ServiceProfile> {
  checkProfileOptions(options);
  const o = options;
  const sizes = o.batchSizes.slice().sort((a, b) => a - b);
  const rows: ProfileRow[] = [];
  const rng = new Rng(o.seed);
  for (const [k, b] of sizes.entries()) {
    for (let w = 0; w < o.warmup; w++) await measure(b);
    const xs: number[] = [];
    const start = hooks.now();
    let relCi = Infinity;
    while (xs.length < o.maxSamples) {
      if (hooks.cancelled?.()) throw new Error('profiling cancelled');
      const round = xs.length + o.roundSize;
      while (xs.length < Math.min(round, o.maxSamples)) xs.push(...(await measure(b)));
      xs.length = Math.min(xs.length, o.maxSamples);
      if (xs.length >= o.minSamples) {
        relCi = p99BootstrapRelCi(xs, rng, o.bootstrapResamples);
        if (relCi <= o.targetRelCi) break;
      }
      if (hooks.now() - start > o.maxMsPerSize) break;
      await hooks.onProgress?.(
        (k + Math.min(1, xs.length / o.maxSamples)) / sizes.length,
        `batch ${b}: ${xs.length} samples, p99 CI +-${fmtPct(relCi)}`,
      );
    }
    if (xs.length < o.minSamples) relCi = p99BootstrapRelCi(xs, rng, o.bootstrapResamples);
    rows.push(row(b, xs, relCi, relCi <= o.targetRelCi));
    await hooks.onRow?.(rows[rows.length - 1]);
    await hooks.onProgress?.(
      (k + 1) / sizes.length,
      `batch ${b}: ${xs.length} samples, p99 ${rows[rows.length - 1].p99Ms.toFixed(2)} ms +-${fmtPct(relCi)}`,
    );
  }
  return {
    rows,
    rule: profileRule(o),
    capacityPerInstanceRps: Math.max(...rows.map((r) => (r.batchSize / r.meanMs) * 1000)),
  };
}

export function profileRule(o: ProfileOptions): string {
  return (
    `${o.warmup} warm-up batches discarded, then rounds of ${o.roundSize} until the p99's 95% ` +
    `bootstrap CI (${o.bootstrapResamples} resamples) is within +-${fmtPct(o.targetRelCi)} ` +
    `(at least ${o.minSamples}, at most ${o.maxSamples} samples or ${o.maxMsPerSize / 1000} s per batch size)`
  );
}

function row(batchSize: number, xs: number[], relCi: number, converged: boolean): ProfileRow {
  const sorted = Float64Array.from(xs).sort();
  return {
    batchSize,
    latenciesMs: xs,
    meanMs: xs.reduce((a, x) => a + x, 0) / xs.length,
    p50Ms: quantileSorted(sorted, 0.5),
    p99Ms: quantileSorted(sorted, 0.99),
    p99RelCi: relCi,
    converged,
  };
}

/**
 * Half-width of the 95% percentile-bootstrap CI of the p99, relative to the sample's p99:
 * (q97.5 - q2.5) / 2 / p99 over `resamples` resamples with replacement.
 */
export function p99BootstrapRelCi(xs: readonly number[], rng: Rng, resamples: number): number {
  const n = xs.length;
  const sorted = Float64Array.from(xs).sort();
  const p99 = quantileSorted(sorted, 0.99);
  const est = new Float64Array(resamples);
  // Resampling indices into the sorted sample and sorting them sorts the resample.
  const idx = new Uint32Array(n);
  const re = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng.float() * n);
    idx.sort();
    for (let i = 0; i < n; i++) re[i] = sorted[idx[i]];
    est[b] = quantileSorted(re, 0.99);
  }
  est.sort();
  const half = (quantileSorted(est, 0.975) - quantileSorted(est, 0.025)) / 2;
  return p99 > 0 ? half / p99 : Infinity;
}

function fmtPct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a';
}
