import type { EChartsOption } from 'echarts';
import { AT_EDGE } from './axes';

export interface ParetoPoint {
  number: number;
  values: number[];
  feasible: boolean;
}

/** First two objectives: the front, other feasible trials, infeasible ones greyed as crosses. */
export function paretoOption(
  d: { front: ParetoPoint[]; others: ParetoPoint[] },
  names: [string, string] = ['objective 0', 'objective 1'],
): EChartsOption {
  const xy = (p: ParetoPoint) => [p.values[0], p.values[1], p.number];
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    legend: { data: ['Pareto front', 'feasible', 'infeasible'] },
    xAxis: { type: 'value', name: names[0], scale: true, ...AT_EDGE },
    yAxis: { type: 'value', name: names[1], scale: true, ...AT_EDGE },
    series: [
      { name: 'Pareto front', type: 'scatter', symbolSize: 8, data: d.front.map(xy) },
      {
        name: 'feasible',
        type: 'scatter',
        symbolSize: 4,
        data: d.others.filter((p) => p.feasible).map(xy),
      },
      {
        name: 'infeasible',
        type: 'scatter',
        symbol: 'triangle',
        symbolSize: 5,
        itemStyle: { color: '#aaa' },
        data: d.others.filter((p) => !p.feasible).map(xy),
      },
    ],
  };
}
