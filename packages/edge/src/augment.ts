import type { Rng } from './rng';

/** [height, width, channels] of an HWC image. */
export type ImageShape = readonly [number, number, number];

/**
 * An on-device image augmentation: the same interface and operations as the service's
 * augmenters (src/ml/data/augment/image-augment.ts, AutLearn's augmentation policies), restated
 * here because the library depends on nothing of the service.
 */
export interface ImageAugmentation {
  readonly name: string;
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array;
}

function probability(value: number, field: string): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${field} must be in [0, 1], got ${value}`);
  return value;
}

/** Mirrors left-right with probability p. */
export class RandomFlip implements ImageAugmentation {
  readonly name = 'flip';
  private readonly p: number;
  constructor(options: { probability?: number } = {}) {
    this.p = probability(options.probability ?? 0.5, 'flip.probability');
  }
  apply(img: Float32Array, [h, w, c]: ImageShape, rng: Rng): Float32Array {
    if (rng.float() >= this.p) return img;
    const out = new Float32Array(img.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img[(y * w + (w - 1 - x)) * c + k];
    return out;
  }
}

/** Shifts by up to `maxPixels` in each direction, filling with zeros (Keras' width/height shift). */
export class RandomTranslate implements ImageAugmentation {
  readonly name = 'translate';
  private readonly max: number;
  constructor(options: { maxPixels?: number } = {}) {
    this.max = options.maxPixels ?? 2;
    if (!Number.isInteger(this.max) || this.max < 1) {
      throw new RangeError(`translate.maxPixels must be an integer >= 1, got ${this.max}`);
    }
  }
  apply(img: Float32Array, [h, w, c]: ImageShape, rng: Rng): Float32Array {
    const dy = rng.int(2 * this.max + 1) - this.max;
    const dx = rng.int(2 * this.max + 1) - this.max;
    const out = new Float32Array(img.length);
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
}

/** Scales intensities by a factor in [1 - delta, 1 + delta], clipped to [0, 1]. */
export class RandomBrightness implements ImageAugmentation {
  readonly name = 'brightness';
  private readonly delta: number;
  constructor(options: { delta?: number } = {}) {
    this.delta = probability(options.delta ?? 0.2, 'brightness.delta');
  }
  apply(img: Float32Array, _shape: ImageShape, rng: Rng): Float32Array {
    const factor = 1 + (2 * rng.float() - 1) * this.delta;
    return img.map((v) => Math.min(1, Math.max(0, v * factor)));
  }
}

/** The default policy: flip, a 2-pixel shift and +-20% brightness. */
export function defaultAugmentations(): ImageAugmentation[] {
  return [new RandomFlip(), new RandomTranslate(), new RandomBrightness()];
}
