/**
 * Core stalls: the rare 12-26 ms stretches in which the API's main thread waited for a CPU core
 * while a third thread (the load generator, or V8's GC threads of either process) held both of a
 * 2-core host's cores (docs/benchmarks.md, "Where the stalls come from: the cores, not the
 * sockets", session 14: perf sched traces beside the figure's runs). During one, every request
 * that reaches the API sits readable in its socket, and every batch result sits unread, until the
 * thread gets a core back; afterwards the backlog leaves in one turn. A handful of them per run
 * set the run's p99.
 *
 * stall-tail.ts fits the body of a delay's tail (a stall in ~20% of the hops, under a millisecond)
 * by quantile matching at the p90: these events are far rarer (under 1% of the requests) and far
 * longer, so they are not in that fit. They are a process in TIME, not per request: this file
 * finds them in a traced run (every request's TimelineStamps) and fits their rate per second and
 * their length, so that the model can draw them at the traced rate whatever the arrival rate.
 *
 * An event is a maximal union of overlapping intervals longer than `thresholdMs` in which
 *   - the generator's timer fired late (scheduled -> sent), or an answer sat unread in its socket
 *     (written -> received): the generator's thread was the one without a core, or
 *   - a request's bytes were in the kernel (`flushed`, else `sent`) and the API had not read its
 *     headers (`arrived`): a socket wait, or
 *   - a batch's result was ready (enqueued + queue + compute) and the main thread had not read it
 *     (enqueued + queue + service): a result wait.
 * Its length is the union's span: the longest wait inside it, or a chain of them.
 */
import type { TimelineStamps } from './request-timeline';

/** Waits above this are stalls: 12 ms is over 2x the host's worst platform hiccup (5.5 ms). */
export const CORE_STALL_THRESHOLD_MS = 12;

export interface Interval {
  startMs: number;
  endMs: number;
}

/** The core stalls fitted on one traced run. */
export interface CoreStallFit {
  /** Events per second of the traced window. */
  perSecond: number;
  /** Mean and shortest event length, ms (NaN without events). */
  meanMs: number;
  minMs: number;
  count: number;
  windowS: number;
}

/** The core stalls at one host load (the coresFull of stall-tail.ts), for interpolation. */
export interface CoreStallPoint {
  coresFull: number;
  perSecond: number;
  meanMs: number;
  minMs: number;
}

/** The waits over `thresholdMs` of each request, as intervals (epoch ms). */
export function longWaits(
  stamps: readonly TimelineStamps[],
  thresholdMs = CORE_STALL_THRESHOLD_MS,
): Interval[] {
  const out: Interval[] = [];
  for (const s of stamps) {
    const inKernel = s.flushed !== undefined && s.flushed > 0 ? s.flushed : s.sent;
    if (s.arrived - inKernel > thresholdMs) out.push({ startMs: inKernel, endMs: s.arrived });
    // The generator's side: its timer fired late (the latency counts from the schedule), or the
    // answer sat in its socket unread: the generator's thread lost its core.
    if (s.sent - s.scheduled > thresholdMs) out.push({ startMs: s.scheduled, endMs: s.sent });
    if (s.received - s.written > thresholdMs) out.push({ startMs: s.written, endMs: s.received });
    const ready = s.enqueued + s.queueMs + s.computeMs;
    const read = s.enqueued + s.queueMs + s.serviceMs;
    if (read - ready > thresholdMs) out.push({ startMs: ready, endMs: read });
  }
  return out;
}

/** The union of intervals: sorted, overlapping ones merged. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.slice().sort((a, b) => a.startMs - b.startMs);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && iv.startMs <= last.endMs) last.endMs = Math.max(last.endMs, iv.endMs);
    else out.push({ ...iv });
  }
  return out;
}

/**
 * The core stalls of a traced run: its events (mergeIntervals of longWaits) per second of the
 * window the stamps cover (first to last schedule time), and their lengths.
 */
