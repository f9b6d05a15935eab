import { GLYPH_HEIGHT, textWidth } from './font';
import { Raster, type Rgb } from './raster';

/** A categorical palette (Okabe & Ito 2008, colour-blind safe), cycled for series. */
export const PALETTE: readonly Rgb[] = [
  [0, 114, 178],
  [213, 94, 0],
  [0, 158, 115],
  [204, 121, 167],
  [230, 159, 0],
  [86, 180, 233],
  [240, 228, 66],
  [0, 0, 0],
];

const INK: Rgb = [30, 30, 30];
const GRID: Rgb = [215, 215, 215];

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: readonly Point[];
  color?: Rgb;
}

interface AxesOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

export interface LineChartOptions extends AxesOptions {
  series: readonly Series[];
  /** Draw a small marker at every point as well as the line. */
  markers?: boolean;
}

export interface ScatterChartOptions extends AxesOptions {
  points: readonly Point[];
  /** Optional highlighted front (e.g. a Pareto front), drawn as a line through its points in x order. */
  front?: readonly Point[];
  frontLabel?: string;
}

export interface BarChartOptions {
  title?: string;
  labels: readonly string[];
  values: readonly number[];
  orientation?: 'horizontal' | 'vertical';
  valueLabel?: string;
  width?: number;
  height?: number;
  /** One colour for all bars; negative values are drawn in the second palette colour. */
  color?: Rgb;
}

export interface HeatmapOverlayOptions {
  width: number;
  height: number;
  /** HWC RGB pixels: a Uint8Array in 0..255 or a Float32Array in 0..1. */
  rgb: Uint8Array | Float32Array;
  /** One weight per pixel (row-major). Positive is drawn red, negative blue, zero transparent. */
  weights: ArrayLike<number>;
  /** Maximum overlay opacity in [0, 1]; default 0.6. */
  alpha?: number;
  /** Integer upscaling factor for small images; default 1. */
  scale?: number;
}

/**
 * "Nice" tick values covering [lo, hi] (Heckbert, Graphics Gems 1990: steps of 1, 2 or 5 x 10^k).
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw new RangeError(`ticks need finite bounds, got ${lo}, ${hi}`);
  if (hi <= lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  // Last tick is the first one at or above hi, so the axis always covers the data.
  for (let k = 0; ; k++) {
    const v = Number((start + k * step).toPrecision(12));
    ticks.push(v);
    if (v >= hi - step * 1e-9 && ticks.length >= 2) break;
  }
  return ticks;
}

/** Short tick label: integers as is, otherwise up to 3 significant digits, exponent if huge/tiny. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

interface Frame {
  raster: Raster;
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  return [lo, hi];
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || width < 120)
    throw new RangeError(`width must be an integer >= 120, got ${width}`);
  if (!Number.isInteger(height) || height < 100)
    throw new RangeError(`height must be an integer >= 100, got ${height}`);
}

/** Axes, grid, tick labels, title and axis labels for x/y data; returns the coordinate mappers. */
function axes(opts: AxesOptions, xs: readonly number[], ys: readonly number[]): Frame {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  checkSize(width, height);
  const raster = new Raster(width, height);
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const xt = niceTicks(x0, x1, Math.max(2, Math.floor(width / 90)));
  const yt = niceTicks(y0, y1, Math.max(2, Math.floor(height / 60)));
  const yLabels = yt.map(formatTick);
  const left = 12 + (opts.yLabel ? 12 : 0) + Math.max(...yLabels.map((s) => textWidth(s)));
  const top = opts.title ? 26 : 12;
  const bottom = 24 + (opts.xLabel ? 14 : 0);
  const right = 16;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xlo = xt[0];
  const xhi = xt[xt.length - 1];
  const ylo = yt[0];
  const yhi = yt[yt.length - 1];
  const sx = (x: number): number => left + ((x - xlo) / (xhi - xlo)) * plotW;
  const sy = (y: number): number => top + plotH - ((y - ylo) / (yhi - ylo)) * plotH;
  for (const t of xt) {
    const px = sx(t);
    raster.dashed(px, top, px, top + plotH, GRID);
    raster.line(px, top + plotH, px, top + plotH + 3, INK);
    raster.textCentered(px, top + plotH + 6, formatTick(t), INK);
  }
  yt.forEach((t, i) => {
    const py = sy(t);
    raster.dashed(left, py, left + plotW, py, GRID);
    raster.line(left - 3, py, left, py, INK);
    raster.text(left - 5 - textWidth(yLabels[i]), py - 3, yLabels[i], INK);
  });
  raster.line(left, top, left, top + plotH, INK);
  raster.line(left, top + plotH, left + plotW, top + plotH, INK);
  if (opts.title) raster.textCentered(width / 2, 6, opts.title, INK, 2);
  if (opts.xLabel)
    raster.textCentered(left + plotW / 2, height - 4 - GLYPH_HEIGHT, opts.xLabel, INK);
  if (opts.yLabel) raster.textUp(3, top + plotH / 2 + textWidth(opts.yLabel) / 2, opts.yLabel, INK);
  return { raster, left, top, plotW, plotH, sx, sy };
}

