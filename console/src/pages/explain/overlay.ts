// LIME heatmap over the image, DOM-free (unit-tested): the stored explanation carries one weight
// per superpixel and the superpixel map run-length encoded (src/interpret/core/segments-rle.ts);
// each pixel is coloured by its superpixel's weight on a diverging scale symmetric around 0
// (blue = against the class, red = for it), so equal magnitudes look equally strong.

// The server's own decoder (pure, no Node imports), so the two ends cannot drift apart.
export { decodeSegments } from '../../../../src/interpret/core/segments-rle';

export type Rgb = [number, number, number];

const NEGATIVE: Rgb = [33, 102, 172];
const MIDDLE: Rgb = [247, 247, 247];
const POSITIVE: Rgb = [178, 24, 43];

/** Diverging colour (ColorBrewer RdBu end points) for t in [-1, 1]. */
export function divergingColour(t: number): Rgb {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const end = c < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(c);
  return [0, 1, 2].map((i) => Math.round(MIDDLE[i] + (end[i] - MIDDLE[i]) * a)) as Rgb;
}

/** The largest |weight|: the colour scale runs from -scale to +scale. */
export function weightScale(weights: readonly number[]): number {
  return weights.reduce((m, w) => Math.max(m, Math.abs(w)), 0) || 1;
}

/**
 * RGBA pixels (width x height) of the heatmap layer. Alpha is `opacity` times the weight's
 * relative magnitude, so superpixels that do not matter leave the image visible.
 */
export function heatmapPixels(
  segments: Int32Array,
  weights: readonly number[],
  opacity: number,
): Uint8ClampedArray {
  const scale = weightScale(weights);
  const out = new Uint8ClampedArray(segments.length * 4);
  const alpha = Math.max(0, Math.min(1, opacity));
  for (let p = 0; p < segments.length; p++) {
    const w = (weights[segments[p]] ?? 0) / scale;
    const [r, g, b] = divergingColour(w);
    out[4 * p] = r;
    out[4 * p + 1] = g;
    out[4 * p + 2] = b;
    out[4 * p + 3] = Math.round(255 * alpha * Math.abs(w));
  }
  return out;
}

/**
 * RGBA pixels marking one superpixel: outside it the image is dimmed, inside it is left clear,
 * so a NormLIME concept is seen on the image it comes from.
 */
export function highlightPixels(segments: Int32Array, segment: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(segments.length * 4);
  for (let p = 0; p < segments.length; p++) if (segments[p] !== segment) out[4 * p + 3] = 170;
  return out;
}
