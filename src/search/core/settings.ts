/**
 * Reads an algorithm's settings object with named defaults, checking each value and rejecting
 * unknown keys; errors are ValidationErrors whose field is the setting's name (the config
 * validator prefixes it with `sampler.settings.` / `pruner.settings.`).
 */
import { ValidationError } from '../../platform/errors/domain-error';

/** An algorithm (sampler, pruner) by API name with its settings, as a study config stores it. */
export interface AlgorithmConfig {
  name: string;
  settings: Record<string, unknown>;
}

export class SettingsReader {
  private readonly raw: Record<string, unknown>;
  private readonly used = new Set<string>();

  constructor(raw: unknown) {
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
    const v = this.take(key, def);
    if (typeof v !== 'boolean')
      throw ValidationError.field(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, def: T, allowed: readonly T[]): T {
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

  private take(key: string, def: unknown): unknown {
    this.used.add(key);
    return this.raw[key] === undefined ? def : this.raw[key];
  }
}
