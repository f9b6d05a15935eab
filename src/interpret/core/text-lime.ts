import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import {
  argmax,
  checkFeatureSelection,
  checkInt,
  checkPositive,
  exponentialKernel,
  fitLocalModel,
  predictBatched,
} from './lime-base';
import type { Explainer, FeatureSelection, PredictFn, TextExplanation } from './types';

export interface TextLimeOptions {
  /** Perturbation samples per explanation, the instance included; default 5000. */
  numSamples?: number;
  numFeatures?: number;
  featureSelection?: FeatureSelection;
  /** Kernel width on 100 x cosine distance; default 25 (LimeTextExplainer's default). */
  kernelWidth?: number;
  /** Compare words case-insensitively (default false, like the reference). */
  lowercase?: boolean;
  batchSize?: number;
  seed?: number;
}

export interface Tokens {
  /** The text cut into alternating runs of word and separator characters; joins back to the text. */
  tokens: string[];
  isWord: boolean[];
}

/** Split on runs of non-word characters, keeping them (LIME's IndexedString with r'\W+', Unicode-aware). */
export function tokenize(text: string): Tokens {
  const tokens: string[] = [];
  const isWord: boolean[] = [];
  const re = /[\p{L}\p{N}_]+|[^\p{L}\p{N}_]+/gu;
  for (const m of text.matchAll(re)) {
    tokens.push(m[0]);
    isWord.push(/[\p{L}\p{N}_]/u.test(m[0]));
  }
  return { tokens, isWord };
}

/**
 * LIME for text (LimeTextExplainer, bag of words): the features are the distinct words; a sample
 * removes k uniformly drawn words (k uniform in 1..d, every occurrence of each), is weighted by
 * the exponential kernel on 100 x cosine distance to the full text, and the surrogate is fitted
 * on the 0/1 presence vectors.
 */
export class TextLimeExplainer implements Explainer<string, TextExplanation> {
  readonly kind = 'text' as const;
  private readonly numSamples: number;
  private readonly numFeatures: number;
  private readonly selection: FeatureSelection;
  private readonly kernelWidth: number;
  private readonly lowercase: boolean;
  private readonly batchSize: number;
  private readonly rng: Rng;

  constructor(opts: TextLimeOptions = {}) {
    this.numSamples = checkInt('numSamples', opts.numSamples ?? 5000, 2, 1_000_000);
    this.numFeatures = checkInt('numFeatures', opts.numFeatures ?? 10, 1);
    this.selection = checkFeatureSelection(opts.featureSelection ?? 'auto');
    this.kernelWidth = checkPositive('kernelWidth', opts.kernelWidth ?? 25);
    this.lowercase = opts.lowercase ?? false;
    this.batchSize = checkInt('batchSize', opts.batchSize ?? 500, 1);
    this.rng = new Rng(opts.seed ?? 0);
  }

  private vocabulary(text: string): {
    tokens: string[];
    featureOfToken: number[];
    words: string[];
  } {
    const { tokens, isWord } = tokenize(text);
    const index = new Map<string, number>();
    const words: string[] = [];
    const featureOfToken = tokens.map((t, i) => {
      if (!isWord[i]) return -1;
      const key = this.lowercase ? t.toLowerCase() : t;
      let f = index.get(key);
      if (f === undefined) {
        f = words.length;
        index.set(key, f);
        words.push(key);
      }
      return f;
    });
    return { tokens, featureOfToken, words };
  }

  async explain(
    instance: string,
    predict: PredictFn<string>,
    label?: number,
  ): Promise<TextExplanation> {
    if (typeof instance !== 'string') throw ValidationError.field('instance', 'must be a string');
    const { tokens, featureOfToken, words } = this.vocabulary(instance);
    const d = words.length;
    if (d === 0) throw ValidationError.field('instance', 'contains no words to explain');
    const n = this.numSamples;
    const join = (keep: Uint8Array): string =>
      tokens.filter((_, i) => featureOfToken[i] < 0 || keep[featureOfToken[i]]).join('');
    const data: Float64Array[] = [new Float64Array(d).fill(1)];
    const texts: string[] = [instance];
    const distances = new Float64Array(n);
    const all = Array.from({ length: d }, (_, j) => j);
    for (let i = 1; i < n; i++) {
      const z = new Float64Array(d).fill(1);
      const remove = this.rng.int(1, d);
      for (const j of this.rng.shuffle(all).slice(0, remove)) z[j] = 0;
      data.push(z);
      texts.push(join(Uint8Array.from(z)));
      const kept = d - remove;
      distances[i] = (kept === 0 ? 1 : 1 - kept / (Math.sqrt(kept) * Math.sqrt(d))) * 100;
    }
    const probs = await predictBatched(predict, texts, this.batchSize);
    const target = label ?? argmax(probs[0]);
    if (!Number.isInteger(target) || target < 0 || target >= probs[0].length) {
      throw ValidationError.field(
        'label',
        `must be a class index in [0, ${probs[0].length - 1}], got ${target}`,
      );
    }
    const y = Float64Array.from(probs, (p) => p[target]);
    const w = Float64Array.from(distances, (dd) => exponentialKernel(dd, this.kernelWidth));
    const fit = fitLocalModel(data, y, w, Math.min(this.numFeatures, d), this.selection, words);
    return {
      kind: 'text',
      label: target,
      probabilities: probs[0],
      numSamples: n,
      featureNames: words,
      tokens,
      featureOfToken,
      ...fit,
    };
  }

  /** Deleting a word removes every occurrence of it. */
  masker(_instance: string, explanation: TextExplanation): (keep: Uint8Array) => string {
    const { tokens, featureOfToken } = explanation;
    return (keep) =>
      tokens.filter((_, i) => featureOfToken[i] < 0 || keep[featureOfToken[i]]).join('');
  }
}
