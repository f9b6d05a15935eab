import { UnprocessableError } from '../../platform/errors/domain-error';
import type { ExplainableModel } from './explainable-model';

/** What an `explain` job returns: one JSON explanation per instance and their mean scores. */
export interface ExplainResult {
  model: string;
  inputKind: string;
  classNames: string[];
  explanations: Record<string, unknown>[];
  summary: ExplanationSummary;
  artifacts: string[];
}

/** Mean fidelity (local R^2) and AOPC of the explanations, and AOPC of random orderings. */
export interface ExplanationSummary {
  meanFidelity: number;
  meanAopc: number;
  meanRandomAopc: number;
}

/** The explanations done so far, checkpointed after each instance. */
export interface ExplainCheckpoint {
  done: Record<string, unknown>[];
  artifacts: string[];
}

/** Throws UnprocessableError naming the first label that is not a class of the model. */
export function assertLabelsFit(
  model: ExplainableModel,
  labels: readonly number[] | undefined,
): void {
  const bad = labels?.findIndex((l) => l >= model.classNames.length) ?? -1;
  if (bad >= 0) {
    throw new UnprocessableError(`labels[${bad}] is not a class of the model`, [
      { field: `labels[${bad}]`, message: `must be in [0, ${model.classNames.length - 1}]` },
    ]);
  }
}

/** The checkpoint of an earlier attempt, as this job wrote it, or a fresh start. */
export function resumeExplain(state: unknown): ExplainCheckpoint {
  const resume = state as Partial<ExplainCheckpoint> | undefined;
  return {
    done: resume?.done ? [...resume.done] : [],
    artifacts: resume?.artifacts ? [...resume.artifacts] : [],
  };
}

/** Means over the JSON explanations (explanationJson's `fidelity` and `faithfulness`). */
export function explanationSummary(done: readonly Record<string, unknown>[]): ExplanationSummary {
  const mean = (key: (e: Record<string, unknown>) => number): number =>
    done.reduce((s, e) => s + key(e), 0) / done.length;
  const faith = (e: Record<string, unknown>): { aopc: number; randomAopc: number } =>
    e.faithfulness as { aopc: number; randomAopc: number };
  return {
    meanFidelity: mean((e) => e.fidelity as number),
    meanAopc: mean((e) => faith(e).aopc),
    meanRandomAopc: mean((e) => faith(e).randomAopc),
  };
}
