/**
 * Dataset transformations for transfer experiments: class subsets with label remapping (source
 * domain = classes 0-4, target domain = classes 5-9 relabelled 0-4), seeded few-shot sampling,
 * stratified train/validation/test splits, shuffling and normalisation statistics.
 */
import { Rng } from '../../platform/core/rng';
import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { Dataset, ImageShape } from './dataset';
import { ResizeMethod, resizeImage } from './image';

/**
 * Relabels through `mapping[oldLabel] = newLabel` (or -1 to drop the example) with new class
 * names. Several old classes may map to one new class.
 */
export function remapLabels(
  ds: Dataset,
  mapping: readonly number[],
  classNames: readonly string[],
): Dataset {
  if (mapping.length !== ds.numClasses) {
    throw ValidationError.field(
      'mapping',
      `needs one entry per class (${ds.numClasses}), got ${mapping.length}`,
    );
  }
  mapping.forEach((m, i) => {
    if (!Number.isInteger(m) || m < -1 || m >= classNames.length) {
      throw ValidationError.field(
        `mapping[${i}]`,
        `must be -1 or an integer in [0, ${classNames.length - 1}], got ${m}`,
      );
    }
  });
  const keep: number[] = [];
  ds.labels.forEach((label, i) => {
    if (mapping[label] >= 0) keep.push(i);
  });
  const subset = ds.select(keep);
  return subset.withLabels(
    subset.labels.map((label) => mapping[label]),
    classNames,
  );
}

/**
 * Keeps the listed classes (by index or name) and relabels them 0..k-1 in the order given, so
 * `selectClasses(fashion, [5, 6, 7, 8, 9])` turns classes 5-9 into a 5-class target domain.
 */
export function selectClasses(ds: Dataset, classes: readonly (number | string)[]): Dataset {
  if (classes.length === 0) throw ValidationError.field('classes', 'must list at least one class');
  const indices = classes.map((c, i) => {
    const index = typeof c === 'number' ? c : ds.classNames.indexOf(c);
    if (!Number.isInteger(index) || index < 0 || index >= ds.numClasses) {
      throw ValidationError.field(
        `classes[${i}]`,
        `${JSON.stringify(c)} is not a class of this data set (${JSON.stringify(ds.classNames)})`,
      );
    }
    return index;
  });
  if (new Set(indices).size !== indices.length)
    throw ValidationError.field('classes', `lists a class twice: ${JSON.stringify(classes)}`);
  const mapping = new Array<number>(ds.numClasses).fill(-1);
  indices.forEach((old, next) => (mapping[old] = next));
  return remapLabels(
    ds,
    mapping,
    indices.map((i) => ds.classNames[i]),
  );
}

/** A seeded permutation of the examples. */
export function shuffleDataset(ds: Dataset, seed: number | Rng): Dataset {
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return ds.select(rng.shuffle(range(ds.size)));
}

/**
 * Exactly `perClass` examples of every class, drawn without replacement by a seeded shuffle of
 * each class, in class-interleaved order. A class with fewer examples is a 422 naming it.
 */
export function fewShot(ds: Dataset, perClass: number, seed: number | Rng): Dataset {
  if (!Number.isInteger(perClass) || perClass < 1)
    throw ValidationError.field('perClass', `must be a positive integer, got ${perClass}`);
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  const byClass = ds.indicesByClass();
  const short = byClass
    .map((idx, c) => ({ name: ds.classNames[c], n: idx.length }))
    .filter((x) => x.n < perClass);
  if (short.length > 0) {
    throw new UnprocessableError(
      `perClass ${perClass} exceeds the examples of ${short.length} class(es)`,
      short.map((s) => ({
        field: 'perClass',
        message: `class "${s.name}" has only ${s.n} examples, ${perClass} requested`,
      })),
    );
  }
  const picked = byClass.map((idx) => rng.shuffle(idx).slice(0, perClass));
  const out: number[] = [];
  for (let k = 0; k < perClass; k++) for (const p of picked) out.push(p[k]);
  return ds.select(out);
}

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export interface Split {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  /** Indices into the input data set, for lineage and reproducibility checks. */
  indices: { train: number[]; validation: number[]; test: number[] };
}

/**
 * Per-class counts for a split of n examples: floor(n * f_i), with the remainder going to the
 * parts with the largest fractional remainders (Hamilton's largest-remainder method; ties in the
 * order train, validation, test). Counts always sum to n and deviate from n * f_i by less than 1.
 */
export function splitCounts(n: number, fractions: SplitFractions): [number, number, number] {
  const f = [fractions.train, fractions.validation, fractions.test];
  const exact = f.map((x) => n * x);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = [0, 1, 2].sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (let k = 0; left > 0; k = (k + 1) % 3, left--) counts[order[k]]++;
  return [counts[0], counts[1], counts[2]];
}

