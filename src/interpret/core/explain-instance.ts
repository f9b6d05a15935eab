import { hashString, Rng } from '../../platform/core/rng';
import type { ExplainableModel } from './explainable-model';
import { faithfulness, type FaithfulnessReport } from './faithfulness';
import { ImageLimeExplainer } from './image-lime';
import type { Instance } from './instances';
import type { LimeParameters } from './lime-parameters';
import { encodeSegments } from './segments-rle';
import { TabularLimeExplainer } from './tabular-lime';
import { TextLimeExplainer } from './text-lime';
import type { Explanation, ImageExplanation, PredictFn, RgbImage, TextExplanation } from './types';

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
