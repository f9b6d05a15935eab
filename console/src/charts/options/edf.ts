import type { EChartsOption } from 'echarts';
import { AT_EDGE } from './axes';

/** One line per study: GET /v1/studies/:id/edf points (value, fraction of trials ≤ value). */
export interface EdfSeries {
  name: string;
  points: { v: number; p: number }[];
}

export function edfOption(series: EdfSeries[], objective = 'objective'): EChartsOption {
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: series.map((s) => s.name) },
    xAxis: { type: 'value', name: objective, scale: true, ...AT_EDGE },
    yAxis: { type: 'value', name: 'cumulative probability', min: 0, max: 1, ...AT_EDGE },
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      step: 'end',
      showSymbol: false,
      data: s.points.map((q) => [q.v, q.p]),
    })),
  };
}
