import type { EChartsOption } from 'echarts';
import { PALETTE, base, valueAxis } from './common';

export interface TunedConfig {
  cost: number;
  p99Ms: number;
  feasible: boolean;
  unstable: boolean;
  params?: Record<string, number>;
}

export interface TuningParetoData {
  history: readonly TunedConfig[];
  /** Non-dominated feasible configs, cheapest first. */
  front: readonly TunedConfig[];
  /** The chosen (best) config, highlighted. */
  chosen?: TunedConfig | null;
  sloMs?: number;
}

/**
 * Configs that are shown: stable ones at most 3x the front's worst p99 (overloaded configs whose
 * queues time out would flatten the interesting region); the rest are counted in the title.
 */
export function shownConfigs(d: TuningParetoData): { shown: TunedConfig[]; hidden: number } {
  const worst = Math.max(0, ...d.front.map((f) => f.p99Ms), d.sloMs ?? 0);
  const cap = worst > 0 ? 3 * worst : Infinity;
  const stable = d.history.filter((h) => !h.unstable && Number.isFinite(h.p99Ms));
  const shown = stable.filter((h) => h.p99Ms <= cap);
  return { shown, hidden: stable.length - shown.length };
}

const xy = (c: TunedConfig): [number, number] => [c.cost, c.p99Ms];

/**
 * Cost vs p99 of the configs tried (feasible and infeasible apart), the Pareto front as a line,
 * the chosen config as a large marker and the SLO as a horizontal line (Triton Model Analyzer's
 * report shape).
 */
export function tuningParetoOption(d: TuningParetoData): EChartsOption {
  const { shown, hidden } = shownConfigs(d);
  const series: NonNullable<EChartsOption['series']> = [
    {
      type: 'scatter',
      name: 'feasible',
      symbolSize: 6,
      data: shown.filter((h) => h.feasible).map(xy),
    },
    {
      type: 'scatter',
      name: 'infeasible',
      symbol: 'triangle',
      symbolSize: 6,
      itemStyle: { color: '#999999' },
      data: shown.filter((h) => !h.feasible).map(xy),
    },
    {
      type: 'line',
      name: 'Pareto front',
      symbolSize: 8,
      itemStyle: { color: PALETTE[1] },
      lineStyle: { width: 2 },
      data: [...d.front].sort((a, b) => a.cost - b.cost || a.p99Ms - b.p99Ms).map(xy),
      ...(d.sloMs !== undefined
        ? {
            markLine: {
              symbol: 'none',
              lineStyle: { type: 'dashed' as const, color: '#cc0000' },
              label: { formatter: 'SLO {c} ms', position: 'insideEndTop' },
              data: [{ name: 'SLO', yAxis: d.sloMs }],
            },
          }
        : {}),
    },
  ];
  if (d.chosen) {
    series.push({
      type: 'scatter',
      name: 'chosen',
      symbol: 'diamond',
      symbolSize: 16,
      itemStyle: { color: PALETTE[2], borderColor: '#000000', borderWidth: 1 },
      data: [xy(d.chosen)],
    });
  }
  return {
    ...base(
      hidden > 0
        ? `Cost vs p99 latency (${hidden} slower configs not shown)`
        : 'Cost vs p99 latency',
    ),
    legend: { bottom: 0 },
    tooltip: { trigger: 'item' },
    xAxis: valueAxis('cost (per hour, or instances)'),
    yAxis: valueAxis('p99 (ms)', { nameGap: 44 }),
    series,
  };
}
