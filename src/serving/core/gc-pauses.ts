/**
 * The API's garbage-collection pauses in the model of its event loop (issue 17: "where they
 * differ, find out why (GC pauses, ...) and model it").
 *
 * What the recorded runs showed (docs/benchmarks.md, "The p99's rare events"): the requests at or
 * above a run's p99 overlapped a GC pause of the API's main thread or of the load generator in
 * 91-100% of the cases at rho >= 0.5, where 15-43% of all requests did. A pause stops the event
 * loop, the ONE server in front of the batcher: the requests arriving meanwhile wait in the
 * socket, and at rho 0.8 the backlog of a pause of D ms takes about D rho / (1 - rho) = 4 D more
 * to drain, so a 10-20 ms scavenge puts tens of requests 20-80 ms late. The stalls fitted on the
 * hand-off's and the hop's tails (stall-tail.ts) are exponential and per turn; they carry the
 * calibration's common short waits, and a 12 s calibration samples 10-150 pauses whose longest
 * (the p99's cause) sit in the fit's tail as one or two points.
 *
 * Model: V8 collects the young generation when it has allocated a fixed amount (the semi-space),
 * and the API allocates about the same per request, so the pauses come per REQUEST, not per
 * second: `perRequest` pauses per request served (a scavenge every 1 / perRequest requests, at any
 * rate), each a draw from the pause durations measured in the calibration runs (empirical, not a
 * fitted shape: the tail is the point). An event-loop turn of b requests then includes
 * Poisson(b x perRequest) pauses (the exact Binomial's mean and, for perRequest << 1, its law),
 * on top of its b x loop time per request.
 *
 * Measured in band: the API's trace header carries its GC counters (count and ms, cumulative,
 * src/serving/request-trace.ts), so consecutive answers' counters give each pause and the
 * requests served between them (pausesFromCounters).
 */
import { Rng } from '../../platform/core/rng';

export interface LoopPauses {
  /** Pauses per request served. */
  perRequest: number;
  /** Measured pause durations, ms (sampled uniformly). */
  pausesMs: number[];
}

/** One answer's view of the API's GC counters: when it was written, and the cumulative counts. */
export interface GcReading {
  /** The answer written (epoch ms): the counters were read then. */
  at: number;
  gcCount: number;
  gcMs: number;
}

/**
 * The pauses between consecutive readings (sorted by time) and the requests they span: a
 * counter step of k pauses and m ms gives k pauses of m / k each (two pauses between two answers
 * are rare at the rates measured: 10-30 pauses a second against hundreds of answers). Readings
 * without counters (NaN) are skipped; a counter going backwards (another process) restarts.
 */
export function pausesFromCounters(readings: readonly GcReading[]): {
  pausesMs: number[];
  requests: number;
} {
  const r = readings
    .filter((x) => Number.isFinite(x.gcCount) && Number.isFinite(x.gcMs))
    .slice()
    .sort((a, b) => a.at - b.at);
  const pausesMs: number[] = [];
  for (let i = 1; i < r.length; i++) {
    const dk = r[i].gcCount - r[i - 1].gcCount;
    const dms = r[i].gcMs - r[i - 1].gcMs;
    if (!(dk > 0) || !(dms >= 0)) continue;
    for (let j = 0; j < dk; j++) pausesMs.push(dms / dk);
  }
  return { pausesMs, requests: Math.max(0, r.length - 1) };
}

/** Pooled over calibration runs: pauses per request and every pause measured; null without any. */
export function fitLoopPauses(
  runs: readonly { pausesMs: number[]; requests: number }[],
): LoopPauses | null {
  const pausesMs = runs.flatMap((r) => r.pausesMs);
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  if (pausesMs.length === 0 || requests <= 0) return null;
  return { perRequest: pausesMs.length / requests, pausesMs };
}

/** The pauses' mean time per request, ms (what a loop time measured with them holds of them). */
export function pauseMsPerRequest(p: LoopPauses): number {
  const mean = p.pausesMs.reduce((a, x) => a + x, 0) / p.pausesMs.length;
  return p.perRequest * mean;
}

/**
 * Turn sizes with a row of their own in the http stage's empirical service: every size to 16
 * (the simulator interpolates linearly in b between rows with one quantile, exact for a linear
 * part but not for the pauses' 1 - (1 - q)^b), then coarser up to 256.
 */
export const PAUSE_TURN_SIZES: readonly number[] = [
  ...Array.from({ length: 16 }, (_, i) => i + 1),
  24,
  32,
  48,
  64,
  128,
  256,
];

/**
 * `n` samples of a turn of `b` requests' pause time: Poisson(b x perRequest) pauses, each one of
 * the measured ones. Stratified rather than random, so that 2000 samples carry the law's mean
 * (at b = 1 a random draw of 2000 is off by 3% in its mean pause time, and the simulated loop's
 * utilisation with it): the counts are the Poisson quantiles at (i + 1/2) / n, and the pauses
 * are taken in turn from the measured list in an order shuffled by `label` (the same pipeline
 * on every call).
 */
export function pauseSamples(p: LoopPauses, b: number, n: number, label: string): number[] {
  const rng = new Rng(`pauses-${label}-${b}`);
  const order = p.pausesMs.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const lambda = b * p.perRequest;
  let next = 0;
  const out = new Array<number>(n);
  // Walk the Poisson CDF alongside the ascending strata.
  let k = 0;
  let pk = Math.exp(-lambda);
  let cdf = pk;
  for (let i = 0; i < n; i++) {
    const u = (i + 0.5) / n;
    while (u > cdf && pk > 0) {
      k++;
      pk *= lambda / k;
      cdf += pk;
    }
    let ms = 0;
    for (let j = 0; j < k; j++) ms += order[next++ % order.length];
    out[i] = ms;
  }
  // The counts rise with i: shuffle so that rows paired sample by sample (the base's stall
  // draws) are independent.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
