import type { EChartsOption } from 'echarts';
import { AT_EDGE } from './axes';

/** GET /v1/studies/:id/history: min/max-per-bucket dots and the best-so-far at bucket ends. */
export interface HistoryData {
  points: { number: number; value: number }[];
  best: { number: number; value: number }[];
  direction: 'minimize' | 'maximize';
}

/** Dots drawn one by one up to here. */
const LARGE_FROM = 200;

/** Optimisation history (Optuna Dashboard's first plot): objective per trial, best-so-far step line. */
export function historyOption(d: HistoryData, name = 'objective'): EChartsOption {
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    // At the top: ECharts 6's default (bottom) is where the zoom slider is.
    legend: { data: [name, 'best so far'], top: 0 },
    xAxis: { type: 'value', name: 'trial', min: 'dataMin', max: 'dataMax', ...AT_EDGE },
    yAxis: { type: 'value', name, scale: true, ...AT_EDGE },
    dataZoom: [{ type: 'inside' }, { type: 'slider' }],
    series: [
      {
        name,
        type: 'scatter',
        symbolSize: 5,
        // Beyond a few hundred dots, one path instead of an SVG element per dot: 1000 dots draw in
        // ~30 ms instead of ~180 (the history is the first plot the page waits for); tooltips
        // still work, only the hover highlight of a single dot is lost.
        large: d.points.length > LARGE_FROM,
        largeThreshold: LARGE_FROM,
        data: d.points.map((p) => [p.number, p.value]),
      },
      {
        name: 'best so far',
        type: 'line',
        step: 'end',
        showSymbol: false,
        data: d.best.map((p) => [p.number, p.value]),
      },
    ],
  };
}
