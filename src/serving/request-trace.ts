import type { IncomingMessage, Server } from 'node:http';
import {
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
  type IntervalHistogram,
} from 'node:perf_hooks';

/**
 * Opt-in per-request timeline of a predict over HTTP (issue 17: where the time goes between the
 * client and the model). Off unless the API runs with AUTODL_SERVING_TRACE=1, and then only for
 * requests that carry the `X-Autodl-Trace` header (the load generator marks a sample of its
 * requests): an untraced request pays one property lookup. The stamps go back in the answer's
 * `X-Autodl-Trace` header, so the client joins them with its own (scheduled, sent, received)
 * without a second channel; both sides stamp the wall clock at sub-millisecond resolution
 * (performance.timeOrigin + performance.now(): one clock for every process of the host).
 *
 * Beside the stamps the header carries process-wide counters the client differences over a run:
 * GC pauses (PerformanceObserver 'gc' entries: count and total ms) and the event loop's delay
 * (monitorEventLoopDelay at 1 ms resolution: sum and count of the samples), so a run's share of
 * GC and of loop blocking is known without another request.
 */
export const TRACE_HEADER = 'x-autodl-trace';

/** The server's stamps of one request (epoch ms) and what the runtime said about it. */
export interface ServerStamps {
  /** The 'request' event: headers parsed (the body may still be arriving). */
  arrived: number;
  /** The route handler runs: body read and parsed, auth, Nest's routing and interceptors done. */
  handler?: number;
  /** Just before the row is submitted to the batcher (deployment row, model info, decode done). */
  enqueued?: number;
  /** The instance's own inference time of the batch (the rest of serviceMs is the thread hand-off). */
  computeMs?: number;
  /** The handler's await returned (every row of the body answered). */
  resolved?: number;
  /** Just before the answer is handed to the socket. */
  sent?: number;
}

const kStamps = Symbol('autodl.trace');

/** Wall-clock ms with performance.now()'s resolution, comparable across the host's processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.AUTODL_SERVING_TRACE === '1';
}

interface ProcessCounters {
  gcCount: number;
  gcMs: number;
  histogram: IntervalHistogram;
}

let counters: ProcessCounters | undefined;

/**
 * Stamps the arrival of every request that asks for a trace (the first 'request' listener, ahead
 * of Express), and starts the process counters. A no-op unless tracing is enabled.
 */
export function installRequestTrace(server: Server, env: NodeJS.ProcessEnv = process.env): void {
  if (!tracingEnabled(env)) return;
  server.prependListener('request', (req: IncomingMessage) => {
    if (req.headers[TRACE_HEADER] !== undefined) {
      (req as IncomingMessage & { [kStamps]?: ServerStamps })[kStamps] = { arrived: epochNow() };
    }
  });
  if (counters) return;
  const c: ProcessCounters = {
    gcCount: 0,
    gcMs: 0,
    histogram: monitorEventLoopDelay({ resolution: 1 }),
  };
  c.histogram.enable();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      c.gcCount += 1;
      c.gcMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  counters = c;
}

const kArrived = Symbol('autodl.arrived');

/**
 * Stamps every request's arrival (headers parsed: the first 'request' listener), traced or not,
 * for the request-path meter's on-path loop time (request-path-meter.ts `path`): one clock read
 * per request.
 */
export function installArrivalStamp(server: Server): void {
  server.prependListener('request', (req: IncomingMessage) => {
    (req as IncomingMessage & { [kArrived]?: number })[kArrived] = epochNow();
  });
}

/** When the request's headers were parsed (epoch ms), undefined without installArrivalStamp. */
export function arrivalOf(req: object): number | undefined {
  return (req as { [kArrived]?: number })[kArrived];
}

/** The stamps of a traced request, undefined for any other. */
export function traceOf(req: object): ServerStamps | undefined {
  return (req as { [kStamps]?: ServerStamps })[kStamps];
}

/**
 * The answer's header: the stamps (epoch ms, 3 decimals), the compute time, then the process
 * counters (GC count and ms, event-loop delay sum in ms and sample count). Fields in
 * TRACE_FIELDS order; a missing stamp is empty.
 */
export function traceHeaderValue(s: ServerStamps): string {
  const f = (x: number | undefined) => (x === undefined ? '' : x.toFixed(3));
  const h = counters?.histogram;
  const eldCount = h?.count ?? 0;
  const eldSumMs = eldCount > 0 && h ? (h.mean * eldCount) / 1e6 : 0;
  return [
    f(s.arrived),
    f(s.handler),
    f(s.enqueued),
    f(s.computeMs),
    f(s.resolved),
    f(s.sent),
    String(counters?.gcCount ?? 0),
    f(counters?.gcMs ?? 0),
    f(eldSumMs),
    String(eldCount),
  ].join(',');
}

/** The header's fields, in order (parseTraceHeader's keys). */
export const TRACE_FIELDS = [
  'arrived',
  'handler',
  'enqueued',
  'computeMs',
  'resolved',
  'sent',
  'gcCount',
  'gcMs',
  'eldSumMs',
  'eldCount',
] as const;

export type ServerTrace = Record<(typeof TRACE_FIELDS)[number], number>;

/** The client's side: the header back into numbers (NaN where the server had no stamp). */
export function parseTraceHeader(value: string): ServerTrace {
  const parts = value.split(',');
  const out = {} as ServerTrace;
  TRACE_FIELDS.forEach((k, i) => {
    const p = parts[i];
    out[k] = p === undefined || p === '' ? Number.NaN : Number(p);
  });
  return out;
}
