import { PNG } from 'pngjs';

/** An RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

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

/** RGBA pixels (row-major) upscaled by an integer factor (nearest neighbour), as PNG bytes. */
export function pixelsPng(
  width: number,
  height: number,
  scale: number,
  pixel: (x: number, y: number) => Rgb,
): Buffer {
  if (!Number.isInteger(scale) || scale < 1 || scale > 32)
    throw new RangeError(`scale must be an integer in [1, 32], got ${scale}`);
  const png = new PNG({ width: width * scale, height: height * scale });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = pixel(x, y);
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = ((y * scale + dy) * width * scale + x * scale + dx) * 4;
          png.data[o] = c[0];
          png.data[o + 1] = c[1];
          png.data[o + 2] = c[2];
          png.data[o + 3] = 255;
        }
      }
    }
  }
  return PNG.sync.write(png, { colorType: 6 });
}

/**
 * An RGB image with a per-pixel weight map blended over it: weights are scaled by their largest
 * magnitude, coloured with `divergingColor`, and blended with opacity alpha * |w| / max|w| so
 * that unimportant pixels stay visible. Returns PNG bytes. (An image, not a chart: the pixels
 * are the explanation, so it is composed directly rather than through a chart definition.)
 */
export function heatmapOverlay(opts: HeatmapOverlayOptions): Buffer {
  const { width, height, rgb, weights } = opts;
  const scale = opts.scale ?? 1;
  const alpha = opts.alpha ?? 0.6;
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
  const byte = (v: number) => Math.round(Math.max(0, Math.min(255, v * unit)));
  return pixelsPng(width, height, scale, (x, y) => {
    const i = y * width + x;
    const base: Rgb = [byte(rgb[i * 3]), byte(rgb[i * 3 + 1]), byte(rgb[i * 3 + 2])];
    const t = maxAbs > 0 ? weights[i] / maxAbs : 0;
    if (t === 0) return base;
    const c = divergingColor(t);
    const a = alpha * Math.abs(t);
    return [
      Math.round(base[0] * (1 - a) + c[0] * a),
      Math.round(base[1] * (1 - a) + c[1] * a),
      Math.round(base[2] * (1 - a) + c[2] * a),
    ];
  });
}
