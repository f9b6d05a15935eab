/**
 * Open-loop load: every request is sent at its scheduled time whatever the earlier responses do,
 * and its latency runs from the SCHEDULED send time to its response. A closed-loop client that
 * waits for a response before sending the next request stops sending while the server stalls,
 * and so never records the requests that would have queued behind the stall ("coordinated
 * omission", Gil Tene, "How NOT to measure latency", 2013; wrk2 measures the same way). If the
 * generator itself falls behind its schedule, the lateness counts in the latency and shows in
 * `sendLagMs`.
 */

/** Milliseconds of a monotonic clock, and a way to wait on it. Injected so tests run on virtual time. */
export interface LoadClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** What a response was: `ok`, or the label it is dropped under (`429`, `503`, `timeout`, ...). */
export type LoadOutcome = 'ok' | (string & {});

/** Sends request `index` of the schedule; resolves with its outcome (a rejection counts as `error`). */
export interface LoadTarget {
  send(index: number): Promise<LoadOutcome>;
}

export interface LoadProgress {
  scheduled: number;
  sent: number;
  answered: number;
  elapsedMs: number;
}

export interface LoadOptions {
  /** How long to wait for outstanding responses after the last send (default 10 s); the rest count as `no-response`. */
  drainTimeoutMs?: number;
  onProgress?: (p: LoadProgress) => void;
  /** Minimum interval between progress calls (default 250 ms). */
  progressEveryMs?: number;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadReport {
  scheduled: number;
  sent: number;
  ok: number;
  /** Requests that did not succeed, by outcome label. */
  dropped: Record<string, number>;
  dropRate: number;
  /** The schedule's span: the last send time (ms) over the scheduled count. */
  offeredRps: number;
  /** Successful responses per second of wall time, from the start to the last response. */
  achievedRps: number;
  /** Latency of successful requests from their scheduled send time, in ms. */
  latencyMs: LatencySummary;
  /** How late the generator sent requests against their schedule (ms); large values mean the client, not the server, was the bottleneck. */
  sendLagMs: { p99: number; max: number };
  elapsedMs: number;
  /** The clock's reading at the start (schedule offsets and latencies are from it). */
  startedAtMs: number;
  /** Per request (schedule order): latency from the scheduled time in ms, NaN if not ok. */
  latencies: Float64Array;
  /** Per request (schedule order): how late it was sent against its schedule, ms. */
  sendLagsMs: Float64Array;
}

/**
 * Runs `schedule` (send offsets in ms from the start, ascending) against `target`. Requests due
 * at the same instant (the clock's sleep is coarser than the gaps at high rates) go out together.
 */
export async function runOpenLoop(
  schedule: Float64Array,
  target: LoadTarget,
  clock: LoadClock,
  options: LoadOptions = {},
): Promise<LoadReport> {
  const n = schedule.length;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const progressEvery = options.progressEveryMs ?? 250;
  const latencies = new Float64Array(n).fill(Number.NaN);
  const lags = new Float64Array(n);
  const outcomes: string[] = new Array<string>(n);
  let sent = 0;
  let answered = 0;
  let lastAnswerMs = 0;
  let allAnswered: (() => void) | undefined;
  const t0 = clock.now();
  let lastProgress = -Infinity;
  const progress = (force: boolean): void => {
    const elapsedMs = clock.now() - t0;
    if (!options.onProgress || (!force && elapsedMs - lastProgress < progressEvery)) return;
    lastProgress = elapsedMs;
    options.onProgress({ scheduled: n, sent, answered, elapsedMs });
  };
  const record = (i: number, outcome: string): void => {
    if (outcomes[i] !== undefined) return;
    const at = clock.now() - t0;
    outcomes[i] = outcome;
    if (outcome === 'ok') latencies[i] = at - schedule[i];
    answered++;
    lastAnswerMs = Math.max(lastAnswerMs, at);
    if (answered === sent && sent === n) allAnswered?.();
  };
  const fire = (i: number, nowMs: number): void => {
    lags[i] = nowMs - schedule[i];
    sent++;
    let p: Promise<LoadOutcome>;
    try {
      p = target.send(i);
    } catch {
      p = Promise.resolve('error');
    }
    p.then(
      (o) => record(i, o),
      () => record(i, 'error'),
    );
  };

  let i = 0;
  while (i < n) {
    const now = clock.now() - t0;
    if (schedule[i] > now) {
      await clock.sleep(schedule[i] - now);
      continue;
    }
    while (i < n && schedule[i] <= now) fire(i++, now);
    progress(false);
  }
  if (answered < n) {
    const done = new Promise<void>((resolve) => (allAnswered = resolve));
    await Promise.race([done, clock.sleep(drainTimeoutMs)]);
  }
  for (let k = 0; k < n; k++) if (outcomes[k] === undefined) record(k, 'no-response');
  progress(true);

  const dropped: Record<string, number> = {};
  let ok = 0;
  for (const o of outcomes) {
    if (o === 'ok') ok++;
    else dropped[o] = (dropped[o] ?? 0) + 1;
  }
  const okLatencies = latencies.filter((x) => !Number.isNaN(x));
  const sortedLags = lags.slice().sort();
  const spanMs = n > 0 ? schedule[n - 1] : 0;
  return {
    scheduled: n,
    sent,
    ok,
    dropped,
    dropRate: n > 0 ? (n - ok) / n : 0,
    offeredRps: spanMs > 0 ? (n / spanMs) * 1000 : 0,
    achievedRps: lastAnswerMs > 0 ? (ok / lastAnswerMs) * 1000 : 0,
    latencyMs: summarise(okLatencies),
    sendLagMs: { p99: quantileSorted(sortedLags, 0.99), max: n > 0 ? sortedLags[n - 1] : 0 },
    elapsedMs: clock.now() - t0,
    startedAtMs: t0,
    latencies,
    sendLagsMs: lags,
  };
}

/** Count, mean, max and type-7 (linear interpolation) percentiles of a sample. */
export function summarise(values: Float64Array): LatencySummary {
  const s = values.slice().sort();
  const n = s.length;
  let sum = 0;
  for (const x of s) sum += x;
  return {
    count: n,
    mean: n > 0 ? sum / n : Number.NaN,
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
    max: n > 0 ? s[n - 1] : Number.NaN,
  };
}

/** Type-7 quantile (R's default, numpy's `linear`) of an ascending array; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const x = q * (n - 1);
  const lo = Math.floor(x);
  return lo + 1 < n ? sorted[lo] + (x - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

/** The process's monotonic clock with setTimeout sleeps (timer granularity ~1 ms; late wake-ups send the due requests together). */
export const systemClock: LoadClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
