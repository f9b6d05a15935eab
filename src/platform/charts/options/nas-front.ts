import type { EChartsOption } from 'echarts';
import { PALETTE, base, finite, valueAxis, type XY } from './common';

export interface FrontPoint extends XY {
  /** Trial number, shown in tooltips and used to link points to the leaderboard. */
  id?: number;
}

export interface NasFrontData {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Feasible complete trials. */
  points: readonly FrontPoint[];
  /** Infeasible trials (budget or latency violators); drawn grey when given. */
  infeasible?: readonly FrontPoint[];
  /** The Pareto front the API serves, drawn as a line in x order. */
  front: readonly FrontPoint[];
}

const pair = (p: FrontPoint) => ({ value: [p.x, p.y], name: p.id === undefined ? '' : `#${p.id}` });

/** Accuracy vs a cost: feasible trials, infeasible ones apart, and the Pareto front highlighted. */
export function nasFrontOption(d: NasFrontData): EChartsOption {
  const series: NonNullable<EChartsOption['series']> = [
    { type: 'scatter', name: 'trials', symbolSize: 6, data: d.points.filter(finite).map(pair) },
  ];
  if (d.infeasible && d.infeasible.length > 0) {
    series.push({
      type: 'scatter',
      name: 'infeasible',
      symbol: 'triangle',
      symbolSize: 6,
      itemStyle: { color: '#999999' },
      data: d.infeasible.filter(finite).map(pair),
    });
  }
  series.push({
    type: 'line',
    name: 'Pareto front',
    symbolSize: 8,
    itemStyle: { color: PALETTE[1] },
    lineStyle: { width: 2 },
    data: [...d.front]
      .filter(finite)
      .sort((a, b) => a.x - b.x || a.y - b.y)
      .map(pair),
  });
  return {
    ...base(d.title),
    legend: { bottom: 0 },
    tooltip: { trigger: 'item' },
    xAxis: valueAxis(d.xLabel),
    yAxis: valueAxis(d.yLabel, { nameGap: 44 }),
    series,
  };
}

/** The fields of a NAS trial summary (the API's `trials.json`) that the front charts read. */
export interface NasTrialPoint {
  number: number;
  state: string;
  accuracy?: number;
  params: number;
  flops: number;
  latencyMs?: number;
  feasible: boolean;
}

export type NasCostMetric = 'flops' | 'params' | 'latencyMs';

export const NAS_COST_AXES: Record<NasCostMetric, { label: string; scale: number }> = {
  flops: { label: 'MFLOPs', scale: 1e-6 },
  params: { label: 'parameters (thousands)', scale: 1e-3 },
  latencyMs: { label: 'latency (ms)', scale: 1 },
};

const costOf = (t: NasTrialPoint, metric: NasCostMetric): number | undefined =>
  metric === 'latencyMs' ? t.latencyMs : t[metric];

/**
 * The NAS front chart's data from trial summaries: complete trials with an accuracy and the cost,
 * feasible and infeasible apart, and exactly the given front (the API's `paretoFront`), scaled.
 */
export function nasFrontData(
  spaceType: string,
  metric: NasCostMetric,
  trials: readonly NasTrialPoint[],
  front: readonly NasTrialPoint[],
): NasFrontData {
  const axis = NAS_COST_AXES[metric];
  const point = (t: NasTrialPoint): FrontPoint => ({
    x: (costOf(t, metric) as number) * axis.scale,
    y: t.accuracy as number,
    id: t.number,
  });
  const plotted = trials.filter(
    (t) => t.state === 'complete' && t.accuracy !== undefined && costOf(t, metric) !== undefined,
  );
  return {
    title: `NAS ${spaceType}: accuracy vs ${axis.label}`,
    xLabel: axis.label,
    yLabel: 'validation accuracy',
    points: plotted.filter((t) => t.feasible).map(point),
    infeasible: plotted.filter((t) => !t.feasible).map(point),
    front: front.filter((t) => costOf(t, metric) !== undefined).map(point),
  };
}
