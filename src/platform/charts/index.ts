/**
 * Charts for reports and job artifacts: pure ECharts option builders (`./options`, shared with
 * the console) rendered server-side to SVG and PNG (`./render`).
 */
export * from './options';
export { chartPng, chartSvg, type ChartSize } from './render';
