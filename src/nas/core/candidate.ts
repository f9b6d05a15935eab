/**
 * One NAS candidate, start to end: decode the trial's parameters into an encoding, compile it,
 * cost it, check the constraints, train it with the real training loop for `epochsPerTrial`
 * epochs reporting validation accuracy after each epoch (so ASHA / Hyperband prune poor
 * candidates early: multi-fidelity in epochs), and tell the study its objective values and
 * constraint values.
 *
 * The same function runs every trial of the in-process `runNas` (in-process/run-nas.ts, the
 * benchmarks) and the `nas-trial` job (one candidate per job). What differs is behind two small ports: how a
 * trial reports and tells (`CandidateTrial`: the library Trial object in process, the stateless
 * Study.report/tell on PostgreSQL in a job) and where parent weights live (`WeightStore`: a map
 * in memory, artifacts of the parent's trial job).
 *
 * Every candidate evaluated here is trained and told with its real objective values and its
 * constraint values (Optuna's semantics: feasible when every one is <= 0). Candidates over a
 * parameter or FLOPs budget never get here: the study re-draws them before they become trials
 * (feasibility.ts); what is left infeasible is a measured cost (latency) over its budget.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelBuffers } from '../../ml/io/buffers';
import { loadCheckpointWeights } from '../../ml/io/checkpoint';
import { TrainSet, trainModel } from '../../ml/train/trainer';
import { ValidationError } from '../../platform/errors/domain-error';
import { ParamValue } from '../../search/core/distributions';
import { SearchSpace } from '../../search/core/space';
import { TellResult } from '../../search/core/study';
import { Direction, FrozenTrial, JsonValue, TrialState } from '../../search/core/trial';
import { createPruner } from '../../search/core/pruners/pruner-registry';
import { Pruner } from '../../search/core/pruner';
import { createSampler } from '../../search/core/samplers/sampler-registry';
import { Sampler } from '../../search/core/sampler';
import { ArchitectureCost, LatencyCache, architectureKey, staticCost } from './latency-cost';
import { architectureEvolutionSampler } from './architecture-evolution';
import { NasConstraint, NasObjective, constraintValues, objectiveValues } from './objectives';
import { ArchitectureSpace } from './spaces/architecture-space';
import { WeightSnapshot, inheritWeights, snapshotWeights } from './weight-inheritance';

export interface NasData {
  train: TrainSet;
  validation: TrainSet;
  /** Input shape without the batch axis. */
  inputShape: number[];
  numClasses: number;
}

export interface NasStrategy {
  /** `random`, `tpe`, `regularized-evolution` (on encodings), or any other registered sampler. */
  name: string;
  settings?: Record<string, unknown>;
}

export const NAS_DEFAULTS = { batchSize: 32, learningRate: 1e-3, seed: 0 };

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

/** What evaluating a candidate needs from its trial, wherever the study lives. */
export interface CandidateTrial {
  readonly number: number;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  setUserAttr(key: string, value: JsonValue): void;
  /** Stores one epoch's intermediate values; true when the pruner stops the trial. */
  report(values: number[], step: number): Promise<boolean>;
  /** Finishes the trial; `record` is the candidate's record so far (for stores that keep it). */
  tell(result: TellResult, record: NasTrialRecord): Promise<FrozenTrial>;
}

/** Weights of finished trials, for evolution children (weight-inheritance.ts). */
export interface WeightStore {
  /** The parent's snapshot, or undefined when it was dropped or never written. */
  load(parent: number): Promise<WeightSnapshot | undefined>;
  save(trial: number, weights: WeightSnapshot): Promise<void>;
}

/**
 * A candidate part-trained by an earlier attempt of its job: the weights after `epochsDone`
 * epochs and what the record held then (the values of those epochs are already reported).
 */
export interface CandidateCheckpoint {
  epochsDone: number;
  valAccuracyPerEpoch: number[];
  inheritedLayers: string[];
  weights: ModelBuffers;
}

export interface CandidateSetup<E> {
  space: ArchitectureSpace<E>;
  data: NasData;
  objective: NasObjective;
  constraints: NasConstraint[];
  budget: { epochsPerTrial: number; batchSize?: number; learningRate?: number };
  seed: number;
  latency?: LatencyCache;
  /** Set for regularized evolution with inheritance on. */
  weights?: WeightStore;
  /** Checked at each training step (job cancellation). */
  shouldStop?: () => boolean;
  /** Continue after the checkpoint's epochs instead of training from scratch. */
  resume?: CandidateCheckpoint;
  /** After each trained epoch that did not prune the trial (the job stores it for a resume). */
  onCheckpoint?: (checkpoint: CandidateCheckpoint) => Promise<void>;
}

export interface CandidateOutcome {
  record: NasTrialRecord;
  /**
   * The run was stopped from outside (`shouldStop`) mid-training: the trial is NOT told, the
   * caller decides (fail it on a user cancel, leave it to a re-queued job on a shutdown).
   */
  stopped: boolean;
}

