/**
 * Reads an algorithm's settings object with named defaults, checking each value and rejecting
 * unknown keys; errors are ValidationErrors whose field is the setting's name (the config
 * validator prefixes it with `sampler.settings.` / `pruner.settings.`). The constructors'
 * reads are the one statement of each setting's rule: `describeSettings` records them, and the
 * service builds its JSON Schema from that record (src/search/study.schema.ts), so the API
 * document and the enqueue check cannot drift from the library.
 */
import { ValidationError } from '../../platform/errors/domain-error';

/** An algorithm (sampler, pruner) by API name with its settings, as a study config stores it. */
export interface AlgorithmConfig {
  name: string;
  settings: Record<string, unknown>;
}

/** One setting as a constructor reads it: its key, kind, default and range. */
export type SettingDescription =
  | { key: string; kind: 'int'; default: number; min: number; max?: number }
  | {
      key: string;
      kind: 'number';
      default: number;
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
    }
  | { key: string; kind: 'bool'; default: boolean }
  | { key: string; kind: 'oneOf'; default: string; allowed: readonly string[] }
  /** Read raw and checked by the constructor itself (e.g. `maxResource`: an integer or "auto"). */
  | { key: string; kind: 'value' };

/** The record `describeSettings` is filling; the first reader made while it runs claims it. */
let pending: SettingDescription[] | undefined;

/**
 * The settings an algorithm reads, in order, from building it with none: `build` constructs it
 * (e.g. `() => new TpeSampler({})`). Only the algorithm's own reader is recorded, not those of
 * algorithms it builds inside (Hyperband's brackets). Keys read only under a condition that
 * empty settings do not meet would be missed; every constructor here reads all its keys.
 */
export function describeSettings(build: () => unknown): SettingDescription[] {
  const out: SettingDescription[] = [];
  pending = out;
  try {
    build();
  } finally {
    pending = undefined;
  }
  return out;
}

export class SettingsReader {
  private readonly raw: Record<string, unknown>;
  private readonly used = new Set<string>();
  private readonly record = pending;

  constructor(raw: unknown) {
    pending = undefined;
    if (raw === undefined || raw === null) this.raw = {};
    else if (typeof raw === 'object' && !Array.isArray(raw))
      this.raw = raw as Record<string, unknown>;
    else throw ValidationError.field('settings', `must be an object, got ${JSON.stringify(raw)}`);
  }

  number(
    key: string,
    def: number,
    range: { min?: number; max?: number; exclusiveMin?: boolean } = {},
  ): number {
    this.describe({ key, kind: 'number', default: def, ...range });
    const v = this.take(key, def);
    const { min, max, exclusiveMin } = range;
    const bad =
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (min !== undefined && (exclusiveMin ? v <= min : v < min)) ||
      (max !== undefined && v > max);
    if (bad) {
      const lo = min === undefined ? '' : `${exclusiveMin ? '>' : '>='} ${min}`;
      const hi = max === undefined ? '' : `<= ${max}`;
      const cond = [lo, hi].filter(Boolean).join(' and ');
      throw ValidationError.field(
        key,
        `must be a finite number${cond ? ` ${cond}` : ''}, got ${JSON.stringify(v)}`,
      );
    }
    return v as number;
  }

  int(key: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    this.describe({
      key,
      kind: 'int',
      default: def,
      min,
      ...(max === Number.MAX_SAFE_INTEGER ? {} : { max }),
    });
    const v = this.take(key, def);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw ValidationError.field(
        key,
        `must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${JSON.stringify(v)}`,
      );
    }
    return v;
  }

  bool(key: string, def: boolean): boolean {
    this.describe({ key, kind: 'bool', default: def });
    const v = this.take(key, def);
    if (typeof v !== 'boolean')
      throw ValidationError.field(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, def: T, allowed: readonly T[]): T {
    this.describe({ key, kind: 'oneOf', default: def, allowed });
    const v = this.take(key, def);
    if (!allowed.includes(v as T)) {
      throw ValidationError.field(
        key,
        `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`,
      );
    }
    return v as T;
  }

  /** A raw value for settings with their own parser (e.g. an embedded search space). */
  value(key: string): unknown {
    this.describe({ key, kind: 'value' });
    return this.take(key, undefined);
  }

  /** Throws on keys that no reader asked for (typos must not pass silently). */
  done(): void {
    for (const k of Object.keys(this.raw)) {
      if (!this.used.has(k)) {
        throw ValidationError.field(
          k,
          `unknown setting (known: ${[...this.used].sort().join(', ') || 'none'})`,
        );
      }
    }
  }

  /** A key's first read describes it (a later typed read of a `value` key adds nothing). */
  private describe(d: SettingDescription): void {
    if (this.record && !this.record.some((r) => r.key === d.key)) this.record.push(d);
  }

  private take(key: string, def: unknown): unknown {
    this.used.add(key);
    return this.raw[key] === undefined ? def : this.raw[key];
  }
}
