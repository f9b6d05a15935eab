import type { EChartsOption } from 'echarts';
import { AT_EDGE } from './axes';

/** GET /v1/studies/:id/params/:name/slice: raw points when few, else min/mean/max per bin. */
export interface SliceData {
  name: string;
  distribution: { type: string; log?: boolean };
  points: { number: number; x: unknown; value: number }[] | null;
  bins: { x: unknown; n: number; lo: number; hi: number; mean: number }[];
}

export function sliceOption(d: SliceData, objective = 'objective'): EChartsOption {
  const categorical = d.distribution.type === 'categorical';
  const xAxis: EChartsOption['xAxis'] = categorical
    ? { type: 'category', name: d.name }
    : {
        type: d.distribution.log ? 'log' : 'value',
        name: d.name,
        scale: true,
        // An int parameter has no value between its ticks: no tick at 1.5.
        ...(d.distribution.type === 'int' ? { minInterval: 1 } : {}),
        ...AT_EDGE,
      };
  const x = (v: unknown) => (categorical ? String(v) : Number(v));
  if (d.points)
    return {
      animation: false,
      tooltip: { trigger: 'item' },
      xAxis,
      yAxis: { type: 'value', name: objective, scale: true, ...AT_EDGE },
      series: [{ type: 'scatter', symbolSize: 6, data: d.points.map((p) => [x(p.x), p.value]) }],
    };
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: ['min', 'mean', 'max'] },
    xAxis,
    yAxis: { type: 'value', name: objective, scale: true, ...AT_EDGE },
    series: (['lo', 'mean', 'hi'] as const).map((k, i) => ({
      name: ['min', 'mean', 'max'][i],
      type: categorical ? 'scatter' : 'line',
      data: d.bins.map((b) => [x(b.x), b[k]]),
    })),
  };
}
