import { Rng } from '../../platform/core/rng';
import { UnprocessableError, type FieldProblem } from '../../platform/errors/domain-error';
import { MAX_PROBLEMS } from '../../ml/data/dataset';
import type { DataPool, ExplainableModel } from './explainable-model';
import type { RgbImage } from './types';

/** A model input after validation against the model: a row, a text or an image. */
export type Instance = number[] | string | RgbImage;

/**
 * Check raw JSON instances against the model's input kind and shape; 422 names each mismatch.
 * `field(i)` names instance i in problems (default `instances[i]`).
 */
export function coerceInstances(
  model: ExplainableModel,
  raw: readonly unknown[],
  field: (i: number) => string = (i) => `instances[${i}]`,
): Instance[] {
  const problems: FieldProblem[] = [];
  const out: Instance[] = raw.map((v, i) => {
    const f = field(i);
    if (model.inputKind === 'tabular') {
      const d = model.featureNames.length;
      if (
        !Array.isArray(v) ||
        v.length !== d ||
        !v.every((x) => typeof x === 'number' && Number.isFinite(x))
      ) {
        problems.push({
          field: f,
          message: `must be an array of ${d} finite numbers (model features: ${model.featureNames.join(', ')})`,
        });
        return [];
      }
      return v as number[];
    }
    if (model.inputKind === 'text') {
      if (typeof v !== 'string' || v.trim() === '')
        problems.push({ field: f, message: 'must be a non-empty string' });
      return String(v);
    }
    const [h, w] = model.inputShape;
    const img = v as { width?: unknown; height?: unknown; data?: unknown };
    const pixels =
      img?.data instanceof Float32Array
        ? img.data
        : Array.isArray(img?.data)
          ? Float32Array.from(img.data as number[])
          : undefined;
    // Grey pixels (one value per pixel) are accepted and replicated to RGB.
    const data = pixels?.length === w * h ? greyToRgb(pixels) : pixels;
    if (img?.width !== w || img?.height !== h || !data || data.length !== w * h * 3) {
      problems.push({
        field: f,
        message: `must be {width: ${w}, height: ${h}, data: ${w * h * 3} RGB or ${w * h} grey numbers in [0, 1]} (model input ${h}x${w})`,
      });
      return { width: w, height: h, data: new Float32Array(w * h * 3) };
    }
    if (!data.every((x) => Number.isFinite(x) && x >= 0 && x <= 1))
      problems.push({ field: `${f}.data`, message: 'values must be in [0, 1]' });
    return { width: w, height: h, data };
  });
  if (problems.length > 0) {
    throw new UnprocessableError(
      `${problems.length} instance(s) do not fit the model: ${problems[0].field} ${problems[0].message}`,
      problems.slice(0, MAX_PROBLEMS),
    );
  }
  return out;
}

/** HW grey pixels to HWC RGB (each value copied to the three channels). */
export function greyToRgb(grey: Float32Array): Float32Array {
  const rgb = new Float32Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
  return rgb;
}

/**
 * `sampleSize` instances drawn without replacement (seeded) from the model's data pool, checked
 * like user instances; problems name `dataset[i]` (the index in the pool).
 */
export function sampleInstances(
  model: ExplainableModel,
  sampleSize: number,
  seed: number,
): Instance[] {
  const pool = model.dataset as DataPool<Instance> | undefined;
  if (!pool || pool.length === 0) {
    throw new UnprocessableError(
      'the model has no data set to sample from; pass instances or a dataset',
      [{ field: 'instances', message: 'required for a model without a training data set' }],
    );
  }
  const rng = new Rng(seed).fork('sample');
  const picked = rng
    .shuffle(Array.from({ length: pool.length }, (_, i) => i))
    .slice(0, Math.min(sampleSize, pool.length));
  return coerceInstances(
    model,
    picked.map((i) => pool.at(i)),
    (k) => `dataset[${picked[k]}]`,
  );
}
