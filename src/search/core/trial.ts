/** Trial and study records as the storage port stores them (plain JSON-friendly data). */
import { Distribution, ParamValue } from './distributions';

export const TRIAL_STATES = ['running', 'complete', 'pruned', 'failed'] as const;
export type TrialState = (typeof TRIAL_STATES)[number];
export type Direction = 'minimize' | 'maximize';
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface IntermediateValue {
  step: number;
  /** One entry per objective (a single-objective study reports one number). */
  values: number[];
}

export interface FrozenTrial {
  number: number;
  state: TrialState;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  /** Objective values, set when complete. */
  values?: number[];
  /** Constraint values, feasible when every one is <= 0 (Optuna's convention). */
  constraints?: number[];
  /** Sorted by step; reporting a step again overwrites it. */
  intermediate: IntermediateValue[];
  userAttrs: Record<string, JsonValue>;
  /** Sampler and pruner bookkeeping (grid id, generation, rung values ...). */
  systemAttrs: Record<string, JsonValue>;
  startedAt: number;
  finishedAt?: number;
}

export interface StudyRecord {
  id: string;
  name: string;
  directions: Direction[];
  userAttrs: Record<string, JsonValue>;
}

export function lastStep(t: FrozenTrial): number | undefined {
  return t.intermediate.length ? t.intermediate[t.intermediate.length - 1].step : undefined;
}

export function intermediateAt(t: FrozenTrial, step: number): number[] | undefined {
  // Binary search: intermediate values are kept sorted by step.
  let lo = 0;
  let hi = t.intermediate.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = t.intermediate[mid].step;
    if (s === step) return t.intermediate[mid].values;
    if (s < step) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Total constraint violation (0 when feasible or unconstrained). */
export function violation(t: FrozenTrial): number {
  let v = 0;
  for (const c of t.constraints ?? []) v += Number.isNaN(c) ? Infinity : Math.max(0, c);
  return v;
}

export function isFeasible(t: FrozenTrial): boolean {
  return violation(t) === 0;
}
