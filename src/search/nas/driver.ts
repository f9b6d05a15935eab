/**
 * The NAS driver (library level, in one process): a study of the search engine over an
 * architecture space whose trials run one after another, each evaluated by `evaluateCandidate`
 * (candidate.ts: decode, compile, cost, constraint check, train with per-epoch reports, tell).
 * The service runs the same candidates as `nas-trial` jobs instead (nas.handler.ts); the
 * benchmarks use this function.
 *
 * Candidates over a parameter or FLOPs budget are re-drawn before they become trials
 * (feasibility.ts). The study never ranks an infeasible trial as best, and `summariseNas` checks
 * it again before returning (a reported best or front member never violates a constraint).
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { InMemoryStudyStorage } from '../core/memory-storage';
import { parseSearchSpace } from '../core/space';
import { StudyStorage } from '../core/storage';
import { Study } from '../core/study';
import { Direction, FrozenTrial, isFeasible, violation } from '../core/trial';
import {
  CandidateTrial,
  NAS_DEFAULTS,
  NasData,
  NasStrategy,
  NasTrialRecord,
  WeightStore,
  evaluateCandidate,
  nasPruner,
  nasSampler,
} from './candidate';
import { LatencyCache } from './cost';
import { staticConstraintRejecter } from './feasibility';
import { frontCosts, nasParetoFront } from './front';
import { NasConstraint, NasObjective, needsLatency, objectiveDirections } from './objectives';
import { ArchitectureSpace } from './spaces/architecture-space';
import { WeightSnapshot } from './weight-inheritance';

export { NAS_DEFAULTS } from './candidate';
export type { NasData, NasStrategy, NasTrialRecord } from './candidate';

export interface NasBudget {
  trials: number;
  epochsPerTrial: number;
  batchSize?: number;
  learningRate?: number;
  /** Stop asking new trials after this much wall time. */
  timeoutMs?: number;
}

export interface NasHooks {
  onTrial?: (trial: NasTrialRecord) => void | Promise<void>;
  onProgress?: (fraction: number, message: string) => void | Promise<void>;
  /** Checked before each trial and each training step (job cancellation). */
  shouldStop?: () => boolean;
}

export interface NasOptions<E = unknown> {
  space: ArchitectureSpace<E>;
  data: NasData;
  strategy: NasStrategy;
  objective: NasObjective;
  constraints?: NasConstraint[];
  budget: NasBudget;
  /** Early stopping of candidates on validation accuracy per epoch (`asha`, `hyperband` ...). */
  pruner?: { name: string; settings?: Record<string, unknown> };
  seed?: number;
  /** Evolution children start from their parent's weights where shapes allow (default true). */
  inheritWeights?: boolean;
  latency?: LatencyCache;
  storage?: StudyStorage;
  hooks?: NasHooks;
  clock?: () => number;
}

/** Finished trials by outcome; `infeasible` are complete trials that break a constraint. */
export interface NasTrialCounts {
  complete: number;
  infeasible: number;
  pruned: number;
  failed: number;
  /** Candidates over a params / FLOPs budget re-drawn before they became trials. */
  rejectedDraws: number;
}

export interface NasResult {
  directions: Direction[];
  trials: NasTrialRecord[];
  counts: NasTrialCounts;
  /**
   * Complete trials, best first: feasible ones by the first objective (accuracy for multi), then
   * infeasible ones by total violation (constrained domination, Deb 2000), marked `feasible: false`.
   */
  leaderboard: NasTrialRecord[];
  /** The search's Pareto front (front.ts): feasible, accuracy vs the search's costs. */
  paretoFront: NasTrialRecord[];
  best?: NasTrialRecord;
  stoppedBy: 'completed' | 'cancelled' | 'timeout';
}

function positiveInt(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw ValidationError.field(field, `must be a positive integer, got ${JSON.stringify(v)}`);
}