/** Stratified split: every class is split by `splitCounts`, after a seeded shuffle of that class. */
export function stratifiedSplit(ds: Dataset, fractions: SplitFractions, seed: number | Rng): Split {
  const values = [fractions.train, fractions.validation, fractions.test];
  const names = ['train', 'validation', 'test'];
  values.forEach((v, i) => {
    if (!(v >= 0 && v <= 1))
      throw ValidationError.field(`fractions.${names[i]}`, `must be in [0, 1], got ${v}`);
  });
  const sum = values.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9)
    throw ValidationError.field('fractions', `must sum to 1, got ${sum}`);
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  const parts: [number[], number[], number[]] = [[], [], []];
  for (const idx of ds.indicesByClass()) {
    const shuffled = rng.shuffle(idx);
    const [a, b] = splitCounts(idx.length, fractions);
    parts[0].push(...shuffled.slice(0, a));
    parts[1].push(...shuffled.slice(a, a + b));
    parts[2].push(...shuffled.slice(a + b));
  }
  // Interleave classes within each part so a sequential reader does not see one class at a time.
  const [train, validation, test] = parts.map((p) => rng.shuffle(p));
  return {
    train: ds.select(train),
    validation: ds.select(validation),
    test: ds.select(test),
    indices: { train, validation, test },
  };
}

export interface NormalisationStats {
  /** Per channel (images) or per feature (tabular). */
  mean: number[];
  std: number[];
}

/**
 * Per-channel (images) or per-feature (tabular) mean and population standard deviation, computed
 * in float64 with Welford's update. Fit them on the training split only.
 */
export function normalisationStats(ds: Dataset): NormalisationStats {
  const inputs = ds.inputs;
  if (inputs.kind === 'text')
    throw ValidationError.field('dataset', 'normalisation needs image or tabular data');
  const dims = inputs.kind === 'image' ? inputs.shape.channels : inputs.featureNames.length;
  const mean = new Array<number>(dims).fill(0);
  const m2 = new Array<number>(dims).fill(0);
  const count = new Array<number>(dims).fill(0);
  const vectors: readonly ArrayLike<number>[] =
    inputs.kind === 'image' ? inputs.pixels : inputs.rows;
  for (const v of vectors) {
    for (let i = 0; i < v.length; i++) {
      const d = i % dims;
      const x = v[i];
      count[d]++;
      const delta = x - mean[d];
      mean[d] += delta / count[d];
      m2[d] += delta * (x - mean[d]);
    }
  }
  return { mean, std: m2.map((m, d) => (count[d] > 0 ? Math.sqrt(m / count[d]) : 0)) };
}

/** (x - mean) / std per channel/feature; a zero std (constant feature) leaves x - mean. */
export function normalise(ds: Dataset, stats: NormalisationStats): Dataset {
  const inputs = ds.inputs;
  if (inputs.kind === 'text')
    throw ValidationError.field('dataset', 'normalisation needs image or tabular data');
  const dims = stats.mean.length;
  const scale = stats.std.map((s) => (s > 0 ? 1 / s : 1));
  if (inputs.kind === 'image') {
    if (dims !== inputs.shape.channels)
      throw ValidationError.field(
        'stats.mean',
        `has ${dims} entries, images have ${inputs.shape.channels} channels`,
      );
    const pixels = inputs.pixels.map((p) =>
      p.map((x, i) => (x - stats.mean[i % dims]) * scale[i % dims]),
    );
    return new Dataset({ ...inputs, pixels }, ds.labels, ds.classNames);
  }
  if (dims !== inputs.featureNames.length)
    throw ValidationError.field(
      'stats.mean',
      `has ${dims} entries, rows have ${inputs.featureNames.length} features`,
    );
  const rows = inputs.rows.map((r) => r.map((x, i) => (x - stats.mean[i]) * scale[i]));
  return new Dataset({ ...inputs, rows }, ds.labels, ds.classNames);
}

/**
 * Reads each tabular row as an HWC image scaled by 1 / maxValue, e.g. scikit-learn digits
 * (64 features in 0..16) as 8x8x1 images, so they can be a target for image models.
 */
export function tabularAsImages(ds: Dataset, shape: ImageShape, maxValue: number): Dataset {
  const inputs = ds.inputs;
  if (inputs.kind !== 'tabular')
    throw ValidationError.field('dataset', `needs a tabular data set, got ${inputs.kind}`);
  const len = shape.height * shape.width * shape.channels;
  if (inputs.featureNames.length !== len) {
    throw ValidationError.field(
      'shape',
      `${shape.height}x${shape.width}x${shape.channels} needs ${len} features, rows have ${inputs.featureNames.length}`,
    );
  }
  if (!(maxValue > 0)) throw ValidationError.field('maxValue', `must be positive, got ${maxValue}`);
  const pixels = inputs.rows.map((r) => Float32Array.from(r, (v) => v / maxValue));
  return new Dataset({ kind: 'image', shape, pixels }, ds.labels, ds.classNames);
}

/** Resizes every image (e.g. 8x8 digits to 28x28 for a Fashion-MNIST-pretrained model). */
export function resizeDataset(
  ds: Dataset,
  to: { height: number; width: number },
  method: ResizeMethod,
): Dataset {
  const inputs = ds.inputs;
  if (inputs.kind !== 'image')
    throw ValidationError.field('dataset', `needs an image data set, got ${inputs.kind}`);
  for (const [name, v] of Object.entries(to)) {
    if (!Number.isInteger(v) || v < 1)
      throw ValidationError.field(name, `must be a positive integer, got ${v}`);
  }
  const shape = { ...to, channels: inputs.shape.channels };
  const pixels = inputs.pixels.map((p) => resizeImage(p, inputs.shape, to, method));
  return new Dataset({ kind: 'image', shape, pixels }, ds.labels, ds.classNames);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
