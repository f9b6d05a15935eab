// NormLIME global importance (Ahern et al. 2019) as horizontal bars, the most important feature
// on top. DOM-free (unit-tested).
import type { EChartsOption } from 'echarts';

export interface Importance {
  feature: string;
  importance: number;
}

export function normLimeBarsOption(
  ranking: readonly Importance[],
  title: string,
  top = 15,
): EChartsOption {
  // echarts draws category axes bottom-up: reverse so rank 1 is the top bar.
  const shown = ranking.slice(0, top).reverse();
  return {
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 140, right: 24, top: 36, bottom: 32, containLabel: false },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: 'importance', nameLocation: 'middle', nameGap: 22, min: 0 },
    yAxis: {
      type: 'category',
      data: shown.map((r) => r.feature),
      axisLabel: { width: 130, overflow: 'truncate' },
    },
    series: [
      { type: 'bar', data: shown.map((r) => r.importance), itemStyle: { color: '#2f6fb0' } },
    ],
  };
}
