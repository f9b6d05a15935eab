/**
 * The in-memory data set every parser produces and every transformation and the training loop
 * consume. Inputs are one of three kinds (image, tabular, text), labels are integers indexing
 * `classNames`. Datasets are immutable: transformations return new ones that share example
 * buffers (images are never copied by a subset).
 */
import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { invalidTextReason } from '../../platform/validation/untrusted-input';

/** Height x width x channels, pixels stored row-major HWC (channels last, as TF.js expects). */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export interface ImageInputs {
  kind: 'image';
  shape: ImageShape;
  /** One Float32Array of height*width*channels values per example, scaled to [0, 1]. */
  pixels: readonly Float32Array[];
}

export interface TabularInputs {
  kind: 'tabular';
  featureNames: readonly string[];
  rows: readonly (readonly number[])[];
}

export interface TextInputs {
  kind: 'text';
  texts: readonly string[];
}

export type DatasetInputs = ImageInputs | TabularInputs | TextInputs;
export type DatasetKind = DatasetInputs['kind'];

export interface DatasetStats {
  kind: DatasetKind;
  size: number;
  numClasses: number;
  classNames: string[];
  /** Examples per class, keyed by class name, in class order. */
  countsPerClass: Record<string, number>;
  imageShape?: ImageShape;
  featureCount?: number;
  /** Mean number of whitespace-separated tokens (text sets). */
  meanTokens?: number;
}

export class Dataset {
  readonly labels: readonly number[];
  readonly classNames: readonly string[];

  constructor(
    readonly inputs: DatasetInputs,
    labels: readonly number[],
    classNames: readonly string[],
  ) {
    const n = inputsLength(inputs);
    if (labels.length !== n) {
      throw new ValidationError(`labels has ${labels.length} entries but inputs has ${n}`, [
        { field: 'labels', message: `expected ${n} labels, got ${labels.length}` },
      ]);
    }
    if (classNames.length === 0) throw ValidationError.field('classNames', 'must not be empty');
    if (new Set(classNames).size !== classNames.length) {
      throw ValidationError.field(
        'classNames',
        `must be distinct, got ${JSON.stringify(classNames)}`,
      );
    }
    labels.forEach((label, i) => {
      if (!Number.isInteger(label) || label < 0 || label >= classNames.length) {
        throw ValidationError.field(
          `labels[${i}]`,
          `must be an integer in [0, ${classNames.length - 1}], got ${label}`,
        );
      }
    });
    if (inputs.kind === 'image') {
      const { height, width, channels } = inputs.shape;
      const len = height * width * channels;
      inputs.pixels.forEach((p, i) => {
        if (p.length !== len) {
          throw ValidationError.field(`pixels[${i}]`, `has ${p.length} values, shape needs ${len}`);
        }
      });
    }
    if (inputs.kind === 'tabular') {
      inputs.rows.forEach((r, i) => {
        if (r.length !== inputs.featureNames.length) {
          throw ValidationError.field(
            `rows[${i}]`,
            `has ${r.length} features, expected ${inputs.featureNames.length}`,
          );
        }
      });
    }
    this.labels = labels;
    this.classNames = classNames;
  }

  get kind(): DatasetKind {
    return this.inputs.kind;
  }

  get size(): number {
    return this.labels.length;
  }

  get numClasses(): number {
    return this.classNames.length;
  }

