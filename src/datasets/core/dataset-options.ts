import { ValidationError } from '../../platform/errors/domain-error';
import type { SplitFractions } from '../../ml/data';

/** Default stratified split when a data set has no official test split. */
export const DEFAULT_SPLIT: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };
/** Validation share carved from an official training split (Fashion-MNIST). */
export const DEFAULT_VALIDATION_FRACTION = 0.1;

/** `{"train":0.8,"validation":0.1,"test":0.1}` or `0.8,0.1,0.1`; fractions sum to 1. */
export function parseSplit(value: unknown, field = 'split'): SplitFractions {
  let obj: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{')) {
      try {
        obj = JSON.parse(text);
      } catch {
        throw ValidationError.field(field, `is not valid JSON: ${text.slice(0, 60)}`);
      }
    } else {
      const parts = text.split(',').map((p) => Number(p.trim()));
      obj = { train: parts[0], validation: parts[1], test: parts[2] };
      if (parts.length !== 3) {
        throw ValidationError.field(
          field,
          `must be three fractions train,validation,test, got "${text}"`,
        );
      }
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw ValidationError.field(field, 'must be {train, validation, test} fractions');
  }
  const r = obj as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !['train', 'validation', 'test'].includes(k));
  if (extra.length > 0) throw ValidationError.field(`${field}.${extra[0]}`, 'unknown field');
  const read = (k: 'train' | 'validation' | 'test'): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw ValidationError.field(
        `${field}.${k}`,
        `must be a number in [0, 1], got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const split = { train: read('train'), validation: read('validation'), test: read('test') };
  const sum = split.train + split.validation + split.test;
  if (Math.abs(sum - 1) > 1e-6) {
    throw ValidationError.field(field, `fractions must sum to 1, got ${sum}`);
  }
  if (split.train === 0) throw ValidationError.field(`${field}.train`, 'must be > 0');
  return split;
}

/** `28x28` or `28x28:nearest` (default bilinear). */
export function parseResize(
  value: unknown,
  field = 'resize',
): { height: number; width: number; method: 'nearest' | 'bilinear' } {
  const m =
    typeof value === 'string'
      ? /^(\d{1,4})x(\d{1,4})(?::(nearest|bilinear))?$/.exec(value.trim())
      : null;
  if (m === null) {
    throw ValidationError.field(
      field,
      `must look like 28x28 or 28x28:nearest, got ${JSON.stringify(value)}`,
    );
  }
  const height = Number(m[1]);
  const width = Number(m[2]);
  if (height < 1 || width < 1 || height > 1024 || width > 1024) {
    throw ValidationError.field(field, `sizes must be in [1, 1024], got ${height}x${width}`);
  }
  return { height, width, method: (m[3] as 'nearest' | 'bilinear' | undefined) ?? 'bilinear' };
}

/** An integer form field (multipart fields arrive as strings). */
export function parseIntField(value: unknown, field: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw ValidationError.field(
      field,
      `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * Class merging for transfer experiments: `{oldClassName: newClassName}`; classes not listed keep
 * their name; several old classes may share a new name. Returns the mapping for remapLabels.
 */
export function remapPlan(
  classNames: readonly string[],
  remap: Record<string, unknown>,
  field = 'remap',
): { mapping: number[]; classNames: string[] } {
  for (const [from, to] of Object.entries(remap)) {
    if (!classNames.includes(from)) {
      throw ValidationError.field(
        `${field}.${from}`,
        `is not a class of the data set (${JSON.stringify(classNames)})`,
      );
    }
    if (typeof to !== 'string' || to.trim() === '') {
      throw ValidationError.field(`${field}.${from}`, 'must map to a non-empty class name');
    }
  }
  const target = classNames.map((c) => (remap[c] as string | undefined) ?? c);
  const names = [...new Set(target)];
  return { mapping: target.map((t) => names.indexOf(t)), classNames: names };
}
