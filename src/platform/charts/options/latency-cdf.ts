import type { EChartsOption } from 'echarts';
import { base, valueAxis } from './common';

export interface LatencyCdfData {
  pipeline: string;
  /** Log-spaced histogram of end-to-end latencies: bin edges (ms), one more than counts. */
  edgesMs: readonly number[];
  counts: readonly number[];
  p99Ms: number;
  /** Latency SLO, drawn as a vertical line when given. */
  sloMs?: number;
}

/** Empirical CDF points (upper bin edge, cumulative share) from the simulator's histogram. */
export function latencyCdfPoints(d: LatencyCdfData): [number, number][] {
  const total = d.counts.reduce((a, b) => a + b, 0);
  const points: [number, number][] = [[d.edgesMs[0] ?? 0, 0]];
  let acc = 0;
  d.counts.forEach((c, i) => {
    acc += c;
    points.push([d.edgesMs[i + 1], total > 0 ? acc / total : 0]);
  });
  return points;
}

/** Latency CDF of one simulation (step line), with the p99 (and the SLO, if any) marked. */
export function latencyCdfOption(d: LatencyCdfData): EChartsOption {
  const marks: { name: string; xAxis: number }[] = [{ name: 'p99', xAxis: d.p99Ms }];
  if (d.sloMs !== undefined) marks.push({ name: 'SLO', xAxis: d.sloMs });
  return {
    ...base(`Latency CDF (p99 ${d.p99Ms} ms)`),
    legend: { bottom: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: valueAxis('latency (ms)'),
    yAxis: valueAxis('fraction of requests', { min: 0, max: 1, scale: false, nameGap: 44 }),
    series: [
      {
        type: 'line',
        name: d.pipeline,
        step: 'end',
        showSymbol: false,
        data: latencyCdfPoints(d),
        markLine: {
          symbol: 'none',
          label: { formatter: '{b}', position: 'insideEndTop' },
          data: marks,
        },
      },
    ],
  };
}
