import { ValidationError } from '../../platform/errors/domain-error';
import { checkInt, checkPositive } from './lime-base';
import type { RgbImage } from './types';

export interface SlicOptions {
  /** Approximate number of superpixels K; default 50. */
  nSegments?: number;
  /** Weight m of spatial against CIELAB colour distance; default 10 (the paper's choice). */
  compactness?: number;
  /** Assignment/update iterations; default 10 (the paper reports convergence by then). */
  maxIterations?: number;
  /** Components smaller than this fraction of N/K are merged into a neighbour; default 0.25. */
  minSizeFactor?: number;
}

export interface Segmentation {
  /** Label in [0, count) per pixel, row-major. */
  labels: Int32Array;
  count: number;
}

export function checkImage(image: RgbImage, field = 'image'): void {
  const { width, height, data } = image ?? ({} as RgbImage);
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw ValidationError.field(
      field,
      `width and height must be positive integers, got ${width}x${height}`,
    );
  }
  if (!(data instanceof Float32Array) || data.length !== width * height * 3) {
    throw ValidationError.field(
      field,
      `data must be a Float32Array of width*height*3 = ${width * height * 3} values`,
    );
  }
}

/** sRGB in [0, 1] to CIELAB (D65 white), the colour space SLIC clusters in. */
export function toLab(image: RgbImage): Float32Array {
  const n = image.width * image.height;
  const lab = new Float32Array(n * 3);
  const lin = (c: number): number => {
    const v = Math.min(1, Math.max(0, c));
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  for (let i = 0; i < n; i++) {
    const r = lin(image.data[i * 3]);
    const g = lin(image.data[i * 3 + 1]);
    const b = lin(image.data[i * 3 + 2]);
    const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
    const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
    const fx = f(x);
    const fy = f(y);
    const fz = f(z);
    lab[i * 3] = 116 * fy - 16;
    lab[i * 3 + 1] = 500 * (fx - fy);
    lab[i * 3 + 2] = 200 * (fy - fz);
  }
  return lab;
}

/**
 * SLIC superpixels (Achanta et al., TPAMI 2012, Algorithm 1): centres on a regular grid of step
 * S = sqrt(N/K), moved to the lowest gradient in their 3x3 neighbourhood, then k-means restricted
 * to a 2S x 2S window per centre with distance d_lab^2 + (d_xy / S)^2 m^2, and a final pass that
 * enforces connectivity by merging small components into an adjacent segment.
 */
export function slic(image: RgbImage, opts: SlicOptions = {}): Segmentation {
  checkImage(image);
  const { width: w, height: h } = image;
  const n = w * h;
  const k = checkInt('nSegments', opts.nSegments ?? 50, 1, n);
  const m = checkPositive('compactness', opts.compactness ?? 10);
  const iters = checkInt('maxIterations', opts.maxIterations ?? 10, 1, 100);
  const minFactor = opts.minSizeFactor ?? 0.25;
  if (!(minFactor >= 0 && minFactor < 1))
    throw ValidationError.field('minSizeFactor', `must be in [0, 1), got ${minFactor}`);
  const lab = toLab(image);
  const s = Math.sqrt(n / k);
  const nx = Math.max(1, Math.round(w / s));
  const ny = Math.max(1, Math.round(h / s));
  const stepX = w / nx;
  const stepY = h / ny;
  const grad = (x: number, y: number): number => {
    const at = (xx: number, yy: number, c: number): number =>
      lab[(Math.min(h - 1, Math.max(0, yy)) * w + Math.min(w - 1, Math.max(0, xx))) * 3 + c];
    let g = 0;
    for (let c = 0; c < 3; c++)
      g += (at(x + 1, y, c) - at(x - 1, y, c)) ** 2 + (at(x, y + 1, c) - at(x, y - 1, c)) ** 2;
    return g;
  };
  // Centre: [L, a, b, x, y].
  const centres: number[][] = [];
  for (let gy = 0; gy < ny; gy++) {
    for (let gx = 0; gx < nx; gx++) {
      let cx = Math.min(w - 1, Math.floor((gx + 0.5) * stepX));
      let cy = Math.min(h - 1, Math.floor((gy + 0.5) * stepY));
      let best = grad(cx, cy);
      const x0 = cx;
      const y0 = cy;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x0 + dx;
          const yy = y0 + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const g = grad(xx, yy);
          if (g < best) {
            best = g;
            cx = xx;
            cy = yy;
          }
        }
      }
      const o = (cy * w + cx) * 3;
      centres.push([lab[o], lab[o + 1], lab[o + 2], cx, cy]);
    }
  }
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  const spatial = (m * m) / (s * s);
  const win = Math.ceil(Math.max(stepX, stepY));
  for (let it = 0; it < iters; it++) {
    dist.fill(Infinity);
    centres.forEach((c, ci) => {
      const xa = Math.max(0, Math.floor(c[3] - win));
      const xb = Math.min(w - 1, Math.ceil(c[3] + win));
      const ya = Math.max(0, Math.floor(c[4] - win));
      const yb = Math.min(h - 1, Math.ceil(c[4] + win));
      for (let y = ya; y <= yb; y++) {
        for (let x = xa; x <= xb; x++) {
          const p = y * w + x;
          const o = p * 3;
          const dc = (lab[o] - c[0]) ** 2 + (lab[o + 1] - c[1]) ** 2 + (lab[o + 2] - c[2]) ** 2;
          const dd = dc + ((x - c[3]) ** 2 + (y - c[4]) ** 2) * spatial;
          if (dd < dist[p]) {
            dist[p] = dd;
            labels[p] = ci;
          }
        }
      }
    });
    const sums = centres.map(() => [0, 0, 0, 0, 0, 0]);
    for (let p = 0; p < n; p++) {
      const l = labels[p];
      if (l < 0) continue;
      const acc = sums[l];
      acc[0] += lab[p * 3];
      acc[1] += lab[p * 3 + 1];
      acc[2] += lab[p * 3 + 2];
      acc[3] += p % w;
      acc[4] += Math.floor(p / w);
      acc[5] += 1;
    }
    sums.forEach((acc, ci) => {
      if (acc[5] > 0) for (let c = 0; c < 5; c++) centres[ci][c] = acc[c] / acc[5];
    });
  }
  return enforceConnectivity(labels, w, h, Math.floor((n / k) * minFactor));
}

/**
 * Relabel 4-connected components; a component smaller than `minSize` takes the label of the
 * component adjacent to its first pixel (Achanta et al.'s reference EnforceLabelConnectivity).
 */
function enforceConnectivity(
  labels: Int32Array,
  w: number,
  h: number,
  minSize: number,
): Segmentation {
  const n = w * h;
  const out = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let next = 0;
  const neighbours = (p: number): number[] => {
    const x = p % w;
    const res: number[] = [];
    if (x > 0) res.push(p - 1);
    if (x < w - 1) res.push(p + 1);
    if (p >= w) res.push(p - w);
    if (p < n - w) res.push(p + w);
    return res;
  };
  for (let start = 0; start < n; start++) {
    if (out[start] >= 0) continue;
    let adjacent = -1;
    for (const q of neighbours(start)) if (out[q] >= 0) adjacent = out[q];
    out[start] = next;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      const p = queue[head++];
      for (const q of neighbours(p)) {
        if (out[q] < 0 && labels[q] === labels[start]) {
          out[q] = next;
          queue[tail++] = q;
        }
      }
    }
    if (tail < minSize && adjacent >= 0) {
      for (let i = 0; i < tail; i++) out[queue[i]] = adjacent;
    } else {
      next++;
    }
  }
  return { labels: out, count: next };
}
