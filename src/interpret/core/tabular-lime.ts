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
import type { Explainer, Explanation, FeatureSelection, PredictFn } from './types';

export interface TabularLimeOptions {
  /** Rows of the training set (or a sample of it): the source of the feature statistics. */
  trainingData: readonly (readonly number[])[];
  featureNames?: readonly string[];
  /** Columns holding category codes; sampled by training frequency, explained as "name=value". */
  categoricalFeatures?: readonly number[];
  /** Quartile-discretise continuous features (LIME's default); default true. */
  discretize?: boolean;
  /** Kernel width on the scaled distance; default 0.75 * sqrt(number of features). */
  kernelWidth?: number;
  /** Perturbation samples per explanation, the instance included; default 5000. */
  numSamples?: number;
  /** Features kept in the explanation; default 10. */
  numFeatures?: number;
  featureSelection?: FeatureSelection;
  /** Without discretisation: sample around the instance instead of the training mean. */
  sampleAroundInstance?: boolean;
  batchSize?: number;
  seed?: number;
}

interface BinStats {
  mean: number;
  std: number;
  lo: number;
  hi: number;
}

interface ColumnStats {
  mean: number;
  std: number;
  /** Category values (categorical) or bin indices (discretised), with training frequencies. */
  values?: number[];
  freqs?: number[];
  /** Quartile edges of a discretised column, and the statistics of each bin. */
  edges?: number[];
  bins?: BinStats[];
  mode: number;
}

