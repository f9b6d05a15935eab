/**
 * The per-request timeline of an HTTP load run (issue 17: where the time goes), for the serving
 * benches: collects the traced requests' stamps (src/serving/loop/load-targets.ts `onTrace`,
 * the API started with AUTODL_SERVING_TRACE=1), the generator's own event-loop delay and GC
 * pauses during the run, and the API's (differenced from the counters in its trace header), and
 * prints the decomposition (src/serving/core/request-timeline.ts) as a markdown table.
 */
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { quantileSorted, type LoadReport } from '../../src/serving/core/open-loop';
import {
  summariseTimeline,
  TIMELINE_SEGMENTS,
  type SegmentSummary,
} from '../../src/serving/core/request-timeline';
import {
  calibrateRequestPath,
  type CalibrationTrace,
  type RequestPathCalibration,
} from '../../src/serving/core/request-path-calibration';
import type { ClientTrace, ServedFigures } from '../../src/serving/loop/load-targets';

export interface ProcessPauses {
  /** GC pauses: count and ms per second of the run, the longest pause. */
  gcPerS: number;
  gcMsPerS: number;
  gcMaxMs?: number;
  /** Event-loop delay (1 ms timer lateness samples): mean, and p99 where known. */
  loopDelayMeanMs: number;
  loopDelayP99Ms?: number;
}

export interface TimelineReport {
  traced: number;
  /** The server's own stamps of the run (s from the run's start, ascending): 'request' events and submits to the batcher. */
  arrivalsS: number[];
  enqueuesS: number[];
  /** Latency inside the API (headers parsed -> answer written), and the batcher's queue + service, ms. */
  serverMs: { p50: number; p99: number; mean: number };
  batcherMs: { p50: number; p99: number; mean: number };
  segments: SegmentSummary[];
  /** The http stage and hop calibrated from this run's traces (request-path-calibration.ts). */
  requestPath: RequestPathCalibration | null;
  /** The traced requests after the warm-up (for a recording: the model re-calibrated offline). */
  stamps: CalibrationTrace[];
  server: ProcessPauses;
  client: ProcessPauses;
}

