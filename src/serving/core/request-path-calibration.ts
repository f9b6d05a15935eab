/**
 * The model's `http` stage and hop calibrated from traced requests (issue 17), instead of the
 * event loop's metered busy time: on a shared host that is wall time inflated by preemption and
 * by the loop's other work, divided by the predicts, and came out 2-3x the loop time actually on
 * a request's path (docs/benchmarks.md, "Where the time goes over HTTP").
 *
 * From the stamps of traced requests (request-timeline.ts) on one run:
 * - the loop's on-path intervals of a request are [arrived, enqueued] (body, auth, routing,
 *   the handler up to the batcher) and [done, written] (the reply message read, the answer
 *   built), done being the end of the batch's service (enqueued + queue + service);
 * - their UNION over all requests is the time the loop was on some request's path. Requests
 *   handled in one turn overlap (a request's middleware interval holds the earlier ones' work),
 *   so a union counts that work once where a sum of segments would count the wait as service;
 *   the simulator adds the waits itself. Divided by the requests: the loop's time per request;
 * - the union of the reply intervals [done, resolved] over the batches (every request of a
 *   batch resolves in the same turn): the loop's time per model batch;
 * - the connected pieces of the union are the loop's stretches with a request on its path (a
 *   turn, or turns back to back): requests and ms per stretch, the batching the `http` stage
 *   does;
 * - the hop is the mean of what lies outside the API: scheduled -> headers parsed, and answer
 *   written -> latency recorded (the generator's send lag, the two socket hops, its settle),
 *   with a floor fitted so that a shifted exponential has the measured mean and median (the hop
 *   is right-skewed: its stalls are the generator's GC and late timers).
 *
 * Pure: no clock, no I/O. The runs it is given are the deployment's own hardware's, so what it
 * returns is a measurement of that host, not a constant.
 */
import { quantileSorted } from './open-loop';
import { segmentsOf, type TimelineStamps } from './request-timeline';
import { fitStallTail, type Stall } from './stall-tail';

/** A traced request and the size of the batch that served it. */
export interface CalibrationTrace extends TimelineStamps {
  batchSize: number;
  /** The API's GC counters when it wrote the answer (cumulative count and ms; gc-pauses.ts). */
  gcCount?: number;
  gcMs?: number;
}

export interface RequestPathCalibration {
  /** The loop's on-path time per request, ms (the per-batch part included). */
  eventLoopMs: number;
  /** The loop's on-path time per model batch (the reply), ms, at `batchSize` requests per batch. */
  perBatchMs: number;
  batchSize: number;
  /** Stretches of the loop with a request on its path (turns, or turns back to back): their number, requests and ms per stretch. */
  turns: number;
  requestsPerTurn: number;
  msPerTurn: number;
  /** Outside the API per request (the generator and the two socket hops), ms: the model's hop. */
  hopMs: number;
  /** The hop's floor: the shifted exponential hopMinMs + Exp(hopMs - hopMinMs) has its median. */
  hopMinMs: number;
  /**
   * The hop's stalls (stall-tail.ts: its p90 and p99 above its median), null when its tail is no
   * heavier than the base's. With them the base hop is hopBaseMs (hopMs less the mean stall)
   * with floor hopBaseMinMs.
   */
  hopStall: Stall | null;
  hopBaseMs: number;
  hopBaseMinMs: number;
  /** The thread hand-off (service - compute) of the served batches: mean, and its stalls likewise. */
  handoffMs: number;
  handoffStall: Stall | null;
  /** The requests it is taken from. */
  requests: number;
}

export type Interval = readonly [number, number];

/** The stamps a request's on-path intervals need (a traced request's, or the API meter's). */
export type PathStamps = Pick<
  TimelineStamps,
  'arrived' | 'enqueued' | 'queueMs' | 'serviceMs' | 'resolved' | 'written'
>;

/**
 * A request's on-path loop intervals, [arrived, enqueued] and [done, written], and its batch's
 * reply interval [done, resolved]; done is the batch's end by the runtime's figures, never after
 * the handler resumed (the two clocks' rounding) nor before the submit.
 */
export function pathIntervals(t: PathStamps): { loop: [Interval, Interval]; reply: Interval } {
  const done = Math.max(t.enqueued, Math.min(t.enqueued + t.queueMs + t.serviceMs, t.resolved));
  return {
    loop: [
      [t.arrived, t.enqueued],
      [done, t.written],
    ],
    reply: [done, t.resolved],
  };
}

/**
 * The floor of the shifted exponential min + Exp(mean - min) whose median is `median`: its median
 * is min + (mean - min) ln 2, so min = (median - mean ln 2) / (1 - ln 2), kept in [0, mean] (a
 * hop skewed more than an exponential is a plain exponential; one not skewed right a constant).
 */
