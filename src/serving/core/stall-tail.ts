/**
 * Stalls: the load-dependent tail of a delay on the request's path (issue 17). A segment outside
 * the model's compute (the hop through the generator and the sockets, the thread hand-off of a
 * batch) is a short base delay most of the time, and sometimes a stall: a thread of the path
 * woke to find the host's cores taken (or paused for GC) and waited. The traces show the shape:
 * a median under 2 ms and a p99 of 8-50 ms, the p99 growing with the rate while the median does
 * not (docs/benchmarks.md, issue 17 sections).
 *
 * Model: delay = base + Bernoulli(probability) x Exp(meanMs). Beyond the base's spread the tail is
 * P(delay > median + t) = probability x exp(-t / meanMs) (the base's median stands for the base).
 * Fit, peaks over a threshold u (the p90; the median when the p90 is the median): an exponential
 * tail is memoryless, so the excesses x - u of the samples above u are Exp(s), and s is their
 * median / ln 2 (the top 10% of the samples count, where a p99 rests on 1%: 8 of a 12 s
 * calibration run; the median rather than the mean, so that one 150 ms pause among the 80
 * excesses of a calibration does not move s by 2 ms); then P(delay > u) = p exp(-(u - median) / s) gives
 * p = P(delay > u) exp((u - median) / s). For an exact mixture with p > 0.1 both are exact in the
 * limit (u = median + s ln(10 p)).
 *
 * How the stalls change with the load: a stall is a wake-up that finds every core taken, so the
 * model indexes the stalls by `coresFull`, the probability that `cores` or more of the host's
 * threads are busy at once (Poisson-binomial over their utilisations, serving-pipeline.ts). They
 * are fitted at two calibration runs (two utilisations) and interpolated linearly in coresFull
 * between them (extrapolated beyond, the probability clamped to [0, 1], the stall's mean kept
 * within the fitted ones): a measured curve, not an assumed law, since which thread a wake-up
 * waits for (a 1 ms loop turn, a batch, another process's slice) is not known from the outside.
 */
import { quantileSorted } from './open-loop';

export interface Stall {
  /** Probability that one delay includes a stall. */
  probability: number;
  /** Mean of a stall, ms (exponential). */
  meanMs: number;
  /**
   * A floor: the stall is minMs + Exp(meanMs - minMs) (core-stalls.ts: events are counted above
   * a threshold). Absent: 0, a plain exponential.
   */
  minMs?: number;
}

/** The stalls fitted at one utilisation of the host. */
export interface StallPoint {
  /** P(cores or more of the host's threads busy) at the calibration. */
  coresFull: number;
  stall: Stall;
}

export interface StallFit {
  medianMs: number;
  meanMs: number;
  /** Null with under 100 samples or under 10 above the threshold. */
  stall: Stall | null;
}

/** The stall mixture of a delay's samples, by quantile matching at its p90 and p99 (see above). */
export function fitStallTail(samples: readonly number[]): StallFit {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const meanMs = n > 0 ? sorted.reduce((a, x) => a + x, 0) / n : 0;
  const medianMs = n > 0 ? quantileSorted(sorted, 0.5) : 0;
  if (n < 100) return { medianMs, meanMs, stall: null };
  const u = Math.max(medianMs, quantileSorted(sorted, 0.9));
  const excess: number[] = [];
  for (const x of sorted) if (x > u) excess.push(x - u);
  const above = excess.length;
  // Sorted already (the samples were); the median excess of an Exp(s) is s ln 2.
  const s = above >= 10 ? quantileSorted(Float64Array.from(excess), 0.5) / Math.LN2 : 0;
  if (!(s > 0)) return { medianMs, meanMs, stall: null };
  const probability = Math.min(1, (above / n) * Math.exp((u - medianMs) / s));
  return { medianMs, meanMs, stall: { probability, meanMs: s } };
}

/**
 * The stalls at a host utilisation `coresFull`: the fitted points interpolated linearly in
 * coresFull (extrapolated beyond the outermost two), the probability clamped to [0, 1] and the
 * stall's mean kept within the fitted means. One point: its stalls at any load.
 */
export function stallAt(points: readonly StallPoint[], coresFull: number): Stall {
  if (points.length === 0) return { probability: 0, meanMs: 0 };
  const sorted = points.slice().sort((a, b) => a.coresFull - b.coresFull);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  const span = hi.coresFull - lo.coresFull;
  // Points at nearly one load say nothing of a slope: their mean at every load.
  if (sorted.length === 1 || !(span > 0.02) || !Number.isFinite(coresFull)) {
    const p = sorted.reduce((a, x) => a + x.stall.probability, 0) / sorted.length;
    const s = sorted.reduce((a, x) => a + x.stall.meanMs, 0) / sorted.length;
    return { probability: p, meanMs: s };
  }
  // The segment coresFull falls in (the outermost ones beyond the ends).
  let j = 1;
  while (j < sorted.length - 1 && coresFull > sorted[j].coresFull) j++;
  const a = sorted[j - 1];
  const b = sorted[j];
  const w = (coresFull - a.coresFull) / (b.coresFull - a.coresFull);
  const lerp = (x: number, y: number) => x + w * (y - x);
  const means = sorted.map((x) => x.stall.meanMs);
  return {
    probability: Math.min(1, Math.max(0, lerp(a.stall.probability, b.stall.probability))),
    meanMs: Math.min(
      Math.max(...means),
      Math.max(Math.min(...means), lerp(a.stall.meanMs, b.stall.meanMs)),
    ),
  };
}

/**
 * Piecewise-linear interpolation of values measured at several host loads, CLAMPED to the end
 * points (no extrapolation): for the request path's base figures, which the model should not
 * push past what was measured.
 */
export function interpolateClamped(
  points: readonly { coresFull: number; values: readonly number[] }[],
  coresFull: number,
): number[] {
  const sorted = points.slice().sort((a, b) => a.coresFull - b.coresFull);
  if (sorted.length === 0) return [];
  if (!(coresFull > sorted[0].coresFull)) return sorted[0].values.slice();
  const last = sorted[sorted.length - 1];
  if (coresFull >= last.coresFull) return last.values.slice();
  let j = 1;
  while (coresFull > sorted[j].coresFull) j++;
  const a = sorted[j - 1];
  const b = sorted[j];
  const w = (coresFull - a.coresFull) / (b.coresFull - a.coresFull);
  return a.values.map((x, i) => x + w * (b.values[i] - x));
}