/** Linear-interpolation percentile, as numpy.percentile's default. */
function percentile(sorted: readonly number[], p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/**
 * Column statistics (and the row checks) by training-rows array and discretisation: a job builds
 * one explainer per instance (each with its own seed) over the same rows, which are treated as
 * immutable, so the statistics are computed once per job instead of once per explanation.
 */
const STATISTICS = new WeakMap<readonly (readonly number[])[], Map<string, ColumnStats[]>>();

/**
 * LIME for tabular data, after the reference package's LimeTabularExplainer: samples are drawn
 * from training-set statistics (per quartile bin with a truncated normal when discretised,
 * a normal with the training mean and std otherwise, category codes by training frequency),
 * weighted with the exponential kernel on the scaled distance, and explained by a weighted
 * ridge surrogate. Deviation: distances use (x - x0)/std for continuous columns and a 0/1
 * mismatch for categorical/discretised ones, where the reference scales the 0/1 indicators by
 * the raw training std.
 */
export class TabularLimeExplainer implements Explainer<number[]> {
  readonly kind = 'tabular' as const;
  readonly featureNames: string[];
  private readonly stats: ColumnStats[];
  private readonly categorical: Set<number>;
  private readonly discretize: boolean;
  private readonly kernelWidth: number;
  private readonly numSamples: number;
  private readonly numFeatures: number;
  private readonly selection: FeatureSelection;
  private readonly sampleAroundInstance: boolean;
  private readonly batchSize: number;
  private readonly rng: Rng;

  constructor(opts: TabularLimeOptions) {
    const rows = opts.trainingData;
    if (!Array.isArray(rows) || rows.length < 2) {
      throw ValidationError.field(
        'trainingData',
        `needs at least 2 rows, got ${rows?.length ?? 0}`,
      );
    }
    const d = rows[0].length;
    if (d < 1) throw ValidationError.field('trainingData', 'rows must have at least one column');
    this.featureNames = opts.featureNames
      ? [...opts.featureNames]
      : Array.from({ length: d }, (_, j) => `x${j}`);
    if (this.featureNames.length !== d) {
      throw ValidationError.field(
        'featureNames',
        `has ${this.featureNames.length} names for ${d} columns`,
      );
    }
    for (const c of opts.categoricalFeatures ?? []) {
      if (!Number.isInteger(c) || c < 0 || c >= d) {
        throw ValidationError.field('categoricalFeatures', `column ${c} is not in [0, ${d - 1}]`);
      }
    }
    this.categorical = new Set(opts.categoricalFeatures ?? []);
    this.discretize = opts.discretize ?? true;
    this.kernelWidth = checkPositive('kernelWidth', opts.kernelWidth ?? 0.75 * Math.sqrt(d));
    this.numSamples = checkInt('numSamples', opts.numSamples ?? 5000, 2, 1_000_000);
    this.numFeatures = checkInt('numFeatures', opts.numFeatures ?? Math.min(10, d), 1, d);
    this.selection = checkFeatureSelection(opts.featureSelection ?? 'auto');
    this.sampleAroundInstance = opts.sampleAroundInstance ?? false;
    this.batchSize = checkInt('batchSize', opts.batchSize ?? 1000, 1);
    this.rng = new Rng(opts.seed ?? 0);
    const key = `${this.discretize}:${[...this.categorical].sort((a, b) => a - b).join()}`;
    const known = STATISTICS.get(rows)?.get(key);
    if (known) {
      this.stats = known;
      return;
    }
    rows.forEach((r, i) => {
      if (r.length !== d)
        throw ValidationError.field(`trainingData[${i}]`, `has ${r.length} columns, expected ${d}`);
      r.forEach((v: number, j: number) => {
        if (!Number.isFinite(v))
          throw ValidationError.field(`trainingData[${i}][${j}]`, `must be finite, got ${v}`);
      });
    });
    this.stats = Array.from({ length: d }, (_, j) =>
      this.columnStats(
        rows.map((r) => r[j]),
        j,
      ),
    );
    if (!STATISTICS.has(rows)) STATISTICS.set(rows, new Map());
    STATISTICS.get(rows)?.set(key, this.stats);
  }

  private columnStats(col: number[], j: number): ColumnStats {
    const n = col.length;
    const mean = col.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / n) || 1;
    const counts = (keys: number[]): { values: number[]; freqs: number[]; mode: number } => {
      const m = new Map<number, number>();
      for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
      const values = [...m.keys()].sort((a, b) => a - b);
      const freqs = values.map((v) => (m.get(v) ?? 0) / n);
      const mode = values[argmax(freqs)];
      return { values, freqs, mode };
    };
    if (this.categorical.has(j)) return { mean, std, ...counts(col) };
    if (!this.discretize) return { mean, std, mode: mean };
    const sorted = [...col].sort((a, b) => a - b);
    const edges = [...new Set([0.25, 0.5, 0.75].map((p) => percentile(sorted, p)))];
    const binOf = (v: number): number => {
      let b = 0;
      while (b < edges.length && v > edges[b]) b++;
      return b;
    };
    const bounds = [sorted[0], ...edges, sorted[n - 1]];
    const bins: BinStats[] = [];
    for (let b = 0; b <= edges.length; b++) {
      const members = col.filter((v) => binOf(v) === b);
      const bm =
        members.length > 0
          ? members.reduce((s, v) => s + v, 0) / members.length
          : (bounds[b] + bounds[b + 1]) / 2;
      const bs =
        members.length > 0
          ? Math.sqrt(members.reduce((s, v) => s + (v - bm) ** 2, 0) / members.length)
          : 0;
      bins.push({ mean: bm, std: bs + 1e-11, lo: bounds[b], hi: bounds[b + 1] });
    }
    return { mean, std, edges, bins, ...counts(col.map(binOf)) };
  }

  private binOf(j: number, v: number): number {
    const edges = this.stats[j].edges ?? [];
    let b = 0;
    while (b < edges.length && v > edges[b]) b++;
    return b;
  }

  private isIndicator(j: number): boolean {
    return this.categorical.has(j) || this.discretize;
  }

  /** Interpretable feature names for this instance (bin or category of the instance's value). */
  namesFor(instance: readonly number[]): string[] {
    return instance.map((v, j) => {
      const name = this.featureNames[j];
      if (this.categorical.has(j)) return `${name}=${fmt(v)}`;
      const edges = this.stats[j].edges;
      if (!edges) return name;
      const b = this.binOf(j, v);
      if (b === 0) return `${name} <= ${fmt(edges[0])}`;
      if (b === edges.length) return `${name} > ${fmt(edges[edges.length - 1])}`;
      return `${fmt(edges[b - 1])} < ${name} <= ${fmt(edges[b])}`;
    });
  }

  /** Truncated normal in [lo, hi] by rejection, falling back to uniform (scipy truncnorm's role in LIME). */
  private truncatedNormal(bin: BinStats): number {
    if (bin.hi <= bin.lo) return bin.lo;
    for (let t = 0; t < 20; t++) {
      const v = this.rng.normal(bin.mean, bin.std);
      if (v >= bin.lo && v <= bin.hi) return v;
    }
    return this.rng.uniform(bin.lo, bin.hi);
  }

  private checkInstance(instance: readonly number[]): void {
    const d = this.stats.length;
    if (!Array.isArray(instance) || instance.length !== d) {
      throw ValidationError.field('instance', `must have ${d} features, got ${instance?.length}`);
    }
    instance.forEach((v, j) => {
      if (!Number.isFinite(v))
        throw ValidationError.field(`instance[${j}]`, `must be finite, got ${v}`);
    });
  }

  async explain(
    instance: number[],
    predict: PredictFn<number[]>,
    label?: number,
  ): Promise<Explanation> {
    this.checkInstance(instance);
    const d = instance.length;
    const n = this.numSamples;
    const inputs: number[][] = [instance.slice()];
    const data: Float64Array[] = [];
    const distances = new Float64Array(n);
    const first = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      first[j] = this.isIndicator(j) ? 1 : (instance[j] - this.stats[j].mean) / this.stats[j].std;
    }
    data.push(first);
    const own = instance.map((v, j) => (this.categorical.has(j) ? v : this.binOf(j, v)));
    for (let i = 1; i < n; i++) {
      const x = new Array<number>(d);
      const z = new Float64Array(d);
      let dist2 = 0;
      for (let j = 0; j < d; j++) {
        const s = this.stats[j];
        if (this.isIndicator(j)) {
          const code = s.values![this.rng.weightedIndex(s.freqs!)];
          const same = code === own[j];
          x[j] = this.categorical.has(j)
            ? code
            : same
              ? instance[j]
              : this.truncatedNormal(s.bins![code]);
          z[j] = same ? 1 : 0;
          if (!same) dist2 += 1;
        } else {
          const centre = this.sampleAroundInstance ? instance[j] : s.mean;
          x[j] = this.rng.normal() * s.std + centre;
          z[j] = (x[j] - s.mean) / s.std;
          dist2 += ((x[j] - instance[j]) / s.std) ** 2;
        }
      }
      inputs.push(x);
      data.push(z);
      distances[i] = Math.sqrt(dist2);
    }
    const probs = await predictBatched(predict, inputs, this.batchSize);
    const target = label ?? argmax(probs[0]);
    if (!Number.isInteger(target) || target < 0 || target >= probs[0].length) {
      throw ValidationError.field(
        'label',
        `must be a class index in [0, ${probs[0].length - 1}], got ${target}`,
      );
    }
    const y = Float64Array.from(probs, (p) => p[target]);
    const w = Float64Array.from(distances, (dd) => exponentialKernel(dd, this.kernelWidth));
    const names = this.namesFor(instance);
    const fit = fitLocalModel(data, y, w, this.numFeatures, this.selection, names);
    return {
      kind: 'tabular',
      label: target,
      probabilities: probs[0],
      numSamples: n,
      featureNames: names,
      ...fit,
    };
  }

  /** Deleting a feature replaces it with its training mean (continuous) or most frequent value. */
  masker(instance: number[]): (keep: Uint8Array) => number[] {
    const base = this.stats.map((s, j) => (this.categorical.has(j) ? s.mode : s.mean));
    return (keep) => instance.map((v, j) => (keep[j] ? v : base[j]));
  }
}
