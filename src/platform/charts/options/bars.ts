import type { EChartsOption } from 'echarts';
import { PALETTE, base, valueAxis } from './common';

export interface BarsData {
  title: string;
  labels: readonly string[];
  values: readonly number[];
  valueLabel: string;
}

/**
 * Horizontal labelled bars (NormLIME/LIME importances, per-stage utilisation): the first label
 * on top; negative values in the second palette colour.
 */
export function barsOption(d: BarsData): EChartsOption {
  if (d.labels.length !== d.values.length) {
    throw new RangeError(
      `values must have one entry per label (${d.labels.length}), got ${d.values.length}`,
    );
  }
  const { factor, suffix } = displayScale(d.values);
  return {
    ...base(d.title),
    grid: { left: 16, right: 32, top: 48, bottom: 48, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: valueAxis(d.valueLabel + suffix, { scale: false }),
    yAxis: { type: 'category', inverse: true, data: [...d.labels] },
    series: [
      {
        type: 'bar',
        name: d.valueLabel,
        data: d.values.map((v) => ({
          value: factor === 1 ? v : Number((v / factor).toPrecision(12)),
          itemStyle: { color: v < 0 ? PALETTE[1] : PALETTE[0] },
        })),
      },
    ],
  };
}

/** Pixel height that gives every bar about 18 px. */
export function barsHeight(n: number): number {
  return Math.max(200, 96 + n * 18);
}

/**
 * Values whose magnitudes are far from 1 (LIME weights can be ~1e-20) are shown in units of a
 * power of ten named on the axis: ECharts' nice-interval arithmetic fails on such tiny extents.
 */
export function displayScale(values: readonly number[]): { factor: number; suffix: string } {
  const m = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  if (m === 0 || (m >= 1e-6 && m < 1e9)) return { factor: 1, suffix: '' };
  const k = Math.floor(Math.log10(m));
  return { factor: Math.pow(10, k), suffix: ` (x 1e${k})` };
}
