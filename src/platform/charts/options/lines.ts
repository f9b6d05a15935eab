import type { EChartsOption } from 'echarts';
import { base, finite, valueAxis, type XY } from './common';

export interface LinesData {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly { name: string; points: readonly XY[] }[];
  /** Draw a marker at every point as well as the line. */
  markers?: boolean;
}

/** Several x/y polylines (learning curves, fronts of several strategies), each in x order. */
export function linesOption(d: LinesData): EChartsOption {
  return {
    ...base(d.title),
    legend: { bottom: 0 },
    tooltip: { trigger: 'item' },
    xAxis: valueAxis(d.xLabel),
    yAxis: valueAxis(d.yLabel, { nameGap: 44 }),
    series: d.series.map((s) => ({
      type: 'line' as const,
      name: s.name,
      showSymbol: d.markers ?? false,
      data: [...s.points]
        .filter(finite)
        .sort((a, b) => a.x - b.x)
        .map((p) => [p.x, p.y]),
    })),
  };
}
