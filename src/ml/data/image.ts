/**
 * Image decoding (PNG via pngjs, JPEG via jpeg-js), channel conversion and resizing on Float32
 * HWC arrays. Decoders get a pixel-count cap before they allocate, so a tiny file that declares a
 * huge canvas is rejected instead of exhausting memory.
 */
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import type { ImageShape } from './dataset';

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  rgba: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg';

export function detectImageFormat(buffer: Buffer): ImageFormat | undefined {
  if (
    buffer.length >= 8 &&
    buffer.readUInt32BE(0) === 0x89504e47 &&
    buffer.readUInt32BE(4) === 0x0d0a1a0a
  )
    return 'png';
  if (buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff)
    return 'jpeg';
  return undefined;
}

/** Decodes PNG or JPEG; throws an Error with a human reason (the caller adds the entry name). */
export function decodeImage(buffer: Buffer, maxPixels: number): DecodedImage {
  const format = detectImageFormat(buffer);
  if (format === 'png') {
    // IHDR is always the first chunk: width and height at bytes 16..23.
    if (buffer.length < 24) throw new Error('truncated PNG header');
    const width = buffer.readUInt32BE(16);
    const height = buffer.readUInt32BE(20);
    if (width * height > maxPixels)
      throw new Error(`PNG of ${width}x${height} exceeds the limit of ${maxPixels} pixels`);
    const png = PNG.sync.read(buffer);
    return {
      width: png.width,
      height: png.height,
      rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length),
    };
  }
  if (format === 'jpeg') {
    const img = jpeg.decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.max(64, Math.ceil((maxPixels * 8) / 1e6)),
    });
    if (img.width * img.height === 0) throw new Error('JPEG has no pixels');
    return { width: img.width, height: img.height, rgba: img.data };
  }
  throw new Error('not a PNG or JPEG file (unknown signature)');
}

/** True when every pixel has R = G = B (a grayscale image, whatever its file's colour type). */
export function isGray(image: DecodedImage): boolean {
  const { rgba } = image;
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  }
  return true;
}

/**
 * RGBA bytes to Float32 HWC in [0, 1] with 1 or 3 channels. Alpha is dropped. Colour to gray uses
 * the ITU-R BT.601 luma weights (0.299, 0.587, 0.114), as PIL's `convert('L')` does.
 */
export function toFloatChannels(image: DecodedImage, channels: 1 | 3): Float32Array {
  const n = image.width * image.height;
  const out = new Float32Array(n * channels);
  const { rgba } = image;
  for (let p = 0; p < n; p++) {
    const r = rgba[4 * p];
    const g = rgba[4 * p + 1];
    const b = rgba[4 * p + 2];
    if (channels === 1) {
      out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    } else {
      out[3 * p] = r / 255;
      out[3 * p + 1] = g / 255;
      out[3 * p + 2] = b / 255;
    }
  }
  return out;
}

export type ResizeMethod = 'nearest' | 'bilinear';

/**
 * Resizes an HWC image. Sampling uses half-pixel centres, src = (dst + 0.5) * in/out - 0.5, as
 * tf.image.resizeBilinear/resizeNearestNeighbor with halfPixelCenters=true and OpenCV's INTER_LINEAR.
 */
export function resizeImage(
  pixels: Float32Array,
  from: ImageShape,
  to: { height: number; width: number },
  method: ResizeMethod,
): Float32Array {
  const { height: h, width: w, channels: c } = from;
  if (h === to.height && w === to.width) return pixels;
  const out = new Float32Array(to.height * to.width * c);
  const sy = h / to.height;
  const sx = w / to.width;
  for (let y = 0; y < to.height; y++) {
    for (let x = 0; x < to.width; x++) {
      const o = (y * to.width + x) * c;
      if (method === 'nearest') {
        const iy = Math.min(h - 1, Math.floor((y + 0.5) * sy));
        const ix = Math.min(w - 1, Math.floor((x + 0.5) * sx));
        for (let k = 0; k < c; k++) out[o + k] = pixels[(iy * w + ix) * c + k];
      } else {
        const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
        const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        for (let k = 0; k < c; k++) out[o + k] = sampleBilinear(pixels, from, fy, fx, k);
      }
    }
  }
  return out;
}

/** Bilinear sample at real coordinates inside the image (callers clamp or handle borders). */
export function sampleBilinear(
  pixels: Float32Array,
  shape: ImageShape,
  fy: number,
  fx: number,
  k: number,
): number {
  const { height: h, width: w, channels: c } = shape;
  const y0 = Math.floor(fy);
  const x0 = Math.floor(fx);
  const y1 = Math.min(h - 1, y0 + 1);
  const x1 = Math.min(w - 1, x0 + 1);
  const dy = fy - y0;
  const dx = fx - x0;
  const top = pixels[(y0 * w + x0) * c + k] * (1 - dx) + pixels[(y0 * w + x1) * c + k] * dx;
  const bottom = pixels[(y1 * w + x0) * c + k] * (1 - dx) + pixels[(y1 * w + x1) * c + k] * dx;
  return top * (1 - dy) + bottom * dy;
}
