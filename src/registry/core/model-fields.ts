import { ValidationError } from '../../platform/errors/domain-error';

/** The input kind of an imported model: given, or inferred from its input shape. */
export function readInputKind(value: unknown, inputShape: number[]): 'image' | 'tabular' | 'text' {
  if (value === undefined || value === '') {
    if (inputShape.length === 3) return 'image';
    if (inputShape.length === 1) return 'tabular';
    throw ValidationError.field('inputKind', `cannot infer it from input shape [${inputShape}]`);
  }
  if (value !== 'image' && value !== 'tabular' && value !== 'text') {
    throw ValidationError.field(
      'inputKind',
      `must be image, tabular or text, got ${JSON.stringify(value)}`,
    );
  }
  if (value === 'image' && inputShape.length !== 3) {
    throw ValidationError.field(
      'inputKind',
      `image models take [h, w, c] inputs, this one [${inputShape}]`,
    );
  }
  return value;
}

/** A JSON list (or comma-separated form field) of `count` distinct names. */
export function readNames(value: unknown, field: string, count: number): string[] | null {
  if (value === undefined || value === '') return null;
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = value.trim().startsWith('[')
        ? JSON.parse(value)
        : value.split(',').map((s) => s.trim());
    } catch {
      throw ValidationError.field(field, 'must be a JSON list or comma-separated names');
    }
  }
  if (
    !Array.isArray(list) ||
    !list.every((n) => typeof n === 'string' && n !== '') ||
    new Set(list).size !== list.length
  ) {
    throw ValidationError.field(field, 'must be distinct non-empty names');
  }
  if (list.length !== count) {
    throw ValidationError.field(field, `the model needs ${count} names, got ${list.length}`);
  }
  return list as string[];
}

/** `feature_0`, `feature_1`, ... (or `class_...`): the default names of `count` inputs/outputs. */
export function defaultNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, k) => `${prefix}_${k}`);
}
