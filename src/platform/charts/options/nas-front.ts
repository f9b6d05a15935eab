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
