/**
 * NAS in one process (the library entry point, the benchmarks): the service's own `nas` and
 * `nas-trial` work (NasSearch, NasTrialRun, TrialJobDriver) over in-memory adapters instead of
 * PostgreSQL and worker processes. Same sampler (seeded per trial number), same candidate
 * evaluation, same per-epoch reports and pruning, same weight inheritance through the parent's
 * trial-job artifact, same checkpoints and summary: what this measures is what the service runs.
 *
 * Candidates over a parameter or FLOPs budget are re-drawn before they become trials
 * (core/feasibility.ts). The study never ranks an infeasible trial as best, and `summariseNas`
 * checks it again before returning (a reported best or front member never violates a constraint).
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { JobCancelledError } from '../../platform/jobs/job-handler';
import { TrialJobDriver } from '../../search/handlers/trial-job-driver';
import { NAS_DEFAULTS, NasData, NasStrategy, NasTrialRecord } from '../core/candidate';
import { LatencyCache } from '../core/latency-cost';
import { NasJobSpec } from '../core/nas-spec';
import { NasResult } from '../core/nas-summary';
import { NasConstraint, NasObjective } from '../core/objectives';
import { ArchitectureSpace } from '../core/spaces/architecture-space';
import { NasModelPort } from '../nas-model.port';
import { NasSearch } from '../nas-search';
import { WEIGHTS_ARTIFACT } from '../nas-trial-io';
import { NasTrialRun } from '../nas-trial-run';
import { MemoryArtifacts, MemoryJobContext, MemoryTrialJobs } from './memory-jobs';
import { MemoryStudies } from './memory-studies';

export { NAS_DEFAULTS } from '../core/candidate';
export type { NasData, NasStrategy, NasTrialRecord } from '../core/candidate';
export type { NasResult } from '../core/nas-summary';

export interface NasBudget {
  trials: number;
  epochsPerTrial: number;
  batchSize?: number;
  learningRate?: number;
  /** Stop asking new trials after this much wall time. */
  timeoutMs?: number;
  /** Trials trained at once (default 1: each trial sees every earlier one finished). */
  parallelism?: number;
}

export interface NasHooks {
  onTrial?: (trial: NasTrialRecord) => void | Promise<void>;
  onProgress?: (fraction: number, message: string) => void | Promise<void>;
  /** Checked at every poll of the driver and each training step (cancellation). */
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
  /** Shared by all trials (default: a new cache for this run). */
  latency?: LatencyCache;
  hooks?: NasHooks;
}

/** The driver's poll interval in memory: a poll costs nothing here. */
const POLL_MS = 2;

function positiveInt(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw ValidationError.field(field, `must be a positive integer, got ${JSON.stringify(v)}`);
}

/** Runs a NAS study to its budget and returns the leaderboard and Pareto front. */
export async function runNas<E>(o: NasOptions<E>): Promise<NasResult> {
  positiveInt('budget.trials', o.budget.trials);
  positiveInt('budget.epochsPerTrial', o.budget.epochsPerTrial);
  const shouldStop = o.hooks?.shouldStop ?? (() => false);
  const studies = new MemoryStudies();
  const artifacts = new MemoryArtifacts();
  const jobs = new MemoryTrialJobs(studies, artifacts, shouldStop, WEIGHTS_ARTIFACT);
  const port = dataPort(o.space, o.data);
  const latency = o.latency ?? new LatencyCache();
  const trials = new NasTrialRun(port, studies, jobs, {
    latency: () => latency,
    inheritWeights: o.inheritWeights,
  });
  jobs.runWith((spec, ctx) => trials.run(spec, ctx));
  const search = new NasSearch(port, studies, new TrialJobDriver(studies, jobs));
  const ctx = new MemoryJobContext('nas', 'in-process', artifacts, {
    cancelled: shouldStop,
    progress: o.hooks?.onProgress,
  });
  const run = await search.open(jobSpec(o), ctx);
  let stoppedBy: NasResult['stoppedBy'] = 'completed';
  try {
    const outcome = await search.drive(run, ctx, { onTrial: o.hooks?.onTrial, pollMs: POLL_MS });
    if (outcome.timedOut) stoppedBy = 'timeout';
  } catch (e) {
    if (!(e instanceof JobCancelledError)) throw e;
    stoppedBy = 'cancelled';
  } finally {
    await jobs.settle(); // no trial may still train on the caller's tensors
  }
  return run.result(stoppedBy);
}

/** The `nas` job spec the service would have stored for these options. */
function jobSpec<E>(o: NasOptions<E>): NasJobSpec {
  return {
    dataset: 'in-process',
    space: { ...o.space.config, type: o.space.type },
    strategy: { name: o.strategy.name, settings: o.strategy.settings ?? {} },
    objective: o.objective,
    constraints: o.constraints ?? [],
    ...(o.pruner && { pruner: { name: o.pruner.name, settings: o.pruner.settings ?? {} } }),
    budget: {
      trials: o.budget.trials,
      epochsPerTrial: o.budget.epochsPerTrial,
      batchSize: o.budget.batchSize ?? NAS_DEFAULTS.batchSize,
      learningRate: o.budget.learningRate ?? NAS_DEFAULTS.learningRate,
      ...(o.budget.timeoutMs !== undefined && { timeoutMs: o.budget.timeoutMs }),
      parallelism: o.budget.parallelism ?? 1,
    },
    // The data is given as tensors: the split options of a registered data set do not apply.
    validationFraction: 0.2,
    sequenceLength: o.data.inputShape[0],
    seed: o.seed ?? NAS_DEFAULTS.seed,
  };
}

/** The caller's tensors as the registry port would serve a data set (the caller disposes them). */
function dataPort<E>(space: ArchitectureSpace<E>, data: NasData): NasModelPort {
  const unsupported = async (): Promise<never> => {
    throw new Error('runNas trains on the given data only');
  };
  return {
    loadTrainingData: async () => ({
      ...data,
      inputKind: space.inputKind,
      classNames: [],
      dispose: () => undefined,
    }),
    loadModel: unsupported,
    registerModel: unsupported,
  };
}
