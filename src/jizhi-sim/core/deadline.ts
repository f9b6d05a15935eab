import type { RandomSource } from './sim-random';

/**
 * End-to-end deadlines (docs/jizhi-sim.md, "Deadlines"): each request gets a time budget at
 * arrival; a request found past it when a server would take it from a queue is shed (dropped
 * unserved), at whichever stage it waits. With exponential budgets this is customer impatience,
 * the M/M/c+M (Erlang A) queue of Palm; with a fixed budget, M/M/c+D.
 */
export interface DeadlineModel {
  /** The request's time budget (seconds from its arrival). */
  draw(rng: RandomSource): number;
}

export type DeadlineSpec = { ms: number; dist?: 'deterministic' | 'exponential' };

export class FixedDeadline implements DeadlineModel {
  constructor(private readonly s: number) {}
  draw(): number {
    return this.s;
  }
}

/** Exponential patience of the given mean: abandonment at rate 1/mean while waiting. */
export class ExponentialDeadline implements DeadlineModel {
  constructor(private readonly meanS: number) {}
  draw(rng: RandomSource): number {
    return rng.exponential() * this.meanS;
  }
}

export function deadlineModel(spec: DeadlineSpec): DeadlineModel {
  return spec.dist === 'exponential'
    ? new ExponentialDeadline(spec.ms / 1000)
    : new FixedDeadline(spec.ms / 1000);
}
