import { Rng } from '../../platform/core/rng';
import type { ExplainedInstance } from './explain-instance';
import type { ExplainableModel } from './explainable-model';
import type { ExplanationSummary } from './explain-report';
import { imageNormLime, normLime, rankByImportance, type NormLimeResult } from './normlime';
import { encodeSegments } from './segments-rle';
import type { ImageExplanation, RgbImage } from './types';

/** Features listed per class (and overall), most important first. */
const TOP = 50;
/** Image jobs draw the concept map of this many explained images. */
const CONCEPT_MAPS = 8;

export interface ClassImportance {
  classIndex: number;
  className: string;
  /** Instances predicted as this class. */
  count: number;
  ranking: { feature: string; importance: number }[];
}

export interface NormLimeJobResult {
  model: string;
  inputKind: string;
  instances: number;
  features: string[];
  classes: ClassImportance[];
  overall: { feature: string; importance: number }[];
  summary: ExplanationSummary;
  artifacts: string[];
  /** Image models: each concept shown on the image it comes from (see ConceptExample). */
  concepts?: ConceptExample[];
}

/**
 * A concept drawn where it comes from: the superpixel `segment` of the explained image whose PNG
 * is `input` (its superpixel map is `segments`, run-length encoded, `width` x `height`).
 */
export interface ConceptExample {
  feature: string;
  image: number;
  segment: number;
  input: string;
  width: number;
  height: number;
  segments: number[];
}

/** One instance's local explanation as NormLIME needs it (and tabular/text jobs checkpoint). */
export interface LocalRecord {
  label: number;
  weights: number[];
  featureNames: string[];
  fidelity: number;
  aopc: number;
  randomAopc: number;
}

/** An explained image, kept in memory for the concept clustering. */
export interface ExplainedImage {
  image: RgbImage;
  explanation: ImageExplanation;
}

export function localRecord(r: ExplainedInstance): LocalRecord {
  const e = r.explanation;
  return {
    label: e.label,
    weights: e.weights,
    featureNames: e.featureNames,
    fidelity: e.score,
    aopc: r.faithfulness.aopc,
    randomAopc: r.faithfulness.randomAopc,
  };
}

/** The PNG name of explained image i (written once per image that shows a concept). */
export const inputName = (image: number): string => `input-${image}.png`;

/** Class-level importance over the job's features, and for images what to draw. */
export interface NormLimeAggregate {
  features: string[];
  result: NormLimeResult;
  /** Image models: per explained image (the first 8), the importance of each pixel's concept. */
  conceptMaps?: { image: number; weights: Float32Array }[];
  concepts?: ConceptExample[];
}

/**
 * NormLIME (Ahern et al. 2019) over the local explanations. Tabular features are the model's
 * columns; text features the union vocabulary of the explained texts (in order of first use);
 * image features shared superpixel concepts (k-means over the superpixels of all images).
 */
export function aggregateNormLime(
  model: ExplainableModel,
  local: readonly LocalRecord[],
  images: readonly ExplainedImage[],
  options: { numClusters: number; seed: number },
): NormLimeAggregate {
  const numClasses = model.classNames.length;
  if (model.inputKind === 'tabular') {
    const features = model.featureNames;
    return { features, result: normLime(local, numClasses, features.length) };
  }
  if (model.inputKind === 'text') {
    const vocab = new Map<string, number>();
    for (const l of local)
      for (const w of l.featureNames) if (!vocab.has(w)) vocab.set(w, vocab.size);
    const features = [...vocab.keys()];
    const mapped = local.map((l) => {
      const w = new Array<number>(features.length).fill(0);
      l.weights.forEach((v, j) => (w[vocab.get(l.featureNames[j]) as number] += v));
      return { label: l.label, weights: w };
    });
    return { features, result: normLime(mapped, numClasses, features.length) };
  }
  const r = imageNormLime(images, {
    numClusters: options.numClusters,
    numClasses,
    rng: new Rng(options.seed).fork('kmeans'),
  });
  const features = r.centres.map((_, c) => `concept ${c}`);
  const conceptMaps = images.slice(0, CONCEPT_MAPS).map(({ explanation }, i) => {
    const imp = r.importance[explanation.label];
    return {
      image: i,
      weights: Float32Array.from(explanation.segments, (s) => imp[r.clusterOfSegment[i][s]]),
    };
  });
  const concepts = [...r.exemplars.entries()].map(([c, ex]) => {
    const { image, explanation } = images[ex.image];
    return {
      feature: features[c],
      image: ex.image,
      segment: ex.segment,
      input: inputName(ex.image),
      width: image.width,
      height: image.height,
      segments: encodeSegments(explanation.segments),
    };
  });
  return { features, result: r, conceptMaps, concepts };
}

/** The ranking per class and overall: the TOP features with positive importance. */
export function rankFeatures(
  result: NormLimeResult,
  features: readonly string[],
  classNames: readonly string[],
): { classes: ClassImportance[]; overall: { feature: string; importance: number }[] } {
  const ranked = (values: number[]): { feature: string; importance: number }[] =>
    rankByImportance(values)
      .slice(0, TOP)
      .filter((j) => values[j] > 0)
      .map((j) => ({ feature: features[j], importance: values[j] }));
  const classes = result.importance.map((row, y) => ({
    classIndex: y,
    className: classNames[y],
    count: result.counts[y],
    ranking: ranked(row),
  }));
  return { classes, overall: ranked(result.overall) };
}

/** Means of the local explanations' fidelity and AOPC. */
export function localSummary(local: readonly LocalRecord[]): ExplanationSummary {
  const mean = (f: (l: LocalRecord) => number): number =>
    local.reduce((s, l) => s + f(l), 0) / local.length;
  return {
    meanFidelity: mean((l) => l.fidelity),
    meanAopc: mean((l) => l.aopc),
    meanRandomAopc: mean((l) => l.randomAopc),
  };
}
