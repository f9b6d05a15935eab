/**
 * Parameter distributions as plain JSON-serialisable objects (they are stored with each trial).
 *
 * Follows Optuna's FloatDistribution / IntDistribution / CategoricalDistribution, including the
 * "internal representation" samplers work in: numbers stay numbers, a categorical value becomes
 * the index of its choice.
 */
import { ValidationError } from '../../platform/errors/domain-error';

export type CategoricalChoice = string | number | boolean | null;
export type ParamValue = CategoricalChoice;

export interface FloatDistribution {
  type: 'float';
  low: number;
  high: number;
  log: boolean;
  /** Grid spacing; values are low + k * step. Not allowed together with log. */
  step?: number;
}

export interface IntDistribution {
  type: 'int';
  low: number;
  high: number;
  log: boolean;
  step: number;
}

export interface CategoricalDistribution {
  type: 'categorical';
  choices: CategoricalChoice[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;
export type NumericDistribution = FloatDistribution | IntDistribution;

export interface NumericOptions {
  log?: boolean;
  step?: number;
}

/** Builds and validates a float distribution; `path` names the field in error messages. */
export function floatDistribution(
  low: number,
  high: number,
  opts: NumericOptions = {},
  path = 'distribution',
): FloatDistribution {
  checkNumericBounds(low, high, opts, path, false);
  const d: FloatDistribution = { type: 'float', low, high, log: opts.log ?? false };
  if (opts.step !== undefined) {
    d.step = opts.step;
    // Optuna adjusts high down to the last reachable grid point; we do the same.
    d.high = low + Math.floor((high - low) / opts.step + 1e-9) * opts.step;
  }
  return d;
}

export function intDistribution(
  low: number,
  high: number,
  opts: NumericOptions = {},
  path = 'distribution',
): IntDistribution {
  checkNumericBounds(low, high, opts, path, true);
  const step = opts.step ?? 1;
  return {
    type: 'int',
    low,
    high: low + Math.floor((high - low) / step) * step,
    log: opts.log ?? false,
    step,
  };
}

export function categoricalDistribution(
  choices: readonly CategoricalChoice[],
  path = 'distribution',
): CategoricalDistribution {
  if (!Array.isArray(choices) || choices.length === 0) {
    throw ValidationError.field(`${path}.choices`, 'must be a non-empty array');
  }
  const seen = new Set<string>();
  choices.forEach((c, i) => {
    const t = c === null ? 'null' : typeof c;
    if (t !== 'string' && t !== 'number' && t !== 'boolean' && t !== 'null') {
      throw ValidationError.field(
        `${path}.choices[${i}]`,
        `must be a string, number, boolean or null, got ${t}`,
      );
    }
    const key = JSON.stringify(c);
    if (seen.has(key))
      throw ValidationError.field(`${path}.choices[${i}]`, `duplicate choice ${key}`);
    seen.add(key);
  });
  return { type: 'categorical', choices: choices.slice() };
}

function checkNumericBounds(
  low: number,
  high: number,
  opts: NumericOptions,
  path: string,
  integer: boolean,
): void {
  const kind = integer ? 'an integer' : 'a finite number';
  const ok = (v: number) => Number.isFinite(v) && (!integer || Number.isInteger(v));
  if (!ok(low)) throw ValidationError.field(`${path}.low`, `must be ${kind}, got ${low}`);
  if (!ok(high)) throw ValidationError.field(`${path}.high`, `must be ${kind}, got ${high}`);
  if (high < low)
    throw ValidationError.field(`${path}.high`, `must be >= low (${low}), got ${high}`);
  if (opts.log && low <= 0) {
    throw ValidationError.field(`${path}.low`, `must be > 0 when log is true, got ${low}`);
  }
  if (opts.step !== undefined) {
    if (!ok(opts.step) || opts.step <= 0) {
      throw ValidationError.field(
        `${path}.step`,
        `must be ${integer ? 'a positive integer' : 'a positive number'}, got ${opts.step}`,
      );
    }
    if (opts.log && (!integer || opts.step !== 1)) {
      throw ValidationError.field(
        `${path}.step`,
        `cannot be combined with log (got step ${opts.step})`,
      );
    }
  }
}

/** Sampler-side value: the number itself, or the index of a categorical choice. */
export function toInternal(d: Distribution, value: ParamValue): number {
  if (d.type === 'categorical') {
    const i = d.choices.findIndex((c) => c === value);
    if (i < 0) throw new RangeError(`value ${JSON.stringify(value)} is not among the choices`);
    return i;
  }
  return value as number;
}

export function fromInternal(d: Distribution, x: number): ParamValue {
  return d.type === 'categorical' ? d.choices[x] : x;
}

/** True when `value` is a member of the distribution (within float tolerance for grids). */
export function contains(d: Distribution, value: ParamValue): boolean {
  if (d.type === 'categorical') return d.choices.some((c) => c === value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (value < d.low - 1e-12 || value > d.high + 1e-12) return false;
  if (d.type === 'int' && !Number.isInteger(value)) return false;
  const step = d.step;
  if (step !== undefined) {
    const k = (value - d.low) / step;
    return Math.abs(k - Math.round(k)) < 1e-8;
  }
  return true;
}

/** Snap a continuous number to the nearest member (rounding to step, clipping to bounds). */
export function snap(d: NumericDistribution, x: number): number {
  let v = Math.min(Math.max(x, d.low), d.high);
  if (d.step !== undefined) {
    v = d.low + Math.round((v - d.low) / d.step) * d.step;
    v = Math.min(Math.max(v, d.low), d.high);
    if (d.type === 'float') v = Number(v.toPrecision(15));
  }
  if (d.type === 'int') v = Math.round(v);
  return v;
}

export function sameDistribution(a: Distribution, b: Distribution): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'categorical' && b.type === 'categorical') {
    return a.choices.length === b.choices.length && a.choices.every((c, i) => c === b.choices[i]);
  }
  const x = a as NumericDistribution;
  const y = b as NumericDistribution;
  return x.low === y.low && x.high === y.high && x.log === y.log && x.step === y.step;
}

/** A distribution with one possible value (Optuna's `single()`); samplers skip those. */
export function isSingle(d: Distribution): boolean {
  return d.type === 'categorical' ? d.choices.length === 1 : d.low === d.high;
}

/**
 * Maps a numeric value to [0, 1] (log-scaled when `log`), the unit cube QMC, CMA-ES and
 * mutation operators work in. Int/stepped values are widened by half a step on each side so
 * every grid point owns an equal share of the cube.
 */
export function toUnit(d: NumericDistribution, x: number): number {
  const [lo, hi] = unitBounds(d);
  const t = d.log ? Math.log(x) : x;
  return hi === lo ? 0.5 : (t - lo) / (hi - lo);
}

export function fromUnit(d: NumericDistribution, u: number): number {
  const [lo, hi] = unitBounds(d);
  const t = lo + Math.min(Math.max(u, 0), 1) * (hi - lo);
  return snap(d, d.log ? Math.exp(t) : t);
}

function unitBounds(d: NumericDistribution): [number, number] {
  const half = d.step !== undefined ? d.step / 2 : 0;
  if (d.log) {
    const lo = d.type === 'int' ? Math.max(d.low - 0.5, d.low / 2) : d.low;
    const hi = d.type === 'int' ? d.high + 0.5 : d.high;
    return [Math.log(lo), Math.log(hi)];
  }
  return [d.low - half, d.high + half];
}