/** Runs a NAS study to its budget and returns the leaderboard and Pareto front. */
export async function runNas<E>(o: NasOptions<E>): Promise<NasResult> {
  positiveInt('budget.trials', o.budget.trials);
  positiveInt('budget.epochsPerTrial', o.budget.epochsPerTrial);
  const clock = o.clock ?? Date.now;
  const seed = o.seed ?? NAS_DEFAULTS.seed;
  const constraints = o.constraints ?? [];
  const directions = objectiveDirections(o.objective);
  const searchSpace = parseSearchSpace(o.space.toSearchSpace(), 'space');
  const study = await Study.create(
    {
      storage: o.storage ?? new InMemoryStudyStorage(),
      sampler: nasSampler(o.space, searchSpace, o.strategy, o.budget.trials, seed),
      pruner: nasPruner(o.pruner, directions),
      space: searchSpace,
    },
    { name: `nas-${o.space.type}`, directions },
  );
  const latency = needsLatency(o.objective, constraints)
    ? (o.latency ?? new LatencyCache())
    : undefined;
  const inherit = (o.inheritWeights ?? true) && o.strategy.name === 'regularized-evolution';
  const weights = inherit ? memoryWeights(50) : undefined;
  const records: NasTrialRecord[] = [];
  const deadline = o.budget.timeoutMs === undefined ? Infinity : clock() + o.budget.timeoutMs;
  let stoppedBy: NasResult['stoppedBy'] = 'completed';

  for (let i = 0; i < o.budget.trials; i++) {
    if (o.hooks?.shouldStop?.()) {
      stoppedBy = 'cancelled';
      break;
    }
    if (clock() >= deadline) {
      stoppedBy = 'timeout';
      break;
    }
    const t0 = clock();
    const trial = await study.askFromSpace(searchSpace, {
      reject: staticConstraintRejecter(o.space, constraints, o.data),
    });
    const handle: CandidateTrial = {
      number: trial.number,
      params: trial.params,
      systemAttrs: trial.systemAttrs,
      setUserAttr: (k, v) => trial.setUserAttr(k, v),
      report: async (values, step) => {
        await trial.report(values, step);
        return trial.shouldPrune();
      },
      tell: (result) => study.tell(trial, result),
    };
    const { record, stopped } = await evaluateCandidate(
      {
        space: o.space,
        data: o.data,
        objective: o.objective,
        constraints,
        budget: o.budget,
        seed,
        latency,
        weights,
        shouldStop: o.hooks?.shouldStop,
      },
      handle,
    );
    if (stopped) {
      trial.setUserAttr('error', 'cancelled');
      const finished = await study.tell(trial, 'failed');
      record.state = finished.state;
      stoppedBy = 'cancelled';
    }
    record.durationMs = clock() - t0;
    records.push(record);
    await o.hooks?.onTrial?.(record);
    await o.hooks?.onProgress?.(
      (i + 1) / o.budget.trials,
      `trial ${trial.number} ${record.state}${record.accuracy !== undefined ? ` accuracy ${record.accuracy.toFixed(4)}` : ''}`,
    );
    if (stoppedBy === 'cancelled') break;
  }
  return summariseNas(records, await study.trials(), o.objective, stoppedBy);
}

/** Snapshots in memory; only recent trials can be parents (aging evolution), so old ones go. */
function memoryWeights(max: number): WeightStore {
  const map = new Map<number, WeightSnapshot>();
  return {
    load: async (parent) => map.get(parent),
    save: async (n, s) => {
      map.set(n, s);
      while (map.size > max) map.delete(map.keys().next().value as number);
    },
  };
}

/**
 * Leaderboard, Pareto front, counts and best of finished trials (`records` by number; trials
 * without a record are left out). Shared by runNas and the `nas` job, which builds the records
 * from the PostgreSQL study.
 */
export function summariseNas(
  records: NasTrialRecord[],
  trials: FrozenTrial[],
  objective: NasObjective,
  stoppedBy: NasResult['stoppedBy'],
): NasResult {
  const directions = objectiveDirections(objective);
  const byNumber = new Map(records.map((r) => [r.number, r]));
  const sign = directions[0] === 'maximize' ? -1 : 1;
  const first = (t: FrozenTrial) => sign * (t.values as number[])[0];
  const leaderboard = trials
    .filter((t) => t.state === 'complete' && t.values)
    .sort((a, b) => violation(a) - violation(b) || first(a) - first(b) || a.number - b.number)
    .map((t) => byNumber.get(t.number))
    .filter((r): r is NasTrialRecord => r !== undefined);
  const paretoFront = nasParetoFront(records, frontCosts(objective));
  const best = leaderboard[0]?.feasible ? leaderboard[0] : undefined;
  // The guarantee, checked rather than assumed: no best or front member violates a constraint.
  for (const r of [...(best ? [best] : []), ...paretoFront])
    if ((r.constraints ?? []).some((c) => c > 0))
      throw new Error(`internal error: infeasible trial ${r.number} in the results`);
  const counts: NasTrialCounts = {
    complete: 0,
    infeasible: 0,
    pruned: 0,
    failed: 0,
    rejectedDraws: 0,
  };
  for (const t of trials) {
    const rejected = t.systemAttrs.rejected_draws;
    if (typeof rejected === 'number') counts.rejectedDraws += rejected;
    if (t.state === 'complete') counts[isFeasible(t) ? 'complete' : 'infeasible']++;
    else if (t.state !== 'running') counts[t.state]++;
  }
  return { directions, trials: records, counts, leaderboard, paretoFront, best, stoppedBy };
}
