/**
 * Random image augmentations (AutoDL Augment / AutLearn's augmentation policies), seeded through
 * the shared Rng. One interface, one small class per operation, a registry from API names.
 */
import { Rng } from '../../../platform/core/rng';
import { ValidationError } from '../../../platform/errors/domain-error';
import type { ImageShape } from '../dataset';
import {
  addNoise,
  flipHorizontal,
  flipVertical,
  padCrop,
  rotate,
  scale,
  translate,
} from './image-ops';

export interface ImageAugmentation {
  readonly name: string;
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array;
}

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw ValidationError.field(field, message);
}

function probability(value: number, field: string): number {
  check(value >= 0 && value <= 1, field, `must be in [0, 1], got ${value}`);
  return value;
}

export class RandomFlip implements ImageAugmentation {
  readonly name = 'flip';
  readonly horizontal: boolean;
  readonly vertical: boolean;
  readonly probability: number;
  constructor(options: { horizontal?: boolean; vertical?: boolean; probability?: number } = {}) {
    this.horizontal = options.horizontal ?? true;
    this.vertical = options.vertical ?? false;
    this.probability = probability(options.probability ?? 0.5, 'flip.probability');
    check(this.horizontal || this.vertical, 'flip', 'needs horizontal or vertical');
  }
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
    let out = img;
    if (this.horizontal && rng.float() < this.probability) out = flipHorizontal(out, shape);
    if (this.vertical && rng.float() < this.probability) out = flipVertical(out, shape);
    return out;
  }
}

export class RandomRotation implements ImageAugmentation {
  readonly name = 'rotate';
  readonly maxDegrees: number;
  constructor(options: { maxDegrees?: number } = {}) {
    this.maxDegrees = options.maxDegrees ?? 15;
    check(
      this.maxDegrees > 0 && this.maxDegrees <= 180,
      'rotate.maxDegrees',
      `must be in (0, 180], got ${this.maxDegrees}`,
    );
  }
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
    return rotate(img, shape, rng.uniform(-this.maxDegrees, this.maxDegrees));
  }
}

export class RandomCrop implements ImageAugmentation {
  readonly name = 'crop';
  readonly padding: number;
  constructor(options: { padding?: number } = {}) {
    this.padding = options.padding ?? 4;
    check(
      Number.isInteger(this.padding) && this.padding >= 1,
      'crop.padding',
      `must be a positive integer, got ${this.padding}`,
    );
  }
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
    const p = this.padding;
    return padCrop(img, shape, p, rng.int(0, 2 * p), rng.int(0, 2 * p));
  }
}

export class RandomTranslation implements ImageAugmentation {
  readonly name = 'translate';
  readonly maxFraction: number;
  constructor(options: { maxFraction?: number } = {}) {
    this.maxFraction = options.maxFraction ?? 0.1;
    check(
      this.maxFraction > 0 && this.maxFraction < 1,
      'translate.maxFraction',
      `must be in (0, 1), got ${this.maxFraction}`,
    );
  }
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
    const my = Math.round(this.maxFraction * shape.height);
    const mx = Math.round(this.maxFraction * shape.width);
    return translate(img, shape, rng.int(-my, my), rng.int(-mx, mx));
  }
}

export class RandomScale implements ImageAugmentation {
  readonly name = 'scale';
  readonly min: number;
  readonly max: number;
  constructor(options: { min?: number; max?: number } = {}) {
    this.min = options.min ?? 0.9;
    this.max = options.max ?? 1.1;
    check(this.min > 0, 'scale.min', `must be positive, got ${this.min}`);
    check(this.max >= this.min, 'scale.max', `must be >= scale.min (${this.min}), got ${this.max}`);
  }
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
    return scale(img, shape, rng.uniform(this.min, this.max));
  }
}

export class GaussianNoise implements ImageAugmentation {
  readonly name = 'noise';
  readonly std: number;
  constructor(options: { std?: number } = {}) {
    this.std = options.std ?? 0.05;
    check(this.std > 0, 'noise.std', `must be positive, got ${this.std}`);
  }
  apply(img: Float32Array, _shape: ImageShape, rng: Rng): Float32Array {
    return addNoise(img, () => rng.normal(), this.std);
  }
}

/** API name -> constructor. Parameters are the class's options object. */
export const IMAGE_AUGMENTATIONS = {
  flip: (o: Record<string, unknown>) => new RandomFlip(o),
  rotate: (o: Record<string, unknown>) => new RandomRotation(o),
  crop: (o: Record<string, unknown>) => new RandomCrop(o),
  translate: (o: Record<string, unknown>) => new RandomTranslation(o),
  scale: (o: Record<string, unknown>) => new RandomScale(o),
  noise: (o: Record<string, unknown>) => new GaussianNoise(o),
} as const;

export type ImageAugmentationName = keyof typeof IMAGE_AUGMENTATIONS;

export interface ImageAugmentationSpec {
  name: ImageAugmentationName;
  [option: string]: unknown;
}

const NUMERIC_OPTIONS = new Set([
  'probability',
  'maxDegrees',
  'padding',
  'maxFraction',
  'min',
  'max',
  'std',
]);
const BOOLEAN_OPTIONS = new Set(['horizontal', 'vertical']);

/** Builds one augmentation from its API spec, e.g. `{ name: 'rotate', maxDegrees: 10 }`. */
export function createImageAugmentation(
  spec: ImageAugmentationSpec,
  field = 'augment',
): ImageAugmentation {
  const factory = (
    IMAGE_AUGMENTATIONS as Record<
      string,
      ((o: Record<string, unknown>) => ImageAugmentation) | undefined
    >
  )[spec.name];
  if (factory === undefined) {
    throw ValidationError.field(
      `${field}.name`,
      `unknown augmentation ${JSON.stringify(spec.name)}; known: ${Object.keys(IMAGE_AUGMENTATIONS).join(', ')}`,
    );
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'name') continue;
    const ok =
      (NUMERIC_OPTIONS.has(key) && typeof value === 'number') ||
      (BOOLEAN_OPTIONS.has(key) && typeof value === 'boolean');
    if (!ok)
      throw ValidationError.field(
        `${field}.${key}`,
        `unknown or mistyped option for ${spec.name}: ${JSON.stringify(value)}`,
      );
    options[key] = value;
  }
  return factory(options);
}

/** Applies augmentations in order. */
export class ImageAugmenter {
  readonly steps: readonly ImageAugmentation[];
  constructor(specs: readonly (ImageAugmentationSpec | ImageAugmentation)[]) {
    this.steps = specs.map((s, i) =>
      'apply' in s && typeof s.apply === 'function'
        ? (s as ImageAugmentation)
        : createImageAugmentation(s as ImageAugmentationSpec, `augment[${i}]`),
    );
  }
  apply(img: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
    let out = img;
    for (const step of this.steps) out = step.apply(out, shape, rng);
    return out;
  }
}
