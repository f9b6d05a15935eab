/**
 * Perceptual hashes of grayscale images, as the Python `imagehash` library (J. Buchner) defines
 * them, used to compare a reconstruction attack's output with the real samples (arXiv 1810.06877
 * measures MCL's privacy as the Hamming distance between the hashes of reconstructions and
 * originals):
 *  - aHash (average_hash): resize to 8x8, bit = pixel > mean of the 64 pixels;
 *  - dHash (dhash): resize to 9 wide x 8 high, bit = pixel > its left neighbour (8x8 bits);
 *  - pHash (phash): resize to 32x32, 2-D DCT-II (scipy.fftpack.dct along rows then columns),
 *    keep the top-left 8x8 (lowest frequencies), bit = coefficient > their median.
 * The resize is PIL's `Image.resize(size, LANCZOS)` on an 8-bit image (imagehash converts to
 * mode "L" and resizes with LANCZOS), reimplemented from Pillow's Resample.c: Lanczos-3 kernel
 * stretched by the downscale factor (antialiasing), coefficients in 22-bit fixed point, a
 * horizontal pass then a vertical pass, each rounded and clipped to 0..255. The spec checks the
 * bits against hashes computed with Pillow (bench/collab/imagehash_reference.py).
 */
import { ValidationError } from '../../platform/errors/domain-error';

/** An 8-bit grayscale image, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  /** width * height values in 0..255 (integers). */
  pixels: Uint8Array;
}

/** A 64-bit hash as its bits, row-major (imagehash's `hash.flatten()`). */
export type HashBits = readonly boolean[];

export type HashKind = 'ahash' | 'dhash' | 'phash';

const PRECISION_BITS = 32 - 8 - 2;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's lanczos_filter: sinc(x) sinc(x / 3) on [-3, 3). */
function lanczos(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis (LANCZOS, support 3). */
function coefficients(inSize: number, outSize: number): { min: number; k: number[] }[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale;
  const out: { min: number; k: number[] }[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const w: number[] = [];
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const v = lanczos((x + xmin - center + 0.5) * ss);
      w.push(v);
      ww += v;
    }
    const k = w.map((v) => {
      const n = ww !== 0 ? v / ww : v;
      return n < 0
        ? Math.trunc(-0.5 + n * (1 << PRECISION_BITS))
        : Math.trunc(0.5 + n * (1 << PRECISION_BITS));
    });
    out.push({ min: xmin, k });
  }
  return out;
}

function clip8(v: number): number {
  if (v >= 2 ** (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / 2 ** PRECISION_BITS);
}

/** Pillow's Image.resize((width, height), LANCZOS) of an 8-bit single-channel image. */
export function resizeLanczos(img: GrayImage, width: number, height: number): GrayImage {
  checkImage(img);
  let cur = img;
  if (width !== img.width) {
    const cs = coefficients(img.width, width);
    const px = new Uint8Array(width * img.height);
    for (let y = 0; y < img.height; y++)
      cs.forEach(({ min, k }, xx) => {
        let s = 1 << (PRECISION_BITS - 1);
        for (let x = 0; x < k.length; x++) s += img.pixels[y * img.width + min + x] * k[x];
        px[y * width + xx] = clip8(s);
      });
    cur = { width, height: img.height, pixels: px };
  }
  if (height !== cur.height) {
    const cs = coefficients(cur.height, height);
    const px = new Uint8Array(cur.width * height);
    cs.forEach(({ min, k }, yy) => {
      for (let x = 0; x < cur.width; x++) {
        let s = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < k.length; y++) s += cur.pixels[(min + y) * cur.width + x] * k[y];
        px[yy * cur.width + x] = clip8(s);
      }
    });
    cur = { width: cur.width, height, pixels: px };
  }
  return cur;
}

export function averageHash(img: GrayImage): boolean[] {
  const small = resizeLanczos(img, 8, 8).pixels;
  const mean = small.reduce((a, b) => a + b, 0) / small.length;
  return Array.from(small, (v) => v > mean);
}

export function differenceHash(img: GrayImage): boolean[] {
  const small = resizeLanczos(img, 9, 8).pixels;
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++) bits.push(small[y * 9 + x + 1] > small[y * 9 + x]);
  return bits;
}

/** scipy.fftpack.dct type II, norm=None: y_k = 2 sum_n x_n cos(pi k (2n + 1) / (2N)). */
export function dct2(x: readonly number[]): number[] {
  const n = x.length;
  return Array.from({ length: n }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
    return 2 * s;
  });
}

export function perceptualHash(img: GrayImage): boolean[] {
  const size = 32;
  const small = resizeLanczos(img, size, size).pixels;
  // dct along axis 0 (columns), then along axis 1 (rows), as imagehash's phash.
  const m: number[][] = Array.from({ length: size }, (_, y) =>
    Array.from(small.subarray(y * size, (y + 1) * size)),
  );
  for (let x = 0; x < size; x++) {
    const col = dct2(m.map((row) => row[x]));
    col.forEach((v, y) => (m[y][x] = v));
  }
  for (let y = 0; y < size; y++) m[y] = dct2(m[y]);
  const low = m.slice(0, 8).flatMap((row) => row.slice(0, 8));
  const sorted = [...low].sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2;
  return low.map((v) => v > median);
}

export function imageHash(kind: HashKind, img: GrayImage): boolean[] {
  return kind === 'ahash'
    ? averageHash(img)
    : kind === 'dhash'
      ? differenceHash(img)
      : perceptualHash(img);
}

export function hammingDistance(a: HashBits, b: HashBits): number {
  if (a.length !== b.length)
    throw ValidationError.field('hash', `lengths differ: ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

/** imagehash's str(hash): the row-major bits as one big-endian hex number, 16 digits for 64 bits. */
export function hashHex(bits: HashBits): string {
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) {
    let nibble = 0;
    for (let j = 0; j < 4; j++) nibble = (nibble << 1) | (bits[i + j] ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

/** A [0, 1] float image (a model input or a reconstruction) as 8-bit pixels, clamped and rounded. */
export function toGray(values: ArrayLike<number>, width: number, height: number): GrayImage {
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++)
    pixels[i] = Math.round(Math.min(1, Math.max(0, values[i])) * 255);
  return checkImage({ width, height, pixels });
}

function checkImage(img: GrayImage): GrayImage {
  if (
    !Number.isInteger(img.width) ||
    !Number.isInteger(img.height) ||
    img.width < 1 ||
    img.height < 1 ||
    img.pixels.length !== img.width * img.height
  )
    throw ValidationError.field('image', `expected ${img.width} x ${img.height} pixels`);
  return img;
}