export function fitCoreStalls(
  stamps: readonly TimelineStamps[],
  thresholdMs = CORE_STALL_THRESHOLD_MS,
): CoreStallFit {
  let first = Infinity;
  let last = -Infinity;
  for (const s of stamps) {
    first = Math.min(first, s.scheduled);
    last = Math.max(last, s.scheduled);
  }
  const windowS = stamps.length > 1 ? (last - first) / 1000 : 0;
  const events = mergeIntervals(longWaits(stamps, thresholdMs));
  const lengths = events.map((e) => e.endMs - e.startMs);
  return {
    perSecond: windowS > 0 ? events.length / windowS : 0,
    meanMs: lengths.length ? lengths.reduce((a, x) => a + x, 0) / lengths.length : Number.NaN,
    minMs: lengths.length ? Math.min(...lengths) : Number.NaN,
    count: events.length,
    windowS,
  };
}

/**
 * The core stalls at a host load: rate, mean and floor interpolated linearly in coresFull between
 * the fitted points and clamped to the measured ends (a measured curve, not extrapolated: which
 * third thread wants a core at a load no calibration saw is not known). Points without events
 * count with rate 0 and take the others' lengths. Null when no point has an event.
 */
export function coreStallAt(
  points: readonly CoreStallPoint[],
  coresFull: number,
): CoreStallPoint | null {
  const withEvents = points.filter((p) => p.perSecond > 0 && p.meanMs > 0);
  if (withEvents.length === 0) return null;
  const meanMs = withEvents.reduce((a, p) => a + p.meanMs, 0) / withEvents.length;
  const minMs = Math.min(...withEvents.map((p) => p.minMs));
  const sorted = pooledByLoad(
    points.map((p) => (p.perSecond > 0 && p.meanMs > 0 ? p : { ...p, meanMs, minMs })),
  );
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  if (sorted.length === 1 || !(hi.coresFull - lo.coresFull > 0.02) || !Number.isFinite(coresFull))
    return {
      coresFull,
      perSecond: sorted.reduce((a, p) => a + p.perSecond, 0) / sorted.length,
      meanMs,
      minMs,
    };
  if (coresFull <= lo.coresFull) return { ...lo, coresFull };
  if (coresFull >= hi.coresFull) return { ...hi, coresFull };
  let j = 1;
  while (coresFull > sorted[j].coresFull) j++;
  const a = sorted[j - 1];
  const b = sorted[j];
  const w = (coresFull - a.coresFull) / (b.coresFull - a.coresFull);
  const lerp = (x: number, y: number) => x + w * (y - x);
  return {
    coresFull,
    perSecond: lerp(a.perSecond, b.perSecond),
    meanMs: lerp(a.meanMs, b.meanMs),
    minMs: Math.min(a.minMs, b.minMs),
  };
}

/**
 * Points of one load (repeats of a rate: coresFull within 0.005) pooled into one, their rates
 * and lengths averaged (equal windows), sorted by load: a rate counted over 10 s is a handful of
 * events, and repeats are what narrows it.
 */
function pooledByLoad(points: readonly CoreStallPoint[]): CoreStallPoint[] {
  const sorted = points.slice().sort((a, b) => a.coresFull - b.coresFull);
  const groups: CoreStallPoint[][] = [];
  for (const p of sorted) {
    const g = groups[groups.length - 1];
    if (g && p.coresFull - g[0].coresFull <= 0.005) g.push(p);
    else groups.push([p]);
  }
  const mean = (g: CoreStallPoint[], f: (p: CoreStallPoint) => number) =>
    g.reduce((a, p) => a + f(p), 0) / g.length;
  return groups.map((g) => ({
    coresFull: mean(g, (p) => p.coresFull),
    perSecond: mean(g, (p) => p.perSecond),
    meanMs: mean(g, (p) => p.meanMs),
    minMs: Math.min(...g.map((p) => p.minMs)),
  }));
}

/**
 * A stall process of `perSecond` events as a probability per turn of a server that turns
 * `turnsPerSecond` times a second: each turn stalls with p = perSecond / turnsPerSecond (capped
 * at 1), so that the stalls come at the traced rate in time whatever the arrival rate.
 */
export function stallProbabilityPerTurn(perSecond: number, turnsPerSecond: number): number {
  if (!(perSecond > 0) || !(turnsPerSecond > 0)) return 0;
  return Math.min(1, perSecond / turnsPerSecond);
}
