import type { EChartsOption } from 'echarts';

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
    xAxis: { type: 'value', name: objective, scale: true },
    yAxis: { type: 'value', name: 'cumulative probability', min: 0, max: 1 },
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      step: 'end',
      showSymbol: false,
      data: s.points.map((q) => [q.v, q.p]),
    })),
  };
}