  /** The examples at `indices`, in that order (indices may repeat). */
  select(indices: readonly number[]): Dataset {
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= this.size) {
        throw ValidationError.field('indices', `index ${i} is outside [0, ${this.size - 1}]`);
      }
    }
    const labels = indices.map((i) => this.labels[i]);
    return new Dataset(selectInputs(this.inputs, indices), labels, this.classNames);
  }

  /** Same inputs with new labels and class names (used by remapping). */
  withLabels(labels: readonly number[], classNames: readonly string[]): Dataset {
    return new Dataset(this.inputs, labels, classNames);
  }

  /** Indices of the examples of each class, in dataset order. */
  indicesByClass(): number[][] {
    const out: number[][] = this.classNames.map(() => []);
    this.labels.forEach((label, i) => out[label].push(i));
    return out;
  }

  stats(): DatasetStats {
    const counts = new Array<number>(this.numClasses).fill(0);
    for (const label of this.labels) counts[label]++;
    // Class names are user data: fromEntries defines a class called __proto__ as an own key
    // (an assignment would set the object's prototype and lose the count).
    const countsPerClass = Object.fromEntries(this.classNames.map((name, c) => [name, counts[c]]));
    const stats: DatasetStats = {
      kind: this.kind,
      size: this.size,
      numClasses: this.numClasses,
      classNames: [...this.classNames],
      countsPerClass,
    };
    if (this.inputs.kind === 'image') stats.imageShape = { ...this.inputs.shape };
    if (this.inputs.kind === 'tabular') stats.featureCount = this.inputs.featureNames.length;
    if (this.inputs.kind === 'text') {
      let tokens = 0;
      for (const t of this.inputs.texts)
        tokens += t.split(/\s+/).filter((w) => w.length > 0).length;
      stats.meanTokens = this.size === 0 ? 0 : tokens / this.size;
    }
    return stats;
  }
}

function inputsLength(inputs: DatasetInputs): number {
  switch (inputs.kind) {
    case 'image':
      return inputs.pixels.length;
    case 'tabular':
      return inputs.rows.length;
    case 'text':
      return inputs.texts.length;
  }
}

function selectInputs(inputs: DatasetInputs, indices: readonly number[]): DatasetInputs {
  switch (inputs.kind) {
    case 'image':
      return { kind: 'image', shape: inputs.shape, pixels: indices.map((i) => inputs.pixels[i]) };
    case 'tabular':
      return {
        kind: 'tabular',
        featureNames: inputs.featureNames,
        rows: indices.map((i) => inputs.rows[i]),
      };
    case 'text':
      return { kind: 'text', texts: indices.map((i) => inputs.texts[i]) };
  }
}

/**
 * Turns raw label values (strings from a CSV/JSONL/folder name) into class indices. Class order:
 * `classNames` when given (unknown values are reported), else numeric order when every value is
 * a number, else lexicographic order. Problems are reported against `where(i)`.
 */
export function indexLabels(
  raw: readonly string[],
  where: (i: number) => string,
  classNames?: readonly string[],
): { labels: number[]; classNames: string[] } {
  let names: string[];
  if (classNames !== undefined) {
    names = [...classNames];
  } else {
    names = [...new Set(raw)];
    const numeric = names.every((n) => n.trim() !== '' && Number.isFinite(Number(n)));
    names.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  const index = new Map(names.map((n, i) => [n, i]));
  const problems = new ProblemCollector();
  // Class names are stored as PostgreSQL text/jsonb (the data set's stats), which refuse NUL.
  names.forEach((n) => {
    const reason = invalidTextReason(n);
    if (reason !== undefined) {
      const at = raw.indexOf(n);
      problems.add(at >= 0 ? where(at) : 'classNames', `label ${reason}`);
    }
  });
  problems.throwIfAny('invalid labels');
  const labels = raw.map((value, i) => {
    const c = index.get(value);
    if (c === undefined)
      problems.add(where(i), `label "${value}" is not one of ${JSON.stringify(names)}`);
    return c ?? -1;
  });
  problems.throwIfAny('unknown labels');
  return { labels, classNames: names };
}

/** Parsers report at most this many problems (enough to fix a file, not a flood). */
export const MAX_PROBLEMS = 20;

/** Collects per-entry problems and throws them together as one 422. */
export class ProblemCollector {
  readonly problems: { field: string; message: string }[] = [];
  private total = 0;

  add(field: string, message: string): void {
    this.total++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ field, message });
  }

  get count(): number {
    return this.total;
  }

  throwIfAny(what: string): void {
    if (this.total === 0) return;
    const first = this.problems[0];
    const more = this.total > 1 ? ` (and ${this.total - 1} more)` : '';
    throw new UnprocessableError(`${what}: ${first.field}: ${first.message}${more}`, this.problems);
  }
}

/** A 422 about one location (file, `file:line`, `file:entry`). */
export function unprocessable(field: string, message: string): UnprocessableError {
  return new UnprocessableError(`${field}: ${message}`, [{ field, message }]);
}