/** Records one run: pass `onTrace` to the target, call start() before and finish() after. */
export class TimelineRecorder {
  private readonly traces = new Map<number, ClientTrace>();
  private readonly loop = monitorEventLoopDelay({ resolution: 1 });
  private gcCount = 0;
  private gcMs = 0;
  private gcMax = 0;
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.gcCount++;
      this.gcMs += e.duration;
      this.gcMax = Math.max(this.gcMax, e.duration);
    }
  });
  private t0 = 0;

  readonly onTrace = (i: number, t: ClientTrace): void => {
    this.traces.set(i, t);
  };

  start(): void {
    this.loop.enable();
    this.gc.observe({ entryTypes: ['gc'] });
    this.t0 = performance.now();
  }

  /** The run's timeline, requests scheduled before `fromMs` (the warm-up) left out. */
  finish(
    schedule: Float64Array,
    report: LoadReport,
    figures: readonly (ServedFigures | undefined)[],
    fromMs: number,
  ): TimelineReport {
    const seconds = (performance.now() - this.t0) / 1000;
    this.loop.disable();
    this.gc.disconnect();
    const origin = performance.timeOrigin + report.startedAtMs;
    const stamps: CalibrationTrace[] = [];
    let first: ClientTrace['server'];
    let last: ClientTrace['server'];
    for (const [i, t] of this.traces) {
      const f = figures[i];
      const s = t.server;
      if (!s || !f || Number.isNaN(report.latencies[i])) continue;
      if (!first || s.gcCount < first.gcCount || s.eldCount < first.eldCount) first = s;
      if (!last || s.eldCount > last.eldCount) last = s;
      if (schedule[i] < fromMs) continue;
      stamps.push({
        scheduled: origin + schedule[i],
        sent: t.sent,
        ...(t.socketAt !== undefined
          ? { socketAt: t.socketAt, reusedSocket: t.reusedSocket, flushed: t.flushed }
          : {}),
        arrived: s.arrived,
        handler: s.handler,
        enqueued: s.enqueued,
        queueMs: f.queueMs,
        serviceMs: f.serviceMs,
        computeMs: Number.isNaN(s.computeMs) ? f.serviceMs : s.computeMs,
        resolved: s.resolved,
        written: s.sent,
        received: t.received,
        recorded: origin + schedule[i] + report.latencies[i],
        batchSize: f.batchSize,
        gcCount: s.gcCount,
        gcMs: s.gcMs,
      });
    }
    const fromOrigin = (xs: number[]) => xs.map((x) => (x - origin) / 1000).sort((a, b) => a - b);
    const arrivalsS = fromOrigin(
      [...this.traces.values()].flatMap((t) => (t.server ? [t.server.arrived] : [])),
    );
    const enqueuesS = fromOrigin(
      [...this.traces.values()].flatMap((t) =>
        t.server && Number.isFinite(t.server.enqueued) ? [t.server.enqueued] : [],
      ),
    );
    const stat = (values: number[]) => {
      const x = Float64Array.from(values).sort();
      return {
        mean: x.reduce((a, v) => a + v, 0) / Math.max(1, x.length),
        p50: quantileSorted(x, 0.5),
        p99: quantileSorted(x, 0.99),
      };
    };
    const serverSpanS = first && last ? (last.arrived - first.arrived) / 1000 : 0;
    const dEld = first && last ? last.eldCount - first.eldCount : 0;
    return {
      traced: stamps.length,
      arrivalsS,
      enqueuesS,
      serverMs: stat(stamps.map((x) => x.written - x.arrived)),
      batcherMs: stat(stamps.map((x) => x.queueMs + x.serviceMs)),
      segments: summariseTimeline(stamps),
      requestPath: calibrateRequestPath(stamps),
      stamps,
      server: {
        gcPerS: serverSpanS > 0 && first && last ? (last.gcCount - first.gcCount) / serverSpanS : 0,
        gcMsPerS: serverSpanS > 0 && first && last ? (last.gcMs - first.gcMs) / serverSpanS : 0,
        loopDelayMeanMs: dEld > 0 && first && last ? (last.eldSumMs - first.eldSumMs) / dEld : 0,
      },
      client: {
        gcPerS: this.gcCount / seconds,
        gcMsPerS: this.gcMs / seconds,
        gcMaxMs: this.gcMax,
        loopDelayMeanMs: this.loop.mean / 1e6,
        loopDelayP99Ms: this.loop.percentile(99) / 1e6,
      },
    };
  }
}

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

/** One markdown table: the segments as rows, a `mean / p50 / p99` column per run. */
export function printTimelines(runs: { title: string; report: TimelineReport }[]): void {
  if (runs.length === 0) return;
  console.log(
    `\nWhere the time goes (ms, mean / p50 / p99 of the traced requests; the segments' means add up to the latency's):\n`,
  );
  console.log(`| segment | side | ${runs.map((r) => r.title).join(' | ')} |`);
  console.log(`| --- | --- | ${runs.map(() => '---').join(' | ')} |`);
  const sides = new Map<string, string>(TIMELINE_SEGMENTS.map((s) => [s.id, s.side]));
  for (const [k, row] of runs[0].report.segments.entries()) {
    const cells = runs.map((r) => {
      const s = r.report.segments[k];
      return `${f2(s.mean)} / ${f2(s.p50)} / ${f2(s.p99)}`;
    });
    console.log(`| ${row.label} | ${sides.get(row.id) ?? ''} | ${cells.join(' | ')} |`);
  }
  const pauses = (p: ProcessPauses) =>
    `GC ${p.gcPerS.toFixed(1)}/s, ${p.gcMsPerS.toFixed(2)} ms/s${p.gcMaxMs !== undefined ? ` (max ${f2(p.gcMaxMs)})` : ''}; loop delay ${f2(p.loopDelayMeanMs)}${p.loopDelayP99Ms !== undefined ? ` / p99 ${f2(p.loopDelayP99Ms)}` : ''}`;
  console.log(`| API process | | ${runs.map((r) => pauses(r.report.server)).join(' | ')} |`);
  console.log(`| generator process | | ${runs.map((r) => pauses(r.report.client)).join(' | ')} |`);
  console.log(`| traced requests | | ${runs.map((r) => r.report.traced).join(' | ')} |`);
}
