/**
 * Deterministic image transformations on Float32 HWC arrays (the primitives behind the random
 * augmentations of AutoDL Augment / AutLearn). Every function returns a new array; pixels that
 * come from outside the source image take `fill` (default 0, like zero padding).
 */
import type { ImageShape } from '../dataset';
import { sampleBilinear } from '../image';

export function flipHorizontal(img: Float32Array, shape: ImageShape): Float32Array {
  const { height: h, width: w, channels: c } = shape;
  const out = new Float32Array(img.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img[(y * w + (w - 1 - x)) * c + k];
    }
  }
  return out;
}

export function flipVertical(img: Float32Array, shape: ImageShape): Float32Array {
  const { height: h, width: w, channels: c } = shape;
  const row = w * c;
  const out = new Float32Array(img.length);
  for (let y = 0; y < h; y++) out.set(img.subarray((h - 1 - y) * row, (h - y) * row), y * row);
  return out;
}

/** Shifts content by (dy, dx) whole pixels: out[y][x] = in[y - dy][x - dx]. */
export function translate(
  img: Float32Array,
  shape: ImageShape,
  dy: number,
  dx: number,
  fill = 0,
): Float32Array {
  const { height: h, width: w, channels: c } = shape;
  const out = new Float32Array(img.length).fill(fill);
  for (let y = 0; y < h; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < w; x++) {
      const sx = x - dx;
      if (sx < 0 || sx >= w) continue;
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img[(sy * w + sx) * c + k];
    }
  }
  return out;
}

/**
 * Zero-pads `pad` pixels on every side and crops the original size at (top, left) of the padded
 * image, top/left in [0, 2 * pad] (the CIFAR "pad 4 and random crop" of He et al. 2016).
 */
export function padCrop(
  img: Float32Array,
  shape: ImageShape,
  pad: number,
  top: number,
  left: number,
  fill = 0,
): Float32Array {
  return translate(img, shape, pad - top, pad - left, fill);
}

/**
 * Maps each output pixel through an inverse affine map about the image centre and samples the
 * source bilinearly; sources outside the image take `fill`.
 */
function warp(
  img: Float32Array,
  shape: ImageShape,
  inverse: (dy: number, dx: number) => [number, number],
  fill: number,
): Float32Array {
  const { height: h, width: w, channels: c } = shape;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const eps = 1e-6;
  const out = new Float32Array(img.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sdy, sdx] = inverse(y - cy, x - cx);
      let sy = sdy + cy;
      let sx = sdx + cx;
      const o = (y * w + x) * c;
      if (sy < -eps || sy > h - 1 + eps || sx < -eps || sx > w - 1 + eps) {
        for (let k = 0; k < c; k++) out[o + k] = fill;
        continue;
      }
      sy = Math.min(h - 1, Math.max(0, sy));
      sx = Math.min(w - 1, Math.max(0, sx));
      for (let k = 0; k < c; k++) out[o + k] = sampleBilinear(img, shape, sy, sx, k);
    }
  }
  return out;
}

/** Rotates counter-clockwise by `degrees` about the centre (y axis pointing down, as displayed). */
export function rotate(
  img: Float32Array,
  shape: ImageShape,
  degrees: number,
  fill = 0,
): Float32Array {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  // Output offset (dy, dx) comes from the source offset rotated back by -t.
  return warp(img, shape, (dy, dx) => [sin * dx + cos * dy, cos * dx - sin * dy], fill);
}

/** Zooms by `factor` about the centre (> 1 enlarges, < 1 shrinks with `fill` around). */
export function scale(
  img: Float32Array,
  shape: ImageShape,
  factor: number,
  fill = 0,
): Float32Array {
  return warp(img, shape, (dy, dx) => [dy / factor, dx / factor], fill);
}

/** Adds independent N(0, std^2) noise from `normal()` draws to every value. */
export function addNoise(img: Float32Array, normal: () => number, std: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = img[i] + std * normal();
  return out;
}
