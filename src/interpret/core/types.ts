/**
 * Shared types of the interpretability core. A model is only a batch prediction function that
 * returns class probabilities, so any TF.js model or plain function can be explained.
 */
export type InputKind = 'tabular' | 'text' | 'image';

/** Class probabilities for each input of the batch (one row per input, one column per class). */
export type PredictFn<I> = (batch: I[]) => Promise<number[][]>;

/** An RGB image, HWC layout, values in [0, 1]. */
export interface RgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

export type FeatureSelection =
  'auto' | 'none' | 'forward_selection' | 'highest_weights' | 'lasso_path';

/** One interpretable feature (tabular column/bin, token, superpixel) and its local weight. */
export interface FeatureWeight {
  index: number;
  name: string;
  weight: number;
}

export interface Explanation {
  kind: InputKind;
  /** Class whose probability was explained. */
  label: number;
  /** Model probabilities for the original instance. */
  probabilities: number[];
  /** Selected features, sorted by decreasing |weight|. */
  features: FeatureWeight[];
  /** Weight of every interpretable feature (0 for features not selected). */
  weights: number[];
  /**
   * weight x interpretable value at the instance: the feature's share of the surrogate's
   * prediction relative to deleting it. Equals `weights` for 0/1 features (bins, categories,
   * tokens, superpixels); for continuous columns it is weight x (x - mean) / std.
   */
  contributions: number[];
  intercept: number;
  /** Surrogate prediction at the instance itself. */
  localPrediction: number;
  /** Weighted R^2 of the surrogate on the perturbation sample (local fidelity). */
  score: number;
  numSamples: number;
  /** Names of all interpretable features, parallel to `weights`. */
  featureNames: string[];
}

export interface TextExplanation extends Explanation {
  kind: 'text';
  /** The token sequence of the instance; `featureOfToken[i]` is the feature index of token i. */
  tokens: string[];
  featureOfToken: number[];
}

export interface ImageExplanation extends Explanation {
  kind: 'image';
  width: number;
  height: number;
  /** Superpixel label per pixel (row-major). */
  segments: Int32Array;
  /** Per-pixel weight: the weight of the pixel's superpixel. */
  heatmap: Float32Array;
}

/**
 * One explainer per input kind. `explain` returns the local explanation of one instance and
 * `masker` builds the input with only the interpretable features flagged 1 kept, which the
 * faithfulness metrics use to delete features.
 */
export interface Explainer<I, E extends Explanation = Explanation> {
  readonly kind: InputKind;
  explain(instance: I, predict: PredictFn<I>, label?: number): Promise<E>;
  masker(instance: I, explanation: E): (keep: Uint8Array) => I;
}
