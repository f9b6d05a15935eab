import type { EChartsOption } from 'echarts';

/** Horizontal bars, most important parameter on top. */
export function importanceOption(importance: Record<string, number>): EChartsOption {
  const rows = Object.entries(importance).sort((a, b) => a[1] - b[1]);
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    grid: { left: 120 },
    xAxis: { type: 'value', name: 'importance', max: 1 },
    yAxis: { type: 'category', data: rows.map((r) => r[0]) },
    series: [{ type: 'bar', data: rows.map((r) => r[1]) }],
  };
}
