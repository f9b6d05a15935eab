/**
 * The architecture-space family. A space is data (a JSON config with named defaults) that knows
 * four mappings:
 *
 *   toSearchSpace()   -> the search engine's JSON space (conditional parameters via `when`), so
 *                        any sampler can propose architectures;
 *   decode(params)    -> an encoding (plain JSON, what the API shows and stores);
 *   encode(encoding)  -> the active parameters again (evolution mutates encodings, then asks the
 *                        study with these parameters);
 *   compile(encoding) -> a fresh tf.LayersModel ending in the softmax layer `head`.
 *
 * `validate(unknown)` checks an encoding from outside and names the offending field; `mutate`
 * applies exactly one operator (op / width / depth / stride) and always returns a valid encoding.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../platform/core/rng';
import { FieldProblem, ValidationError } from '../../../platform/errors/domain-error';
import { ParamValue } from '../../../search/core/distributions';

export type InputKind = 'image' | 'tabular' | 'text';
export type MutationKind = 'op' | 'width' | 'depth' | 'stride';

export interface CompileOptions {
  /** Input shape without the batch axis. */
  inputShape: number[];
  numClasses: number;
  /** Seeds every initialiser: the same encoding and seed give the same weights. */
  seed?: number;
}

/** A JSON search-space definition as src/search/core/space.ts parses it. */
export type SearchSpaceJson = Record<string, Record<string, unknown>>;

export interface Mutation<E> {
  kind: MutationKind;
  /** A short description for logs, e.g. "block 2 op conv3x3 -> sepconv5x5". */
  describe: string;
  result: E;
}

export interface ArchitectureSpace<E = unknown> {
  /** The space type as used in the API (`cell-cnn`, `mobilenet`, `mlp`, `text`). */
  readonly type: string;
  readonly inputKind: InputKind;
  /** The validated config, defaults filled in (what the API echoes back). */
  readonly config: object;
  toSearchSpace(): SearchSpaceJson;
  decode(params: Readonly<Record<string, ParamValue>>): E;
  encode(encoding: E): Record<string, ParamValue>;
  /** Throws a ValidationError whose fields are prefixed by `path` (default `encoding`). */
  validate(encoding: unknown, path?: string): E;
  /** Every single-step mutation of `encoding` (each result valid); may be empty. */
  mutations(encoding: E): Mutation<E>[];
  compile(encoding: E, options: CompileOptions): tf.LayersModel;
}

/** One random single-step mutation (uniform over the available ones); undefined when none. */
export function mutate<E>(
  space: ArchitectureSpace<E>,
  encoding: E,
  rng: Rng,
): Mutation<E> | undefined {
  const all = space.mutations(encoding);
  return all.length ? all[rng.int(0, all.length - 1)] : undefined;
}

/** Draws a uniformly random architecture (every active parameter uniform over its choices). */
export function randomEncoding<E>(space: ArchitectureSpace<E>, rng: Rng): E {
  const params: Record<string, ParamValue> = {};
  for (const [name, def] of Object.entries(space.toSearchSpace())) {
    const when = (def.when ?? {}) as Record<string, ParamValue | ParamValue[]>;
    const active = Object.entries(when).every(([parent, v]) => {
      if (!Object.hasOwn(params, parent)) return false;
      return (Array.isArray(v) ? v : [v]).includes(params[parent]);
    });
    if (!active) continue;
    if (def.type === 'categorical') {
      const choices = def.choices as ParamValue[];
      params[name] = choices[rng.int(0, choices.length - 1)];
    } else params[name] = rng.int(def.low as number, def.high as number);
  }
  return space.decode(params);
}

/** Canonical JSON (sorted keys) of an encoding: the cache key for latency and the trial attr. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Reads a space config object: named defaults, every problem collected with its field, unknown
 * keys refused (a typo must not silently fall back to a default).
 */
export class ConfigReader {
  readonly problems: FieldProblem[] = [];
  private readonly raw: Record<string, unknown>;
  private readonly used = new Set<string>(['type']);

