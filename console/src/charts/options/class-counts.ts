// Bar chart of the examples per class of a data set (DOM-free: unit-tested in node).
import type { EChartsOption } from 'echarts';

export function classCountsOption(countsPerClass: Record<string, number>): EChartsOption {
  const names = Object.keys(countsPerClass);
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 36, bottom: 48, containLabel: true },
    tooltip: { trigger: 'axis' },
    xAxis: {
      type: 'category',
      data: names,
      name: 'class',
      nameLocation: 'middle',
      nameGap: 32,
      axisLabel: { interval: 0, rotate: names.length > 8 ? 45 : 0 },
    },
    yAxis: { type: 'value', name: 'examples', minInterval: 1 },
    series: [
      {
        type: 'bar',
        name: 'examples',
        data: names.map((n) => countsPerClass[n]),
        label: { show: names.length <= 20, position: 'top' },
      },
    ],
  };
}
