/**
 * One site's side of the site-work protocol, whatever carries it: the remote agent (HTTPS,
 * agent/site-agent.ts) and the `federation-site` job (in-process against the site-work table,
 * site-job.handler.ts) both hand a work item to `answer` and send back what it returns. The
 * answer is structural: a few counts and metrics and the weights of the declared sizes; the
 * site's examples stay in this object and are never part of it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../ml/data';
import type { OptimizerName } from '../ml/train/optimizers';
import type { TrainSet } from '../ml/train/trainer';
import { buildZooModel } from '../ml/zoo/zoo';
import { datasetTensors, type InputContract } from '../registry/core/encode';
import type { DpSpec } from './core/differential-privacy';
import type { LocalPlan } from './core/federated-algorithm';
import { gaussianNoiseShare } from './dp-share';
import { classFeatureStats } from './core/classifier-calibration';
import { encodeClassStats } from './core/ccvr-protocol';
import { HeadFeatures } from './head-calibration';
import {
  advanceSiteControl,
  siteControlFor,
  subtract,
  zerosLike,
  type SiteControlState,
} from './core';
import type { RemoteModelTask } from './remote-placement';
import {
  contractMisfit,
  readWeights,
  siteEvaluation,
  siteTrainSet,
  trainLocally,
  writeWeights,
} from './site-training';

/** A work item as a site sees it (the global state already decoded). */
export interface SiteWorkView {
  kind: 'train' | 'evaluate' | 'stats';
  round: number;
  attempt: number;
  task: { model: RemoteModelTask; plan?: LocalPlan; seed?: number; dp?: DpSpec | null };
  global: Float32Array[];
  /** SCAFFOLD train items: the server's control variate c (sent after the global weights). */
  control?: Float32Array[];
}

/**
 * Where a site keeps its SCAFFOLD control variate c_i between rounds (it never leaves the site;
 * only c_i+ - c_i is shared): the site-work database for site jobs (pool and namespace), a file
 * in the agent's data directory for a remote site, memory otherwise.
 */
export interface SiteControlStore {
  load(): Promise<SiteControlState | null>;
  save(state: SiteControlState): Promise<void>;
}

export function memoryControlStore(): SiteControlStore {
  let state: SiteControlState | null = null;
  return {
    load: async () => state,
    save: async (s) => void (state = s),
  };
}

/** What goes back: the report (numbers only) and, for a train item, the weights. */
export interface SiteAnswer {
  report: Record<string, number | null>;
  weights: Float32Array[] | null;
  /** SCAFFOLD train items: c_i+ - c_i, shared after the weights. */
  controlDelta?: Float32Array[];
  /** An evaluate item: the confusion matrix on the site's test split ([true][predicted] counts). */
  confusion?: number[][];
  /**
   * A stats item (classifierCalibration `ccvr`): per class, the count, mean and covariance of the
   * penultimate features of the site's own training examples under the global weights
   * (core/ccvr-protocol.ts encodeClassStats). Counts and moments only, never a row.
   */
  stats?: Float32Array;
}

export class SiteTrainerError extends Error {}

export class SiteTrainer {
  private model?: tf.LayersModel;
  private sets?: { train: TrainSet; test?: TrainSet };

  constructor(
    /** shared: the federation's shared labelled set, trained on beside `train` (never sent back). */
    private readonly data: { train: Dataset; test: Dataset; shared?: Dataset },
    private readonly shouldStop: () => boolean = () => false,
    private readonly controls: SiteControlStore = memoryControlStore(),
  ) {}

  /** The examples a train item trains on: the site's own and the shared set. */
  get samples(): number {
    return this.data.train.size + (this.data.shared?.size ?? 0);
  }

