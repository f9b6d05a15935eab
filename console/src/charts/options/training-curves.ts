// Fine-tune training curves: loss on the left axis, accuracy on the right, per epoch, train and
// validation side by side (the metrics a training job reports per epoch: loss, accuracy,
// val_loss, val_accuracy; see src/transfer/training-support.ts reportEpoch). DOM-free (unit-tested).
import type { EChartsOption, LineSeriesOption } from 'echarts';

export interface MetricPoint {
  name: string;
  step: number;
  value: number;
}

const LOSSES = ['loss', 'val_loss'];
const ACCURACIES = ['accuracy', 'val_accuracy'];

/** Epoch -> value per curve; a step reported twice (a resumed epoch) keeps its last value. */
export function curves(points: readonly MetricPoint[]): Map<string, [number, number][]> {
  const by = new Map<string, Map<number, number>>();
  for (const p of points) {
    if (!LOSSES.includes(p.name) && !ACCURACIES.includes(p.name)) continue;
    let m = by.get(p.name);
    if (!m) by.set(p.name, (m = new Map()));
    m.set(p.step, p.value);
  }
  const out = new Map<string, [number, number][]>();
  for (const name of [...LOSSES, ...ACCURACIES]) {
    const m = by.get(name);
    // Epochs are reported 0-based; people count them from 1.
    if (m)
      out.set(
        name,
        [...m.entries()].sort((a, b) => a[0] - b[0]).map(([s, v]) => [s + 1, v]),
      );
  }
  return out;
}

export function trainingCurvesOption(points: readonly MetricPoint[]): EChartsOption {
  const series: LineSeriesOption[] = [...curves(points)].map(([name, data]) => ({
    type: 'line',
    name,
    data,
    yAxisIndex: ACCURACIES.includes(name) ? 1 : 0,
    lineStyle: { type: name.startsWith('val_') ? 'dashed' : 'solid' },
    showSymbol: data.length <= 50,
  }));
  return {
    animation: false,
    grid: { left: 56, right: 56, top: 40, bottom: 40 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: [
      { type: 'value', name: 'loss', scale: true },
      { type: 'value', name: 'accuracy', min: 0, max: 1 },
    ],
    series,
  };
}
