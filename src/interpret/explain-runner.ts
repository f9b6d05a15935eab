import { hashString, Rng } from '../platform/core/rng';
import { UnprocessableError, type FieldProblem } from '../platform/errors/domain-error';
import { barsHeight, barsOption, chartPng } from '../platform/charts/chart-images';
import { heatmapOverlay } from '../platform/images/heatmap-overlay';
import { faithfulness, type FaithfulnessReport } from './core/faithfulness';
import { ImageLimeExplainer } from './core/image-lime';
import { TabularLimeExplainer } from './core/tabular-lime';
import { TextLimeExplainer } from './core/text-lime';
import { encodeSegments } from './core/segments-rle';
import { examplePng } from '../models/example-png';
import type {
  Explanation,
  ImageExplanation,
  PredictFn,
  RgbImage,
  TextExplanation,
} from './core/types';
import type { LimeParameters } from './explain-spec';
import { MAX_PROBLEMS } from '../ml/data/dataset';
import type { DataPool, ExplainableModel } from './model-provider';

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

export interface ExplainedInstance {
  explanation: Explanation;
  faithfulness: FaithfulnessReport;
}

/** Seed of instance i: explanations do not depend on which other instances are in the job. */
export function instanceSeed(seed: number, index: number): number {
  return hashString(`${seed}:${index}`);
}

/** LIME for one instance plus its deletion curve and AOPC against random orderings. */
export async function explainInstance(
  model: ExplainableModel,
  instance: Instance,
  params: LimeParameters,
  index: number,
  label?: number,
): Promise<ExplainedInstance> {
  const seed = instanceSeed(params.seed, index);
  const common = {
    numSamples: params.numSamples,
    featureSelection: params.featureSelection,
    kernelWidth: params.kernelWidth,
    seed,
  };
  const rng = new Rng(seed).fork('faithfulness');
  const steps = params.faithfulnessSteps;
  // Every input kind scores its explanation the same way; only the masker differs.
  const scored = async <I>(
    predict: PredictFn<I>,
    masker: (keep: Uint8Array) => I,
    e: Explanation,
    d: number,
  ): Promise<ExplainedInstance> => ({
    explanation: e,
    faithfulness: await faithfulness(
      { predict, masker, numFeatures: d, label: e.label, steps: steps && Math.min(steps, d) },
      e.contributions,
      rng,
      params.randomRepeats,
    ),
  });
  if (model.inputKind === 'tabular') {
    const d = model.featureNames.length;
    const lime = new TabularLimeExplainer({
      ...common,
      trainingData: model.trainingData,
      featureNames: model.featureNames,
      categoricalFeatures: model.categoricalFeatures,
      discretize: params.discretize,
      numFeatures: Math.min(params.numFeatures, d),
    });
    const x = instance as number[];
    const e = await lime.explain(x, model.predict, label);
    return scored(model.predict, lime.masker(x), e, d);
  }
  if (model.inputKind === 'text') {
    const lime = new TextLimeExplainer({ ...common, numFeatures: params.numFeatures });
    const t = instance as string;
    const e = await lime.explain(t, model.predict, label);
    const d = e.weights.length;
    return scored(model.predict, lime.masker(t, e), e, d);
  }
  const lime = new ImageLimeExplainer({
    ...common,
    numFeatures: params.numFeatures,
    baseline: params.baseline,
    slic: { nSegments: params.nSegments, compactness: params.compactness },
  });
  const img = instance as RgbImage;
  const e = await lime.explain(img, model.predict, label);
  const d = e.weights.length;
  return scored(model.predict, lime.masker(img, e), e, d);
}

/** JSON form of one explanation (no per-pixel arrays; those go to PNG artifacts). */
export function explanationJson(
  model: ExplainableModel,
  r: ExplainedInstance,
): Record<string, unknown> {
  const e = r.explanation;
  const base: Record<string, unknown> = {
    label: e.label,
    className: model.classNames[e.label] ?? String(e.label),
    probabilities: e.probabilities,
    features: e.features.map((f) => ({ index: f.index, name: f.name, weight: f.weight })),
    weights: e.weights,
    contributions: e.contributions,
    featureNames: e.featureNames,
    intercept: e.intercept,
    localPrediction: e.localPrediction,
    fidelity: e.score,
    numSamples: e.numSamples,
    faithfulness: r.faithfulness,
  };
  if (e.kind === 'text') {
    const t = e as TextExplanation;
    base.tokens = t.tokens;
    base.featureOfToken = t.featureOfToken;
  }
  if (e.kind === 'image') {
    const ie = e as ImageExplanation;
    base.superpixels = e.weights.length;
    // The superpixel map lets the console draw the weights over the image itself (a canvas
    // overlay with its own colour scale and opacity) instead of only the baked heatmap PNG.
    base.width = ie.width;
    base.height = ie.height;
    base.segments = encodeSegments(ie.segments);
  }
  return base;
}

/** The explained image itself as a PNG (the console draws the LIME weights over it). */
export function inputPng(img: RgbImage): Buffer {
  return examplePng(img.data, { height: img.height, width: img.width, channels: 3 });
}

/** PNG of one explanation: a heatmap over the image, or a bar chart of the top features. */
export function explanationPng(
  model: ExplainableModel,
  instance: Instance,
  r: ExplainedInstance,
): Buffer {
  const e = r.explanation;
  if (e.kind === 'image') {
    const img = instance as RgbImage;
    const ie = e as ImageExplanation;
    const scale = Math.max(1, Math.min(8, Math.floor(256 / Math.max(img.width, img.height))));
    return heatmapOverlay({
      width: img.width,
      height: img.height,
      rgb: img.data,
      weights: ie.heatmap,
      scale,
    });
  }
  const top = e.features.slice(0, 15);
  return chartPng(
    barsOption({
      title: `LIME: ${model.classNames[e.label] ?? e.label}`,
      labels: top.map((f) => f.name.slice(0, 40)),
      values: top.map((f) => f.weight),
      valueLabel: 'local weight',
    }),
    { width: 640, height: barsHeight(top.length) },
  );
}
