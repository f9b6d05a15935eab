/**
 * Charts laid out by ECharts itself, server-side to SVG (`init(null, null, { renderer: 'svg',
 * ssr: true })`), and the text boxes and axis lines read back from the SVG: for the specs that
 * check a chart's layout, what ECharts draws rather than what an option says it should.
 */
import type { EChartsOption } from 'echarts';
import { init } from '../echarts-lib';

/** `option` drawn by the console's own ECharts build on a `width` x `height` canvas, as SVG. */
export function renderSvg(option: EChartsOption, width: number, height: number): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

export interface TextBox {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * Every <text> of an ECharts SVG as a box: its anchor at translate(tx ty) + (x, y), 12 px sans
 * text about 7 px a character, centred vertically (dominant-baseline central).
 */
export function textBoxes(svg: string): TextBox[] {
  return [...svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].map(([, attrs, text]) => {
    const num = (re: RegExp) => Number(re.exec(attrs)?.[1] ?? 0);
    const t = /translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/.exec(attrs);
    const cx = Number(t?.[1] ?? 0) + num(/ x="([-\d.e]+)"/);
    const cy = Number(t?.[2] ?? 0) + num(/ y="([-\d.e]+)"/);
    const width = text.length * 7;
    const anchor = /text-anchor="(\w+)"/.exec(attrs)?.[1] ?? 'start';
    const left = anchor === 'middle' ? cx - width / 2 : anchor === 'end' ? cx - width : cx;
    return { text, left, right: left + width, top: cy - 6, bottom: cy + 6 };
  });
}

export function overlaps(a: TextBox, b: TextBox): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** An axis line of an ECharts SVG: a straight segment from (x1, y1) to (x2, y2). */
export interface Segment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * The axis lines of an ECharts SVG: the one-segment paths drawn with round caps (ECharts draws
 * axis lines so; split lines and ticks have butt caps).
 */
export function axisLines(svg: string): Segment[] {
  return [...svg.matchAll(/<path d="M([-\d.e]+) ([-\d.e]+)L([-\d.e]+) ([-\d.e]+)"([^>]*)>/g)]
    .filter(([, , , , , attrs]) => attrs.includes('stroke-linecap="round"'))
    .map(([, x1, y1, x2, y2]) => ({ x1: +x1, y1: +y1, x2: +x2, y2: +y2 }));
}
