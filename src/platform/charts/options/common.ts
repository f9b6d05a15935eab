import type { EChartsOption } from 'echarts';

/**
 * Shared look of every chart definition. These builders are pure `(data) => EChartsOption`
 * functions with no Node or DOM imports: the server renders them to SVG/PNG job artifacts and the
 * console (Vite) renders the same options in the browser, so both show the same pictures.
 */

/** A categorical palette (Okabe & Ito 2008, colour-blind safe), cycled for series. */
export const PALETTE = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#f0e442',
  '#000000',
] as const;

/** Font family the server registers with the PNG renderer (bundled DejaVu Sans). */
export const FONT_FAMILY = 'DejaVu Sans';

export interface XY {
  x: number;
  y: number;
}

/** Title, font and palette common to every chart; static (no animation) so SSR output is stable. */
export function base(title: string): EChartsOption {
  return {
    animation: false,
    color: [...PALETTE],
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT_FAMILY },
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 64, right: 24, top: 48, bottom: 56, containLabel: true },
  };
}

/** A value axis with its name centred along it. */
export function valueAxis(name: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'value' as const,
    name,
    nameLocation: 'middle' as const,
    nameGap: 32,
    scale: true,
    ...extra,
  };
}

export function finite(p: XY): boolean {
  return Number.isFinite(p.x) && Number.isFinite(p.y);
}