function legend(frame: Frame, entries: readonly { name: string; color: Rgb }[]): void {
  if (entries.length === 0) return;
  const w = Math.max(...entries.map((e) => textWidth(e.name))) + 22;
  const x = frame.left + frame.plotW - w - 4;
  let y = frame.top + 4;
  frame.raster.fillRect(x - 2, y - 2, w + 4, entries.length * 11 + 3, [255, 255, 255], 0.85);
  for (const e of entries) {
    frame.raster.fillRect(x, y + 2, 12, 3, e.color);
    frame.raster.text(x + 16, y, e.name, INK);
    y += 11;
  }
}

/** Several x/y series as polylines (e.g. latency CDFs, learning curves). Returns PNG bytes. */
export function lineChart(opts: LineChartOptions): Buffer {
  if (opts.series.length === 0) throw new RangeError('series must not be empty');
  const xs = opts.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = opts.series.flatMap((s) => s.points.map((p) => p.y));
  const f = axes(opts, xs, ys);
  const entries = opts.series.map((s, i) => ({
    name: s.name,
    color: s.color ?? PALETTE[i % PALETTE.length],
  }));
  opts.series.forEach((s, i) => {
    const c = entries[i].color;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    for (let k = 1; k < pts.length; k++) {
      f.raster.line(f.sx(pts[k - 1].x), f.sy(pts[k - 1].y), f.sx(pts[k].x), f.sy(pts[k].y), c, 2);
    }
    if (opts.markers || pts.length === 1)
      for (const p of pts) f.raster.dot(f.sx(p.x), f.sy(p.y), c);
  });
  legend(f, entries);
  return f.raster.toPng();
}

/** A point cloud with an optional highlighted front line (e.g. a Pareto front). Returns PNG bytes. */
export function scatterChart(opts: ScatterChartOptions): Buffer {
  const all = [...opts.points, ...(opts.front ?? [])];
  const f = axes(
    opts,
    all.map((p) => p.x),
    all.map((p) => p.y),
  );
  for (const p of opts.points) {
    if (Number.isFinite(p.x) && Number.isFinite(p.y))
      f.raster.dot(f.sx(p.x), f.sy(p.y), PALETTE[0], 1);
  }
  if (opts.front && opts.front.length > 0) {
    const front = [...opts.front].sort((a, b) => a.x - b.x || a.y - b.y);
    for (let k = 1; k < front.length; k++) {
      f.raster.line(
        f.sx(front[k - 1].x),
        f.sy(front[k - 1].y),
        f.sx(front[k].x),
        f.sy(front[k].y),
        PALETTE[1],
        2,
      );
    }
    for (const p of front) f.raster.dot(f.sx(p.x), f.sy(p.y), PALETTE[1], 2);
    legend(f, [
      { name: 'points', color: PALETTE[0] },
      { name: opts.frontLabel ?? 'front', color: PALETTE[1] },
    ]);
  }
  return f.raster.toPng();
}

/**
 * Labelled bars (e.g. NormLIME importances). Horizontal bars list labels on the left and suit
 * long feature names; vertical bars print labels under the bars. Returns PNG bytes.
 */
