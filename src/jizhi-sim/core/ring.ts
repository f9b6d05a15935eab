import { Rng } from '../../platform/core/rng';
import { sig } from './stats';

/**
 * Data-parallel training on a ring of n GPUs (the ring parameter synchronisation iFlytek
 * described for its speech-model training, RSPS; the communication pattern is ring all-reduce,
 * Patarasuk & Yuan 2009). Each iteration every GPU computes its minibatch gradient (T_calc), then
 * the model, cut into n chunks, goes round the ring twice: n-1 reduce-scatter steps that transmit
 * and merge one chunk (T_transmit/n + T_merge/n) and n-1 all-gather steps that only transmit
 * (T_transmit/n). T_transmit is the time to send the whole model over one link, T_merge the time to
 * add a whole model. No overlap of compute and communication is assumed (the conservative case).
 *
 *   T(n) = T_calc + (n-1)/n * (2 T_transmit + T_merge),   speedup S(n) = n T_calc / T(n).
 */
export interface RingSpec {
  tCalcMs: number;
  tTransmitMs: number;
  tMergeMs: number;
  /** Coefficient of variation of each compute and link step (log-normal) for the simulation. */
  jitterCv?: number;
}

export function ringIterationMs(n: number, s: RingSpec): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  return s.tCalcMs + ((n - 1) / n) * (2 * s.tTransmitMs + s.tMergeMs);
}

export function ringSpeedup(n: number, s: RingSpec): number {
  return (n * s.tCalcMs) / ringIterationMs(n, s);
}

/** Parallel efficiency S(n)/n as n grows: the ring's per-GPU traffic tends to 2 T_transmit + T_merge. */
export function ringEfficiencyLimit(s: RingSpec): number {
  return s.tCalcMs / (s.tCalcMs + 2 * s.tTransmitMs + s.tMergeMs);
}

/**
 * Simulate `iterations` synchronous iterations with log-normal jitter on every compute and link
 * step. The ring is a max-plus recurrence: step k on the link (i-1 -> i) can start when GPU i-1
 * has finished step k-1 (it holds the chunk to send) and GPU i has finished step k-1 (its receive
 * buffer is free): done[i][k] = max(done[i][k-1], done[i-1][k-1]) + step time. With jitterCv = 0
 * it reproduces the formula exactly; with jitter the slowest GPU gates every step (stragglers).
 */
export function simulateRing(
  n: number,
  s: RingSpec,
  iterations: number,
  seed: number,
): { meanIterationMs: number; speedup: number } {
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new RangeError(`iterations must be an integer >= 1, got ${iterations}`);
  const rng = new Rng(seed);
  const cv = s.jitterCv ?? 0;
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  const jitter = (mean: number): number =>
    cv > 0 ? mean * Math.exp(sigma * rng.normal() - (sigma * sigma) / 2) : mean;
  let done = new Float64Array(n);
  let prev = new Float64Array(n);
  let calcSum = 0;
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) {
      const c = jitter(s.tCalcMs);
      calcSum += c;
      done[i] += c;
    }
    for (let k = 0; k < 2 * (n - 1); k++) {
      const swap = prev;
      prev = done;
      done = swap;
      const step = k < n - 1 ? (s.tTransmitMs + s.tMergeMs) / n : s.tTransmitMs / n;
      for (let i = 0; i < n; i++) {
        const left = prev[(i + n - 1) % n];
        done[i] = Math.max(prev[i], left) + jitter(step);
      }
    }
    // Synchronous SGD: the next iteration starts when the whole ring has the new model.
    let end = 0;
    for (let i = 0; i < n; i++) end = Math.max(end, done[i]);
    done.fill(end);
  }
  const meanIterationMs = done[0] / iterations;
  // The single-GPU baseline runs the same jittered compute without any ring.
  const singleMs = calcSum / (n * iterations);
  return { meanIterationMs, speedup: (n * singleMs) / meanIterationMs };
}

/** GPU counts per request: each is a row of the table (and a simulation). */
export const MAX_RING_ROWS = 32;
/** Largest ring a row may describe. */
export const MAX_RING_GPUS = 4096;

/** A ring request: the step times and the GPU counts to tabulate (schema: sim-specs.schema.ts). */
export interface RingRequest extends RingSpec {
  gpus: number[];
}

export interface RingRow {
  gpus: number;
  iterationMs: number;
  speedup: number;
  efficiency: number;
  simulatedIterationMs: number;
  simulatedSpeedup: number;
  /** Iterations simulated for this row (fewer for large rings, see MAX_RING_STEPS_PER_ROW). */
  simulatedIterations: number;
}

/**
 * Ring steps (GPU x step) one table row may simulate: an iteration of n GPUs costs about 2 n^2
 * steps, so large rings run fewer iterations (at least one) and a synchronous request stays well
 * under a second. Many GPUs give many jittered steps per iteration, so the mean stays stable.
 */
const MAX_RING_STEPS_PER_ROW = 20_000_000;

/**
 * Tabulates the analytical and simulated speedup for each GPU count of a checked request (what
 * a CLI or REST call answers when a user sizes a training job).
 */
export function ringTable(
  spec: RingRequest,
  options: { iterations?: number; seed?: number } = {},
): RingRow[] {
  const iterations = options.iterations ?? 200;
  return spec.gpus.map((n) => {
    const steps = n + 2 * (n - 1) * n;
    const its = Math.max(1, Math.min(iterations, Math.floor(MAX_RING_STEPS_PER_ROW / steps)));
    const sim = simulateRing(n, spec, its, options.seed ?? 0);
    const speedup = ringSpeedup(n, spec);
    return {
      gpus: n,
      iterationMs: sig(ringIterationMs(n, spec)),
      speedup: sig(speedup),
      efficiency: sig(speedup / n),
      simulatedIterationMs: sig(sim.meanIterationMs),
      simulatedSpeedup: sig(sim.speedup),
      simulatedIterations: its,
    };
  });
}

/** What POST /v1/ring answers: the formula, the efficiency limit and the table. */
export function ringReport(spec: RingRequest): {
  formula: string;
  efficiencyLimit: number;
  rows: RingRow[];
} {
  return {
    formula: 'T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge); S(n) = n T_calc / T(n)',
    efficiencyLimit: ringEfficiencyLimit(spec),
    rows: ringTable(spec),
  };
}