  async answer(item: SiteWorkView): Promise<SiteAnswer> {
    const spec = item.task.model;
    const model = this.prepare(spec);
    writeWeights(model, item.global);
    const numClasses = spec.classNames.length;
    if (item.kind === 'stats') {
      const stats = this.classStats(model, item.global, spec);
      return { report: { samples: this.data.train.size }, weights: null, stats };
    }
    if (item.kind === 'evaluate') {
      const e = siteEvaluation(model, this.sets!.test, numClasses);
      return {
        report: { accuracy: e?.accuracy ?? 0, loss: finite(e?.loss) ?? 0, count: e?.count ?? 0 },
        weights: null,
        ...(e ? { confusion: e.confusion } : {}),
      };
    }
    const plan = item.task.plan as LocalPlan;
    if (plan.scaffold && !item.control)
      throw new SiteTrainerError('a SCAFFOLD train item must carry the server control variate');
    const ci = plan.scaffold ? siteControlFor(await this.controls.load(), item.round) : null;
    const r = await trainLocally({
      model,
      train: this.sets!.train,
      plan,
      ...(plan.scaffold && item.control ? { control: { c: item.control, ci } } : {}),
      batchSize: spec.batchSize,
      optimizer: spec.optimizer as OptimizerName,
      seed: item.task.seed ?? 0,
      shouldStop: this.shouldStop,
    });
    const local = siteEvaluation(model, this.sets!.test, numClasses);
    const weights = readWeights(model);
    const dp = item.task.dp;
    let controlDelta: Float32Array[] | undefined;
    if (r.nextControl) {
      await this.controls.save(advanceSiteControl(ci, item.round, r.nextControl));
      controlDelta = subtract(r.nextControl, ci ?? zerosLike(r.nextControl));
    }
    return {
      report: {
        samples: this.samples,
        trainLoss: finite(r.loss),
        trainAccuracy: finite(r.accuracy),
        localAccuracy: finite(local?.accuracy),
      },
      weights: dp ? gaussianNoiseShare(weights, item.global, dp, item.task.seed ?? 0) : weights,
      ...(controlDelta ? { controlDelta } : {}),
    };
  }

  /**
   * CCVR's site step (Luo et al. 2021, sec. 4.1): the features of the site's OWN training
   * examples (not the shared set) under `global`, summarised per class (classFeatureStats).
   */
  private classStats(
    model: tf.LayersModel,
    global: Float32Array[],
    spec: RemoteModelTask,
  ): Float32Array {
    const own = this.data.train;
    const contract: InputContract = {
      inputKind: 'image',
      inputShape: spec.inputShape,
      preprocessing: {},
    };
    const hf = new HeadFeatures(model);
    const { x, y } = datasetTensors(own, contract);
    try {
      const features = hf.features(global, x);
      return encodeClassStats(
        classFeatureStats({ features, labels: own.labels, dim: hf.dim }, spec.classNames.length),
      );
    } finally {
      x.dispose();
      y.dispose();
    }
  }

  dispose(): void {
    this.model?.dispose();
    if (this.sets)
      tf.dispose([
        this.sets.train.x,
        this.sets.train.y,
        ...(this.sets.test ? [this.sets.test.x, this.sets.test.y] : []),
      ]);
    this.model = undefined;
    this.sets = undefined;
  }

  private prepare(spec: RemoteModelTask): tf.LayersModel {
    if (this.model) return this.model;
    checkFits(this.data.train, spec);
    if (this.data.shared) checkFits(this.data.shared, spec, 'shared');
    const contract: InputContract = {
      inputKind: 'image',
      inputShape: spec.inputShape,
      preprocessing: {},
    };
    const train = siteTrainSet(this.data.train, this.data.shared, contract);
    this.sets = {
      train,
      test: this.data.test.size > 0 ? datasetTensors(this.data.test, contract) : undefined,
    };
    this.model = buildZooModel(spec.architecture, {
      inputShape: spec.inputShape,
      numClasses: spec.classNames.length,
      seed: 0,
      width: spec.width ?? undefined,
    });
    return this.model;
  }
}

function finite(v: number | null | undefined): number | null {
  return v !== null && v !== undefined && Number.isFinite(v) && v >= 0 ? v : null;
}

/**
 * The local data must have the federation's classes (same names, same order) and image shape
 * (contractMisfit, the coordinator's check); an empty split is the trainer's concern, not a misfit.
 */
function checkFits(ds: Dataset, spec: RemoteModelTask, what = 'site'): void {
  const misfit = contractMisfit(ds, spec.inputShape, spec.classNames);
  if (misfit === 'shape') {
    if (ds.inputs.kind !== 'image') throw new SiteTrainerError(`the ${what} data must be images`);
    const { height, width, channels } = ds.inputs.shape;
    throw new SiteTrainerError(
      `the ${what} images are ${height}x${width}x${channels}, the federation takes ${spec.inputShape.join('x')}`,
    );
  }
  if (misfit === 'classes')
    throw new SiteTrainerError(
      `the ${what} classes ${ds.classNames.join(', ')} are not the federation's ${spec.classNames.join(', ')}`,
    );
}
