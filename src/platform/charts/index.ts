/**
 * PNG charts for reports and job artifacts, pure TypeScript over `pngjs` (no canvas, no native
 * code). Every function returns PNG bytes and is deterministic: same input, same bytes.
 */
export {
  barChart,
  divergingColor,
  formatTick,
  heatmapOverlay,
  lineChart,
  niceTicks,
  PALETTE,
  scatterChart,
  type BarChartOptions,
  type HeatmapOverlayOptions,
  type LineChartOptions,
  type Point,
  type ScatterChartOptions,
  type Series,
} from './charts';
export { Raster, type Rgb } from './raster';
