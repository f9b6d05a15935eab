// Confusion matrix heatmap (rows: true class, columns: predicted class), DOM-free.
import type { EChartsOption } from 'echarts';

/** The chart's height in px for n classes: 28 px a row under a fixed frame, at most 588. */
export function confusionMatrixHeight(classes: number): number {
  return Math.min(588, 248 + classes * 28);
}

/** `confusion[t][p]`: test examples of true class t predicted as p (EvaluationDto). */
export function confusionMatrixOption(
  classNames: readonly string[],
  confusion: readonly (readonly number[])[],
): EChartsOption {
  const cells: [number, number, number][] = [];
  let max = 0;
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      // y runs bottom-up in ECharts: the first true class is drawn on the top row.
      cells.push([p, classNames.length - 1 - t, count]);
      max = Math.max(max, count);
    }),
  );
  return {
    animation: false,
    tooltip: { position: 'top' },
    // bottom leaves the axis name 'predicted' clear of the colour scale's handle labels under it.
    grid: { left: 16, right: 16, top: 32, bottom: 100, containLabel: true },
    xAxis: {
      type: 'category',
      data: [...classNames],
      name: 'predicted',
      nameLocation: 'middle',
      nameGap: 28,
      splitArea: { show: true },
    },
    yAxis: {
      type: 'category',
      data: [...classNames].reverse(),
      name: 'true',
      splitArea: { show: true },
    },
    visualMap: {
      min: 0,
      max: Math.max(1, max),
      calculable: true,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      inRange: { color: ['#f7fbff', '#08306b'] },
    },
    series: [{ type: 'heatmap', name: 'examples', data: cells, label: { show: true } }],
  };
}