export function shiftedExponentialFloor(mean: number, median: number): number {
  if (!(mean > 0) || !(median < mean)) return Math.max(0, mean);
  return Math.min(mean, Math.max(0, (median - mean * Math.LN2) / (1 - Math.LN2)));
}

/** Length of the union of intervals and the number of its connected pieces. */
export function unionOf(intervals: readonly Interval[]): { length: number; pieces: number } {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let length = 0;
  let pieces = 0;
  let start = Number.NaN;
  let end = Number.NaN;
  for (const [a, b] of sorted) {
    if (pieces > 0 && a <= end) {
      end = Math.max(end, b);
      continue;
    }
    if (pieces > 0) length += end - start;
    start = a;
    end = b;
    pieces++;
  }
  if (pieces > 0) length += end - start;
  return { length, pieces };
}

/**
 * Per trace: whether the API's GC counter stepped between the request's scheduled time and its
 * answer (the counters of the last answer written before it was scheduled against its own), i.e.
 * whether an API GC pause may have delayed it. False where the counters were not recorded.
 */
export function touchedByGc(traces: readonly CalibrationTrace[]): boolean[] {
  const answers = traces
    .map((t, i) => ({ at: t.written, count: t.gcCount ?? Number.NaN, i }))
    .filter((a) => Number.isFinite(a.count) && Number.isFinite(a.at))
    .sort((a, b) => a.at - b.at);
  const out = traces.map(() => false);
  let k = -1;
  const bySchedule = traces
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => Number.isFinite(t.gcCount ?? Number.NaN))
    .sort((a, b) => a.t.scheduled - b.t.scheduled);
  for (const { t, i } of bySchedule) {
    while (k + 1 < answers.length && answers[k + 1].at <= t.scheduled) k++;
    out[i] = k >= 0 && (t.gcCount as number) > answers[k].count;
  }
  return out;
}

/**
 * The calibration from a run's traced requests (every request of the run traced: a sample would
 * split the turns' overlaps). Null when there is no complete trace to take it from.
 * `withoutGc`: the hop's and the hand-off's figures (means, medians, stalls) from the requests
 * no API GC pause touched (touchedByGc), for a model that draws the pauses itself (gc-pauses.ts);
 * the loop's time per request is from every request either way.
 */
export function calibrateRequestPath(
  traces: readonly CalibrationTrace[],
  opts: { withoutGc?: boolean } = {},
): RequestPathCalibration | null {
  const ok = traces.filter(
    (t) =>
      [t.arrived, t.enqueued, t.resolved, t.written, t.scheduled, t.recorded].every(
        Number.isFinite,
      ) && t.batchSize >= 1,
  );
  if (ok.length === 0) return null;
  const loop: Interval[] = [];
  const reply: Interval[] = [];
  let batches = 0;
  const outside: number[] = [];
  const handoffs: number[] = [];
  const touched = opts.withoutGc ? touchedByGc(ok) : ok.map(() => false);
  // With too few untouched requests for a fit, all of them.
  const skip = touched.filter((x) => !x).length >= 100 ? touched : ok.map(() => false);
  ok.forEach((t, i) => {
    const iv = pathIntervals(t);
    loop.push(...iv.loop);
    reply.push(iv.reply);
    batches += 1 / t.batchSize;
    if (skip[i]) return;
    const s = segmentsOf(t);
    outside.push(s.genLag + s.toServer + s.toClient + s.settle);
    handoffs.push(s.handoff);
  });
  const all = unionOf(loop);
  const replies = unionOf(reply);
  const n = ok.length;
  const hopMs = outside.reduce((a, x) => a + x, 0) / outside.length;
  const hopMedian = quantileSorted(Float64Array.from(outside).sort(), 0.5);
  const hopStall = fitStallTail(outside).stall;
  const hopBaseMs = Math.max(
    Math.min(hopMedian, hopMs),
    hopMs - (hopStall ? hopStall.probability * hopStall.meanMs : 0),
  );
  const handoff = fitStallTail(handoffs);
  return {
    eventLoopMs: all.length / n,
    perBatchMs: replies.length / batches,
    batchSize: n / batches,
    turns: all.pieces,
    requestsPerTurn: n / Math.max(1, all.pieces),
    msPerTurn: all.length / Math.max(1, all.pieces),
    hopMs,
    hopMinMs: shiftedExponentialFloor(hopMs, hopMedian),
    hopStall,
    hopBaseMs,
    hopBaseMinMs: shiftedExponentialFloor(hopBaseMs, hopMedian),
    handoffMs: handoff.meanMs,
    handoffStall: handoff.stall,
    requests: n,
  };
}
