import { dirname, join } from 'node:path';
import type * as ResvgLib from '@resvg/resvg-js';
import type * as EChartsLib from 'echarts';
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

/*
 * ECharts (3.9 MB of JavaScript) and resvg (a native addon) load with the first chart, not with
 * every process that imports this module: the API, each job worker, each CLI call. Compiling
 * ECharts cost every worker start about 0.1 s of CPU, most of them never drawing a chart.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
const echarts = (): typeof EChartsLib => require('echarts') as typeof EChartsLib;
const resvg = (): typeof ResvgLib => require('@resvg/resvg-js') as typeof ResvgLib;
/* eslint-enable @typescript-eslint/no-require-imports */

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
  const chart = echarts().init(null, null, {
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
  const png = new (resvg().Resvg)(svg, {
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
