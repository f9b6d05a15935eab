import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { EChartsOption } from 'echarts';
import { FONT_FAMILY } from './options/common';

/**
 * Server side of the shared chart definitions: an ECharts option -> SVG (ECharts' own SSR
 * renderer, https://echarts.apache.org/handbook/en/how-to/cross-platform/server) -> PNG
 * (resvg, a maintained SVG renderer). Deterministic: the same option gives the same bytes.
 */

export interface ChartSize {
  width: number;
  height: number;
}

const DEFAULT_SIZE: ChartSize = { width: 640, height: 400 };

/**
 * Text is drawn with the DejaVu Sans file shipped by the `dejavu-fonts-ttf` npm package (free
 * licence, see docs), never the machine's fonts, so CI, Docker and laptops render alike.
 */
const FONT_FILE = join(
  dirname(require.resolve('dejavu-fonts-ttf/package.json')),
  'ttf',
  'DejaVuSans.ttf',
);

function checkSize({ width, height }: ChartSize): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 100 || v > 4096)
      throw new RangeError(`${name} must be an integer in [100, 4096], got ${v}`);
  }
}

/** The option as a standalone SVG document. */
export function chartSvg(option: EChartsOption, size: ChartSize = DEFAULT_SIZE): string {
  checkSize(size);
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width,
    height: size.height,
  });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The option rendered to PNG bytes. */
export function chartPng(option: EChartsOption, size: ChartSize = DEFAULT_SIZE): Buffer {
  const svg = chartSvg(option, size);
  const png = new Resvg(svg, {
    font: {
      fontFiles: [FONT_FILE],
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    fitTo: { mode: 'original' },
  }).render();
  return png.asPng();
}
