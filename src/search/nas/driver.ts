/**
 * The NAS driver (library level): a study of the search engine over an architecture space, each
 * trial = decode the proposed parameters into an encoding, compile, cost it, train it with the
 * real training loop for `epochsPerTrial` epochs reporting validation accuracy after each epoch
 * (so ASHA / Hyperband prune poor candidates early: multi-fidelity in epochs), and tell the study
 * its objective values and constraint values.
 *
 * Candidates whose static or measured cost already violates a constraint are not trained: they
 * are told with accuracy 0 and their (positive) constraint values, which the samplers use to
 * steer away. The study never ranks an infeasible trial as best, and `runNas` checks it again
 * before returning (a reported best never violates a constraint).
 */
import * as tf from '@tensorflow/tfjs';
import { TrainSet, trainModel } from '../../ml/train/trainer';
import { ValidationError } from '../../platform/errors/domain-error';
import { ParamValue } from '../core/distributions';
import { InMemoryStudyStorage } from '../core/memory-storage';
import { paretoFront } from '../core/multi-objective';
import { SearchSpace, parseSearchSpace } from '../core/space';
import { StudyStorage } from '../core/storage';
import { Study } from '../core/study';
import { Direction, FrozenTrial, JsonValue, TrialState, isFeasible } from '../core/trial';
import { createPruner } from '../pruners/registry';
import { createSampler } from '../samplers/registry';
import { Sampler } from '../samplers/sampler';
import { ArchitectureCost, LatencyCache, architectureKey, staticCost } from './cost';
import { ArchitectureEvolutionSampler } from './evolution';
import {
  NasConstraint,
  NasObjective,
  constraintValues,
  needsLatency,
  objectiveDirections,
  objectiveValues,
} from './objectives';
import { ArchitectureSpace } from './spaces/architecture-space';
import { WeightSnapshot, inheritWeights, snapshotWeights } from './weight-inheritance';

export interface NasData {
  train: TrainSet;
  validation: TrainSet;
  /** Input shape without the batch axis. */
  inputShape: number[];
  numClasses: number;
}

export interface NasBudget {
  trials: number;
  epochsPerTrial: number;
  batchSize?: number;
  learningRate?: number;
  /** Stop asking new trials after this much wall time. */
  timeoutMs?: number;
}

