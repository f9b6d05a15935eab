// The Deployments pages' charts (DOM-free, unit-tested): live throughput, latency and queue over
// time, the batch-size distribution, the profile's service time per batch size (Triton Model
// Analyzer's latency vs throughput per batch size) and the tuner's feasible configs (p99 vs cost).
import type { EChartsOption } from 'echarts';

export interface LiveSample {
  t: number;
  servedRps: number;
  droppedRps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  queueLength: number;
  busyInstances: number;
}

// Title on top, legend at the bottom: in a third of the page's width they would overlap on one line.
const GRID = { left: 56, right: 56, top: 44, bottom: 64 };
const LEGEND = { bottom: 0, type: 'scroll' as const };
const TITLE = (text: string) => ({ text, left: 'center', textStyle: { fontSize: 14 } });

function timeLines(
  title: string,
  unit: string,
  samples: readonly LiveSample[],
  lines: [string, (s: LiveSample) => number][],
): EChartsOption {
  return {
    animation: false,
    title: TITLE(title),
    grid: GRID,
    tooltip: { trigger: 'axis' },
    legend: { ...LEGEND, data: lines.map(([n]) => n) },
    xAxis: {
      type: 'time',
      splitNumber: 3,
      axisLabel: { hideOverlap: true, formatter: '{HH}:{mm}:{ss}' },
    },
    yAxis: { type: 'value', name: unit, min: 0 },
    series: lines.map(([name, f]) => ({
      name,
      type: 'line',
      showSymbol: samples.length <= 2,
      data: samples.map((s) => [s.t, f(s)]),
    })),
  };
}

export function liveThroughputOption(samples: readonly LiveSample[]): EChartsOption {
  return timeLines('Requests per second', 'req/s', samples, [
    ['served', (s) => s.servedRps],
    ['dropped', (s) => s.droppedRps],
  ]);
}

export function liveLatencyOption(samples: readonly LiveSample[]): EChartsOption {
  return timeLines('Latency (last 8192 requests)', 'ms', samples, [
    ['p50', (s) => s.p50Ms],
    ['p95', (s) => s.p95Ms],
    ['p99', (s) => s.p99Ms],
  ]);
}

export function liveQueueOption(samples: readonly LiveSample[]): EChartsOption {
  return timeLines('Queue and busy instances', 'count', samples, [
    ['queue length', (s) => s.queueLength],
    ['busy instances', (s) => s.busyInstances],
  ]);
}

/** Batches sent by size (sizes ascending). */
export function batchSizesOption(rows: readonly [number, number][]): EChartsOption {
  return {
    animation: false,
    title: TITLE('Batch sizes sent'),
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', name: 'batch size', data: rows.map(([b]) => String(b)) },
    yAxis: { type: 'value', name: 'batches', minInterval: 1 },
    series: [{ name: 'batches', type: 'bar', data: rows.map(([, n]) => n) }],
  };
}

export interface ProfilePoint {
  batchSize: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p99RelCi: number;
}

/**
 * Service time per batch size: p50, mean and p99 (with the p99's 95% CI as a band) on the left
 * axis, one instance's throughput at that size (b / mean) as bars on the right.
 */
export function profileOption(rows: readonly ProfilePoint[]): EChartsOption {
  const sizes = rows.map((r) => String(r.batchSize));
  // A CI wider than the p99 itself (few samples, heavy tail) is clipped at 0 ms.
  const lo = rows.map((r) => Math.max(0, r.p99Ms * (1 - r.p99RelCi)));
  const width = rows.map((r, i) => r.p99Ms * (1 + r.p99RelCi) - lo[i]);
  return {
    animation: false,
    title: TITLE('Service time per batch size'),
    grid: GRID,
    tooltip: { trigger: 'axis' },
    legend: { ...LEGEND, data: ['p50', 'mean', 'p99', 'p99 95% CI', 'req/s per instance'] },
    xAxis: { type: 'category', name: 'batch size', data: sizes },
    yAxis: [
      { type: 'value', name: 'ms', min: 0 },
      { type: 'value', name: 'req/s', min: 0, splitLine: { show: false } },
    ],
    series: [
      {
        name: 'req/s per instance',
        type: 'bar',
        yAxisIndex: 1,
        itemStyle: { opacity: 0.35 },
        data: rows.map((r) => Math.round((r.batchSize / r.meanMs) * 1000)),
      },
      // The CI band: an invisible base at the low end, the width stacked on it and filled.
      {
        name: 'ci-base',
        type: 'line',
        stack: 'ci',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        tooltip: { show: false },
        data: lo,
      },
      {
        name: 'p99 95% CI',
        type: 'line',
        stack: 'ci',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { opacity: 0.2 },
        data: width,
      },
      { name: 'p50', type: 'line', data: rows.map((r) => r.p50Ms) },
      {
        name: 'mean',
        type: 'line',
        lineStyle: { type: 'dashed' },
        data: rows.map((r) => r.meanMs),
      },
      { name: 'p99', type: 'line', data: rows.map((r) => r.p99Ms) },
    ],
  };
}

export interface TunedPoint {
  instances: number;
  maxSize: number;
  maxDelayMs: number;
  p99Ms: number;
}

/**
 * The configs the tuner found feasible: predicted p99 against cost (instances), the chosen one
 * marked, the SLO as a line.
 */
export function tuningOption(input: {
  feasible: readonly TunedPoint[];
  chosen: TunedPoint | null;
  sloMs: number;
}): EChartsOption {
  const label = (p: TunedPoint) =>
    `${p.instances} × maxSize ${p.maxSize}, delay ${p.maxDelayMs} ms`;
  return {
    animation: false,
    title: {
      text: 'Feasible configs: predicted p99 vs cost',
      left: 'center',
      textStyle: { fontSize: 14 },
    },
    grid: GRID,
    tooltip: { trigger: 'item' },
    legend: { ...LEGEND, data: ['feasible', 'chosen'] },
    xAxis: { type: 'value', name: 'instances', minInterval: 1, min: 0 },
    // The SLO line stays in view when every config is far below it (echarts does not widen an
    // axis for a markLine).
    yAxis: {
      type: 'value',
      name: 'p99 ms',
      min: 0,
      max: (v) => Math.ceil((Math.max(v.max, input.sloMs) * 11) / 10),
    },
    series: [
      {
        name: 'feasible',
        type: 'scatter',
        symbolSize: 8,
        data: input.feasible.map((p) => ({ value: [p.instances, p.p99Ms], name: label(p) })),
        markLine: {
          symbol: 'none',
          label: { position: 'insideEndTop', formatter: `SLO ${input.sloMs} ms` },
          data: [{ yAxis: input.sloMs }],
        },
      },
      {
        name: 'chosen',
        type: 'scatter',
        symbol: 'diamond',
        symbolSize: 16,
        data: input.chosen
          ? [{ value: [input.chosen.instances, input.chosen.p99Ms], name: label(input.chosen) }]
          : [],
      },
    ],
  };
}