/** Evaluates one asked trial; an encoding the space rejects is a failed trial, not a crash. */
export async function evaluateCandidate<E>(
  c: CandidateSetup<E>,
  trial: CandidateTrial,
): Promise<CandidateOutcome> {
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
    const encoding = c.space.decode(trial.params);
    record.encoding = encoding as JsonValue;
    trial.setUserAttr('encoding', encoding as JsonValue);
    model = c.space.compile(encoding, {
      inputShape: c.data.inputShape,
      numClasses: c.data.numClasses,
      seed: c.seed * 100003 + trial.number,
    });
    const cost: ArchitectureCost = staticCost(model);
    if (c.latency) {
      const key = architectureKey({
        type: c.space.type,
        config: c.space.config,
        encoding,
        inputShape: c.data.inputShape,
      });
      cost.latencyMs = c.latency.latency(key, model);
    }
    record.cost = cost;
    trial.setUserAttr('cost', { ...cost });
    const cons = constraintValues(c.constraints, cost);
    record.constraints = cons;
    record.feasible = cons.every((v) => v <= 0);
    const resume = c.resume;
    if (resume) {
      // The model was rebuilt from the same seed; the stored weights (inherited layers
      // included) replace its initialisation, and the done epochs are not reported again.
      await loadCheckpointWeights(model, resume.weights, 'resume.weights');
      record.valAccuracyPerEpoch.push(...resume.valAccuracyPerEpoch);
      record.inheritedLayers = [...resume.inheritedLayers];
    } else if (c.weights && record.parent !== undefined) {
      const snap = await c.weights.load(record.parent);
      if (snap) record.inheritedLayers = inheritWeights(model, snap);
    }
    let prune = false;
    const m = model;
    const onCheckpoint = c.onCheckpoint;
    const result = await trainModel(m, c.data.train, {
      epochs: c.budget.epochsPerTrial,
      // The trainer replays the skipped epochs' shuffles: batch order as in one uninterrupted run.
      initialEpoch: resume?.epochsDone,
      batchSize: c.budget.batchSize ?? NAS_DEFAULTS.batchSize,
      learningRate: c.budget.learningRate ?? NAS_DEFAULTS.learningRate,
      seed: c.seed + trial.number,
      validation: c.data.validation,
      shouldStop: () => prune || (c.shouldStop?.() ?? false),
      onEpochEnd: async (metrics) => {
        const acc = metrics.val_accuracy as number;
        record.valAccuracyPerEpoch.push(acc);
        prune = await trial.report(objectiveValues(c.objective, acc, cost), metrics.epoch);
      },
      // A pruned trial is told right after this epoch: nothing left to resume.
      onCheckpoint: onCheckpoint
        ? async (epoch, weights) => {
            if (prune) return;
            await onCheckpoint({
              epochsDone: epoch + 1,
              valAccuracyPerEpoch: [...record.valAccuracyPerEpoch],
              inheritedLayers: [...record.inheritedLayers],
              weights,
            });
          }
        : undefined,
    });
    record.epochsTrained = record.valAccuracyPerEpoch.length;
    record.accuracy = record.valAccuracyPerEpoch[record.valAccuracyPerEpoch.length - 1];
    if (prune) finished = await trial.tell('pruned', record);
    else if (result.stoppedBy === 'cancelled') return { record, stopped: true };
    else {
      // Saved before the tell: once complete the trial can be a parent, so its weights exist.
      if (c.weights) await c.weights.save(trial.number, snapshotWeights(m));
      finished = await trial.tell(
        {
          values: objectiveValues(c.objective, record.accuracy ?? 0, cost),
          constraints: cons,
        },
        record,
      );
    }
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    // An architecture the space rejects (or that fails to compile) is a failed trial, not a crash.
    record.error = e.message;
    trial.setUserAttr('error', e.message);
    finished = await trial.tell('failed', record);
  } finally {
    model?.dispose();
  }
  record.state = finished.state;
  record.values = finished.values;
  return { record, stopped: false };
}

/** The study's sampler for a NAS strategy: evolution on encodings, else a registered sampler. */
export function nasSampler<E>(
  space: ArchitectureSpace<E>,
  searchSpace: SearchSpace,
  strategy: NasStrategy,
  trials: number,
  seed: number,
): Sampler {
  const settings: Record<string, unknown> = { seed, ...(strategy.settings ?? {}) };
  if (strategy.name === 'regularized-evolution') {
    // Defaults scaled to small budgets: a third of the trials seed the population (max 20).
    const populationSize =
      settings.populationSize ?? Math.max(2, Math.min(20, Math.floor(trials / 3)));
    const sampleSize = settings.sampleSize ?? Math.max(1, Math.min(5, Number(populationSize)));
    return architectureEvolutionSampler(space, searchSpace, {
      ...settings,
      populationSize,
      sampleSize,
    });
  }
  return createSampler(strategy.name, settings);
}

/** The epoch pruner; with several objectives it watches the first one (accuracy). */
export function nasPruner(
  pruner: { name: string; settings?: Record<string, unknown> } | undefined,
  directions: readonly Direction[],
): Pruner | undefined {
  if (!pruner) return undefined;
  const settings = { ...(pruner.settings ?? {}) };
  if (directions.length > 1 && settings.objective === undefined) settings.objective = 0;
  return createPruner(pruner.name, settings);
}