export interface NasStrategy {
  /** `random`, `tpe`, `regularized-evolution` (on encodings), or any other registered sampler. */
  name: string;
  settings?: Record<string, unknown>;
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

export interface NasTrialRecord {
  number: number;
  state: TrialState;
  encoding: JsonValue;
  params: Record<string, ParamValue>;
  cost: ArchitectureCost;
  /** Validation accuracy after the last trained epoch (undefined when not trained). */
  accuracy?: number;
  values?: number[];
  constraints?: number[];
  feasible: boolean;
  epochsTrained: number;
  valAccuracyPerEpoch: number[];
  parent?: number;
  mutation?: string;
  inheritedLayers: string[];
  durationMs: number;
  error?: string;
}

export interface NasResult {
  directions: Direction[];
  trials: NasTrialRecord[];
  /** Feasible complete trials, best first (by the first objective; accuracy for multi). */
  leaderboard: NasTrialRecord[];
  /** Feasible non-dominated trials (for one objective: the best). */
  paretoFront: NasTrialRecord[];
  best?: NasTrialRecord;
  stoppedBy: 'completed' | 'cancelled' | 'timeout';
}

export const NAS_DEFAULTS = { batchSize: 32, learningRate: 1e-3, seed: 0 };

function positiveInt(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw ValidationError.field(field, `must be a positive integer, got ${JSON.stringify(v)}`);
}

function makeSampler<E>(o: NasOptions<E>, searchSpace: SearchSpace, seed: number): Sampler {
  const settings: Record<string, unknown> = { seed, ...(o.strategy.settings ?? {}) };
  if (o.strategy.name === 'regularized-evolution') {
    // Defaults scaled to small budgets: a third of the trials seed the population (max 20).
    const populationSize =
      settings.populationSize ?? Math.max(2, Math.min(20, Math.floor(o.budget.trials / 3)));
    const sampleSize = settings.sampleSize ?? Math.max(1, Math.min(5, Number(populationSize)));
    return new ArchitectureEvolutionSampler(o.space, searchSpace, {
      ...settings,
      populationSize,
      sampleSize,
    });
  }
  return createSampler(o.strategy.name, settings);
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
  const prunerSettings = { ...(o.pruner?.settings ?? {}) };
  if (directions.length > 1 && prunerSettings.objective === undefined) prunerSettings.objective = 0;
  const study = await Study.create(
    {
      storage: o.storage ?? new InMemoryStudyStorage(),
      sampler: makeSampler(o, searchSpace, seed),
      pruner: o.pruner ? createPruner(o.pruner.name, prunerSettings) : undefined,
      space: searchSpace,
    },
    { name: `nas-${o.space.type}`, directions },
  );
  const latency = needsLatency(o.objective, constraints)
    ? (o.latency ?? new LatencyCache())
    : undefined;
  const inherit = (o.inheritWeights ?? true) && o.strategy.name === 'regularized-evolution';
  const snapshots = new Map<number, WeightSnapshot>();
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
    const trial = await study.askFromSpace();
    const record: NasTrialRecord = {
      number: trial.number,
      state: 'running',
      encoding: null,
      params: { ...trial.params },
      cost: { params: 0, flops: 0 },
      feasible: true,
      epochsTrained: 0,
      valAccuracyPerEpoch: [],
      inheritedLayers: [],
      durationMs: 0,
    };
    const parent = trial.systemAttrs['evolution:parent'];
    if (typeof parent === 'number') record.parent = parent;
    const mutation = trial.systemAttrs['evolution:mutation'];
    if (typeof mutation === 'string') record.mutation = mutation;
    let model: tf.LayersModel | undefined;
    let finished: FrozenTrial;
    try {
      const encoding = o.space.decode(trial.params);
      record.encoding = encoding as JsonValue;
      trial.setUserAttr('encoding', encoding as JsonValue);
      model = o.space.compile(encoding, {
        inputShape: o.data.inputShape,
        numClasses: o.data.numClasses,
        seed: seed * 100003 + trial.number,
      });
      const cost: ArchitectureCost = staticCost(model);
      if (latency) {
        const key = architectureKey({
          type: o.space.type,
          config: o.space.config,
          encoding,
          inputShape: o.data.inputShape,
        });
        cost.latencyMs = latency.latency(key, model);
      }
      record.cost = cost;
      trial.setUserAttr('cost', { ...cost });
      const cons = constraintValues(constraints, cost);
      record.constraints = cons;
      if (cons.some((c) => c > 0)) {
        // Over budget whatever its accuracy: not worth training (see the header).
        record.feasible = false;
        record.accuracy = 0;
        trial.setUserAttr('skipped', 'violates a cost constraint');
        finished = await study.tell(trial, {
          values: objectiveValues(o.objective, 0, cost),
          constraints: cons,
        });
      } else {
        if (inherit && record.parent !== undefined) {
          const snap = snapshots.get(record.parent);
          if (snap) record.inheritedLayers = inheritWeights(model, snap);
        }
        let prune = false;
        const m = model;
        const result = await trainModel(m, o.data.train, {
          epochs: o.budget.epochsPerTrial,
          batchSize: o.budget.batchSize ?? NAS_DEFAULTS.batchSize,
          learningRate: o.budget.learningRate ?? NAS_DEFAULTS.learningRate,
          seed: seed + trial.number,
          validation: o.data.validation,
          shouldStop: () => prune || (o.hooks?.shouldStop?.() ?? false),
          onEpochEnd: async (metrics) => {
            const acc = metrics.val_accuracy as number;
            record.valAccuracyPerEpoch.push(acc);
            await trial.report(objectiveValues(o.objective, acc, cost), metrics.epoch);
            prune = trial.shouldPrune();
          },
        });
        record.epochsTrained = result.history.length;
        record.accuracy = record.valAccuracyPerEpoch[record.valAccuracyPerEpoch.length - 1];
        if (prune) finished = await study.tell(trial, 'pruned');
        else if (result.stoppedBy === 'cancelled') {
          trial.setUserAttr('error', 'cancelled');
          finished = await study.tell(trial, 'failed');
          stoppedBy = 'cancelled';
        } else {
          finished = await study.tell(trial, {
            values: objectiveValues(o.objective, record.accuracy ?? 0, cost),
            constraints: cons,
          });
          if (inherit) keepSnapshot(snapshots, trial.number, snapshotWeights(m), 50);
        }
      }
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      // An architecture the space rejects (or that fails to compile) is a failed trial, not a crash.
      record.error = e.message;
      trial.setUserAttr('error', e.message);
      finished = await study.tell(trial, 'failed');
    } finally {
      model?.dispose();
    }
    record.state = finished.state;
    record.values = finished.values;
    record.durationMs = clock() - t0;
    records.push(record);
    await o.hooks?.onTrial?.(record);
    await o.hooks?.onProgress?.(
      (i + 1) / o.budget.trials,
      `trial ${trial.number} ${finished.state}${record.accuracy !== undefined ? ` accuracy ${record.accuracy.toFixed(4)}` : ''}`,
    );
    if (stoppedBy === 'cancelled') break;
  }
  return summarise(records, await study.trials(), directions, stoppedBy);
}

function keepSnapshot(
  map: Map<number, WeightSnapshot>,
  n: number,
  s: WeightSnapshot,
  max: number,
): void {
  map.set(n, s);
  // Only recent trials can be parents (aging evolution), so old snapshots are dropped.
  while (map.size > max) map.delete(map.keys().next().value as number);
}

function summarise(
  records: NasTrialRecord[],
  trials: FrozenTrial[],
  directions: Direction[],
  stoppedBy: NasResult['stoppedBy'],
): NasResult {
  const byNumber = new Map(records.map((r) => [r.number, r]));
  const feasibleDone = trials.filter((t) => t.state === 'complete' && isFeasible(t) && t.values);
  const sign = directions[0] === 'maximize' ? -1 : 1;
  const leaderboard = feasibleDone
    .slice()
    .sort(
      (a, b) =>
        sign * ((a.values as number[])[0] - (b.values as number[])[0]) || a.number - b.number,
    )
    .map((t) => byNumber.get(t.number))
    .filter((r): r is NasTrialRecord => r !== undefined);
  const front = paretoFront(trials, directions)
    .map((t) => byNumber.get(t.number))
    .filter((r): r is NasTrialRecord => r !== undefined)
    .sort((a, b) => a.cost.flops - b.cost.flops || a.number - b.number);
  const best = leaderboard[0];
  // The guarantee, checked rather than assumed: nothing reported violates a constraint.
  for (const r of [...leaderboard, ...front])
    if ((r.constraints ?? []).some((c) => c > 0))
      throw new Error(`internal error: infeasible trial ${r.number} in the results`);
  return { directions, trials: records, leaderboard, paretoFront: front, best, stoppedBy };
}