export function barChart(opts: BarChartOptions): Buffer {
  const n = opts.labels.length;
  if (n === 0) throw new RangeError('labels must not be empty');
  if (opts.values.length !== n) {
    throw new RangeError(`values must have one entry per label (${n}), got ${opts.values.length}`);
  }
  const horizontal = (opts.orientation ?? 'horizontal') === 'horizontal';
  const width = opts.width ?? 640;
  const height = opts.height ?? (horizontal ? Math.max(160, 50 + n * 16) : 400);
  checkSize(width, height);
  const raster = new Raster(width, height);
  const [vmin, vmax] = extent([0, ...opts.values]);
  const ticks = niceTicks(vmin, vmax, horizontal ? Math.max(2, Math.floor(width / 110)) : 5);
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1];
  const pos = opts.color ?? PALETTE[0];
  const neg = PALETTE[1];
  const top = opts.title ? 26 : 12;
  if (opts.title) raster.textCentered(width / 2, 6, opts.title, INK, 2);
  if (horizontal) {
    const left = 12 + Math.max(...opts.labels.map((s) => textWidth(s)));
    const bottom = 22 + (opts.valueLabel ? 14 : 0);
    const plotW = width - left - 16;
    const plotH = height - top - bottom;
    const sv = (v: number): number => left + ((v - lo) / (hi - lo)) * plotW;
    for (const t of ticks) {
      raster.dashed(sv(t), top, sv(t), top + plotH, GRID);
      raster.textCentered(sv(t), top + plotH + 6, formatTick(t), INK);
    }
    const band = plotH / n;
    opts.labels.forEach((label, i) => {
      const v = opts.values[i];
      const y = top + i * band;
      const a = sv(Math.min(0, v));
      const b = sv(Math.max(0, v));
      raster.fillRect(a, y + band * 0.15, Math.max(1, b - a), band * 0.7, v < 0 ? neg : pos);
      raster.text(left - 6 - textWidth(label), y + band / 2 - 3, label, INK);
    });
    raster.line(sv(0), top, sv(0), top + plotH, INK);
    raster.line(left, top + plotH, left + plotW, top + plotH, INK);
    if (opts.valueLabel)
      raster.textCentered(left + plotW / 2, height - 4 - GLYPH_HEIGHT, opts.valueLabel, INK);
  } else {
    const labelW = Math.max(...ticks.map((t) => textWidth(formatTick(t))));
    const left = 12 + labelW + (opts.valueLabel ? 12 : 0);
    const bottom = 20;
    const plotW = width - left - 16;
    const plotH = height - top - bottom;
    const sv = (v: number): number => top + plotH - ((v - lo) / (hi - lo)) * plotH;
    for (const t of ticks) {
      const label = formatTick(t);
      raster.dashed(left, sv(t), left + plotW, sv(t), GRID);
      raster.text(left - 5 - textWidth(label), sv(t) - 3, label, INK);
    }
    const band = plotW / n;
    const maxChars = Math.max(1, Math.floor((band - 2) / 6));
    opts.labels.forEach((label, i) => {
      const v = opts.values[i];
      const x = left + i * band;
      const a = sv(Math.max(0, v));
      const b = sv(Math.min(0, v));
      raster.fillRect(x + band * 0.15, a, band * 0.7, Math.max(1, b - a), v < 0 ? neg : pos);
      raster.textCentered(x + band / 2, top + plotH + 6, label.slice(0, maxChars), INK);
    });
    raster.line(left, sv(0), left + plotW, sv(0), INK);
    raster.line(left, top, left, top + plotH, INK);
    if (opts.valueLabel)
      raster.textUp(3, top + plotH / 2 + textWidth(opts.valueLabel) / 2, opts.valueLabel, INK);
  }
  return raster.toPng();
}

/**
 * Diverging blue-white-red colour for t in [-1, 1] (after ColorBrewer RdBu, Harrower & Brewer
 * 2003): -1 deep blue, 0 white, +1 deep red, linear in between.
 */
export function divergingColor(t: number): Rgb {
  const c = Math.max(-1, Math.min(1, t));
  const red: Rgb = [178, 24, 43];
  const blue: Rgb = [33, 102, 172];
  const end = c >= 0 ? red : blue;
  const a = Math.abs(c);
  return [
    Math.round(255 + (end[0] - 255) * a),
    Math.round(255 + (end[1] - 255) * a),
    Math.round(255 + (end[2] - 255) * a),
  ];
}

/**
 * An RGB image with a per-pixel weight map blended over it: weights are scaled by their largest
 * magnitude, coloured with `divergingColor`, and blended with opacity alpha * |w| / max|w| so
 * that unimportant pixels stay visible. Returns PNG bytes.
 */
export function heatmapOverlay(opts: HeatmapOverlayOptions): Buffer {
  const { width, height, rgb, weights } = opts;
  const scale = opts.scale ?? 1;
  const alpha = opts.alpha ?? 0.6;
  if (!Number.isInteger(scale) || scale < 1 || scale > 32)
    throw new RangeError(`scale must be an integer in [1, 32], got ${scale}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  if (rgb.length !== width * height * 3) {
    throw new RangeError(
      `rgb must hold width*height*3 = ${width * height * 3} values, got ${rgb.length}`,
    );
  }
  if (weights.length !== width * height) {
    throw new RangeError(
      `weights must hold width*height = ${width * height} values, got ${weights.length}`,
    );
  }
  const unit = rgb instanceof Float32Array ? 255 : 1;
  let maxAbs = 0;
  for (let i = 0; i < weights.length; i++) maxAbs = Math.max(maxAbs, Math.abs(weights[i]));
  const raster = new Raster(width * scale, height * scale);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const base: Rgb = [
        Math.round(Math.max(0, Math.min(255, rgb[i * 3] * unit))),
        Math.round(Math.max(0, Math.min(255, rgb[i * 3 + 1] * unit))),
        Math.round(Math.max(0, Math.min(255, rgb[i * 3 + 2] * unit))),
      ];
      raster.fillRect(x * scale, y * scale, scale, scale, base);
      const t = maxAbs > 0 ? weights[i] / maxAbs : 0;
      if (t !== 0)
        raster.fillRect(x * scale, y * scale, scale, scale, divergingColor(t), alpha * Math.abs(t));
    }
  }
  return raster.toPng();
}
