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
import { ValidationError } from '../platform/errors/domain-error';
import { InMemoryStudyStorage } from '../search/core/memory-storage';
import { parseSearchSpace } from '../search/core/space';
import { StudyStorage } from '../search/core/storage';
import { Study } from '../search/core/study';
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
} from './core/candidate';
import { LatencyCache } from './core/latency-cost';
import { staticConstraintRejecter } from './core/feasibility';
import { NasResult, summariseNas } from './core/nas-summary';
import { NasConstraint, NasObjective, needsLatency, objectiveDirections } from './core/objectives';
import { ArchitectureSpace } from './core/spaces/architecture-space';
import { WeightSnapshot } from './core/weight-inheritance';

export { NAS_DEFAULTS } from './core/candidate';
export type { NasData, NasStrategy, NasTrialRecord } from './core/candidate';

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
