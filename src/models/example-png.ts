import type { ImageShape } from '../ml/data';
import { Raster } from '../platform/charts';

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
  const raster = new Raster(shape.width * scale, shape.height * scale);
  const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  for (let y = 0; y < shape.height; y++) {
    for (let x = 0; x < shape.width; x++) {
      const o = (y * shape.width + x) * shape.channels;
      const rgb =
        shape.channels === 1
          ? ([byte(pixels[o]), byte(pixels[o]), byte(pixels[o])] as const)
          : ([byte(pixels[o]), byte(pixels[o + 1]), byte(pixels[o + 2])] as const);
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < scale; dx++) raster.set(x * scale + dx, y * scale + dy, rgb);
    }
  }
  return raster.toPng();
}
