// The Deployments pages' pure logic (DOM-free, unit-tested): live series from successive
// snapshots, form bodies, and the server's field problems placed by field.
import type { Deployment } from '../../api/deployments';

/** One sample of the live charts. */
export interface LivePoint {
  /** Wall time of the sample, ms since the epoch. */
  t: number;
  servedRps: number;
  droppedRps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  queueLength: number;
  busyInstances: number;
}

/** The counters a rate is taken from, kept between samples. */
export interface LiveCounters {
  t: number;
  served: number;
  dropped: number;
}

/** How many samples the live charts keep (2 s apart: five minutes). */
export const LIVE_POINTS = 150;

/**
 * The next point of the live series. Rates come from the counters' change since the previous
 * sample (exact over the interval); the first sample, or one after the counters went back (the
 * API process restarted), takes the server's ~10 s rates instead. Null without metrics.
 */
export function livePoint(
  d: Deployment,
  t: number,
  prev: LiveCounters | null,
): { point: LivePoint; counters: LiveCounters } | null {
  const m = d.status.metrics;
  if (!m) return null;
  const counters = { t, served: m.requests.served, dropped: m.requests.dropped };
  const dt = prev ? (t - prev.t) / 1000 : 0;
  const usable =
    prev && dt > 0 && counters.served >= prev.served && counters.dropped >= prev.dropped;
  const servedRps = usable
    ? (counters.served - prev.served) / dt
    : (d.status.rates?.servedRps ?? 0);
  const droppedRps = usable
    ? (counters.dropped - prev.dropped) / dt
    : (d.status.rates?.droppedRps ?? 0);
  return {
    counters,
    point: {
      t,
      servedRps,
      droppedRps,
      p50Ms: m.latencyMs.p50,
      p95Ms: m.latencyMs.p95,
      p99Ms: m.latencyMs.p99,
      queueLength: m.queueLength,
      busyInstances: m.busyInstances,
    },
  };
}

/** Appends, keeping the newest `max` points. */
export function appendPoint(series: readonly LivePoint[], p: LivePoint, max = LIVE_POINTS) {
  const out = [...series, p];
  return out.length > max ? out.slice(out.length - max) : out;
}

/** The status code a drop reason answers with (src/serving/shed.filter.ts). */
export const DROP_STATUS: Record<string, string> = {
  queue_full: '429',
  timeout: '503',
  deadline: '503',
  stopped: '503',
};

/** Batch sizes as sorted [size, batches] pairs. */
export function batchSizeRows(batchSizes: Record<string, number>): [number, number][] {
  return Object.entries(batchSizes)
    .map(([k, v]): [number, number] => [Number(k), v])
    .sort((a, b) => a[0] - b[0]);
}

/** The server's field problems by field (`batch.maxSize`), the rest under ''. */
export function problemsByField(
  errors: readonly { field?: string; message: string }[] | undefined,
  detail: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors ?? [])
    (out[e.field?.replace(/^\//, '').replace(/\//g, '.') ?? ''] ??= []).push(e.message);
  if (!errors?.length) out[''] = [detail];
  return out;
}

/**
 * A number typed in a form: '' is left out (the server's default), anything else is sent as
 * typed so the server's validation names the field (never silently dropped or clamped here).
 */
export function typed(text: string): number | string | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

export interface ConfigForm {
  instances: string;
  maxSize: string;
  maxDelayMs: string;
  capacity: string;
  timeoutMs: string;
}

export function configForm(d: Deployment): ConfigForm {
  return {
    instances: String(d.instances),
    maxSize: String(d.batch.maxSize),
    maxDelayMs: String(d.batch.maxDelayMs),
    capacity: String(d.queue.capacity),
    timeoutMs: String(d.queue.timeoutMs),
  };
}

/** The PATCH body: only what changed from the deployment (null: nothing changed). */
export function patchBody(d: Deployment, f: ConfigForm): Record<string, unknown> | null {
  const was = configForm(d);
  const changed = (k: keyof ConfigForm) => f[k].trim() !== was[k];
  const pick = (keys: [keyof ConfigForm, string][]) => {
    const o: Record<string, unknown> = {};
    for (const [k, name] of keys) if (changed(k)) o[name] = typed(f[k]) ?? f[k];
    return Object.keys(o).length ? o : undefined;
  };
  const body: Record<string, unknown> = {};
  if (changed('instances')) body.instances = typed(f.instances) ?? f.instances;
  const batch = pick([
    ['maxSize', 'maxSize'],
    ['maxDelayMs', 'maxDelayMs'],
  ]);
  if (batch) body.batch = batch;
  const queue = pick([
    ['capacity', 'capacity'],
    ['timeoutMs', 'timeoutMs'],
  ]);
  if (queue) body.queue = queue;
  return Object.keys(body).length ? body : null;
}

/** Profile sizes as typed ("1, 2, 4"): numbers where they parse, so the server names bad ones. */
export function batchSizesOf(text: string): (number | string)[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => typed(s) ?? s);
}

export const fmtMs = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '—' : `${Number(v.toPrecision(3))} ms`;
export const fmtRps = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)}`;
