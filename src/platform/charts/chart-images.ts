/**
 * What a capability needs to store a chart as a job artifact, in one import: the pure ECharts
 * option builders (`./options`, shared with the console) and their server-side rendering to PNG
 * and SVG (`./render`).
 */
export * from './options';
export { chartPng, chartSvg, type ChartSize } from './render';
