import type { ImageShape } from '../ml/data';
import { pixelsPng } from '../platform/images/heatmap-overlay';

/** Thumbnails are upscaled (nearest neighbour) to at least this many pixels on the long side. */
const THUMBNAIL_MIN_SIDE = 64;

/**
 * A data set image (HWC floats in [0, 1], 1 or 3 channels) as a PNG thumbnail, upscaled by an
 * integer factor so a 8x8 or 28x28 example is visible; the pixels are the stored ones.
 */
export function examplePng(pixels: Float32Array, shape: ImageShape): Buffer {
  const scale = Math.max(
    1,
    Math.min(8, Math.ceil(THUMBNAIL_MIN_SIDE / Math.max(shape.height, shape.width))),
  );
  const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  return pixelsPng(shape.width, shape.height, scale, (x, y) => {
    const o = (y * shape.width + x) * shape.channels;
    return shape.channels === 1
      ? [byte(pixels[o]), byte(pixels[o]), byte(pixels[o])]
      : [byte(pixels[o]), byte(pixels[o + 1]), byte(pixels[o + 2])];
  });
}