  constructor(
    raw: unknown,
    private readonly path: string,
  ) {
    if (raw === undefined) this.raw = {};
    else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw))
      this.raw = raw as Record<string, unknown>;
    else {
      this.raw = {};
      this.problems.push({ field: path, message: 'must be an object' });
    }
  }

  int(key: string, def: number, min: number, max: number): number {
    this.used.add(key);
    const v = this.raw[key] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.problems.push({
        field: `${this.path}.${key}`,
        message: `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`,
      });
      return def;
    }
    return v;
  }

  /** A non-empty list of values (distinct unless `distinct` is false), each accepted by `ok`. */
  list<T extends ParamValue>(
    key: string,
    def: readonly T[],
    ok: (v: unknown) => boolean,
    what: string,
    distinct = true,
  ): T[] {
    this.used.add(key);
    const v = this.raw[key] ?? def;
    const field = `${this.path}.${key}`;
    if (!Array.isArray(v) || v.length === 0) {
      this.problems.push({ field, message: `must be a non-empty array of ${what}` });
      return [...def];
    }
    const bad = v.findIndex((x) => !ok(x));
    if (bad >= 0) {
      this.problems.push({
        field: `${field}[${bad}]`,
        message: `must be ${what}, got ${JSON.stringify(v[bad])}`,
      });
      return [...def];
    }
    if (distinct && new Set(v).size !== v.length) {
      this.problems.push({ field, message: 'must not repeat a value' });
      return [...def];
    }
    return v as T[];
  }

  /** A raw value for keys with their own checks. */
  value(key: string): unknown {
    this.used.add(key);
    return this.raw[key];
  }

  /** Throws one ValidationError with every problem (unknown keys included). */
  done(): void {
    for (const k of Object.keys(this.raw)) {
      if (!this.used.has(k))
        this.problems.push({
          field: `${this.path}.${k}`,
          message: `unknown key (known: ${[...this.used].sort().join(', ')})`,
        });
    }
    throwProblems(this.problems);
  }
}

export function throwProblems(problems: FieldProblem[]): void {
  if (problems.length === 0) return;
  throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
}

export const isPositiveInt = (v: unknown): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1;
export const isPositiveNumber = (v: unknown): boolean =>
  typeof v === 'number' && Number.isFinite(v) && v > 0;

/** An object at `path` or a recorded problem. */
export function objectAt(
  v: unknown,
  path: string,
  problems: FieldProblem[],
): Record<string, unknown> | undefined {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  problems.push({ field: path, message: `must be an object, got ${JSON.stringify(v)}` });
  return undefined;
}

/** Checks `v` is one of `choices`; records a problem naming the allowed values otherwise. */
export function checkChoice<T extends ParamValue>(
  v: unknown,
  choices: readonly T[],
  path: string,
  problems: FieldProblem[],
): v is T {
  if (choices.includes(v as T)) return true;
  problems.push({
    field: path,
    message: `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(v)}`,
  });
  return false;
}

/** Records a problem for keys of `obj` outside `allowed`. */
export function checkKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  problems: FieldProblem[],
): void {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k))
      problems.push({
        field: `${path}.${k}`,
        message: `unknown key (allowed: ${allowed.join(', ')})`,
      });
}

/** A parameter the decoder needs; a missing one is a ValidationError naming it. */
export function param(params: Readonly<Record<string, ParamValue>>, name: string): ParamValue {
  if (!Object.hasOwn(params, name))
    throw ValidationError.field(`params.${name}`, 'is required by this architecture space');
  return params[name];
}

/** The other values of an ordered choice list next to `value` (its neighbours). */
export function neighbours<T>(choices: readonly T[], value: T): T[] {
  const i = choices.indexOf(value);
  const out: T[] = [];
  if (i > 0) out.push(choices[i - 1]);
  if (i >= 0 && i < choices.length - 1) out.push(choices[i + 1]);
  return out;
}

/** `[from, ..., to]` (inclusive). */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
