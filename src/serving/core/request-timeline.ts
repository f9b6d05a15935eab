/**
 * Where a request's time goes over HTTP, from the stamps of one traced request (the load
 * generator's and the API's, src/serving/request-trace.ts; wall-clock ms of one host). The
 * segments partition the latency the open-loop generator records (scheduled send -> the answer
 * recorded), so their means add up to the mean latency and a gap between the simulator and the
 * measurement can be put on a segment rather than guessed.
 */
import { quantileSorted } from './open-loop';

/** One traced request's stamps (epoch ms) and the runtime's figures (ms). */
export interface TimelineStamps {
  /** The schedule's send time. */
  scheduled: number;
  /** The generator's send() call. */
  sent: number;
  /**
   * Client, when recorded: the request got its socket, whether that socket was kept alive from an
   * earlier request, and when its bytes were handed to the kernel (load-targets.ts ClientTrace).
   */
  socketAt?: number;
  reusedSocket?: boolean;
  flushed?: number;
  /** Server: headers parsed ('request' event). */
  arrived: number;
  /** Server: the route handler starts (body read and parsed, auth, routing done). */
  handler: number;
  /** Server: the row is submitted to the batcher. */
  enqueued: number;
  /** Runtime: arrival to dispatch, and dispatch to result (hand-off included). */
  queueMs: number;
  serviceMs: number;
  /** The instance thread's own inference time of the batch. */
  computeMs: number;
  /** Server: the handler's await returned. */
  resolved: number;
  /** Server: the answer goes to the socket. */
  written: number;
  /** Client: the body was read. */
  received: number;
  /** Client: the generator recorded the latency (its promise chain ran). */
  recorded: number;
}

/** The segments, in the order a request passes them; `side` says whose time it is. */
export const TIMELINE_SEGMENTS = [
  { id: 'genLag', side: 'client', label: 'generator lag (scheduled -> send)' },
  { id: 'toServer', side: 'both', label: 'client send -> server headers' },
  { id: 'middleware', side: 'server', label: 'body, auth, routing -> handler' },
  { id: 'handler', side: 'server', label: 'handler -> batcher (row lookup, decode)' },
  { id: 'queue', side: 'server', label: 'batcher queue (window, instance busy)' },
  { id: 'handoff', side: 'server', label: 'thread hand-off (service - compute)' },
  { id: 'compute', side: 'server', label: 'instance compute' },
  { id: 'reply', side: 'server', label: 'batch done -> handler resumes' },
  { id: 'answer', side: 'server', label: 'answer built' },
  { id: 'toClient', side: 'both', label: 'server write -> client body read' },
  { id: 'settle', side: 'client', label: 'client body -> latency recorded' },
] as const;

export type SegmentId = (typeof TIMELINE_SEGMENTS)[number]['id'];

/** The segments of one request, ms. They sum to recorded - scheduled. */
export function segmentsOf(s: TimelineStamps): Record<SegmentId, number> {
  const done = s.enqueued + s.queueMs + s.serviceMs;
  const compute = Math.min(s.computeMs, s.serviceMs);
  return {
    genLag: s.sent - s.scheduled,
    toServer: s.arrived - s.sent,
    middleware: s.handler - s.arrived,
    handler: s.enqueued - s.handler,
    queue: s.queueMs,
    handoff: s.serviceMs - compute,
    compute,
    reply: s.resolved - done,
    answer: s.written - s.resolved,
    toClient: s.received - s.written,
    settle: s.recorded - s.received,
  };
}

export interface SegmentSummary {
  id: SegmentId | 'total' | 'server';
  label: string;
  mean: number;
  p50: number;
  p99: number;
}

/**
 * Mean, p50 and p99 of every segment over the traced requests, then the total (the generator's
 * latency) and the server's part (headers parsed -> answer written, the time the API controls).
 */
export function summariseTimeline(requests: readonly TimelineStamps[]): SegmentSummary[] {
  const per = requests.map(segmentsOf);
  const stat = (values: number[]) => {
    const sorted = values.slice().sort((a, b) => a - b);
    const mean = sorted.reduce((a, x) => a + x, 0) / Math.max(1, sorted.length);
    return { mean, p50: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99) };
  };
  const out: SegmentSummary[] = TIMELINE_SEGMENTS.map((seg) => ({
    id: seg.id,
    label: seg.label,
    ...stat(per.map((p) => p[seg.id])),
  }));
  out.push({
    id: 'server',
    label: 'server: headers -> answer written',
    ...stat(requests.map((r) => r.written - r.arrived)),
  });
  out.push({
    id: 'total',
    label: 'latency (scheduled -> recorded)',
    ...stat(requests.map((r) => r.recorded - r.scheduled)),
  });
  return out;
}
