/**
 * In-process sites: data sets of this service trained inside the coordinator job (one site
 * after another, on the job's TF.js backend). Codistill runs here (each site keeps its own model
 * across rounds); weight-sharing algorithms train their local sites in `federation-site` jobs
 * (pooled-placement.ts) and use this class for nothing else. Each site keeps its own
 * tensors and, for codistill, its own model; the coordinator loop only ever sees SiteShares.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../ml/data';
import { makeOptimizer, type OptimizerName, type ScheduledOptimizer } from '../ml/train/optimizers';
import { HostAdam } from '../ml/train/host-adam';
import type { TrainSet } from '../ml/train/trainer';
import { buildZooModel } from '../ml/zoo/zoo';
import { UnprocessableError } from '../platform/errors/domain-error';
import { Rng } from '../platform/core/rng';
import { datasetTensors, type InputContract } from '../registry/core/encode';
import { gaussianNoiseShare } from './dp-share';
import type { DpSpec } from './core/differential-privacy';
import type { WeightSet } from './core/weights';
import {
  advanceSiteControl,
  siteControlFor,
  subtract,
  weightedAverage,
  zerosLike,
  type SiteControlState,
} from './core';
import type {
  RoundScope,
  SiteEvaluation,
  SitePlacement,
  SiteRoundResult,
  SiteRoundWork,
} from './site-placement';
import {
  contractMisfit,
  publicLogits,
  readWeights,
  siteEvaluation,
  siteTrainSet,
  trainLocally,
  writeWeights,
} from './site-training';

export interface LocalSiteData {
  name: string;
  architecture: string;
  train: Dataset;
  test: Dataset;
}

export interface LocalPlacementOptions {
  contract: InputContract;
  numClasses: number;
  width: number | null;
  seed: number;
  batchSize: number;
  optimizer: OptimizerName;
  dp: DpSpec | null;
  /** codistill: the public set's inputs (its labels are never read). */
  publicSet?: Dataset;
  /** The shared labelled set every site trains on beside its own data (site-training.ts). */
  sharedSet?: Dataset;
  /**
   * Bench-only study: each round a site trains on a seeded draw of this fraction of the shared
   * set (not all of it), so over the sites the shared examples weigh about as much as in pooled
   * training (fraction 1 / sites). Absent: all of it every round.
   */
  sharedFraction?: number;
  /**
   * Bench-only study: each site keeps its optimizer (adam's moments and step count) from one
   * round to the next instead of starting every round with a fresh one. Nothing more crosses the
   * site boundary. Absent: a fresh optimizer per round, as a remote agent's.
   */
  carryOptimizer?: boolean;
  /**
   * Bench-only study, with `carryOptimizer` and adam: at each round's start every site's adam
   * moments (and step count) are replaced by their average over the sites, weighted by sample
   * count, as if the coordinator averaged them beside the weights (it would send and receive twice
   * the weights' bytes more; the bench does not meter that). Absent: each site keeps its own.
   */
  averageOptimizer?: boolean;
  shouldStop: () => boolean;
}

interface LocalSite {
  name: string;
  samples: number;
  /** Rows of the site's own data (the shared set's rows follow them in `train`). */
  ownRows: number;
  architecture: string;
  train: TrainSet;
  test?: TrainSet;
  model: tf.LayersModel;
}

/** The contract every site's data must share: image data of one shape and one class list. */
export function sharedImageContract(sites: readonly LocalSiteData[]): {
  contract: InputContract;
  classNames: string[];
} {
  const first = sites[0].train;
  if (first.inputs.kind !== 'image')
    throw new UnprocessableError(
      `federations take image data sets for now; site ${sites[0].name} holds ${first.kind} data`,
    );
  const shape = first.inputs.shape;
  const inputShape = [shape.height, shape.width, shape.channels];
  for (const s of sites) {
    const misfit = contractMisfit(s.train, inputShape, first.classNames);
    if (misfit === 'shape')
      throw new UnprocessableError(
        `site ${s.name}: every site's images must have the shape of site ${sites[0].name}`,
      );
    if (misfit === 'classes')
      throw new UnprocessableError(
        `site ${s.name}: every site must have the same classes as site ${sites[0].name}`,
      );
    if (misfit === 'empty')
      throw new UnprocessableError(`site ${s.name}: the training split is empty`);
  }
  return {
    contract: { inputKind: 'image', inputShape, preprocessing: {} },
    classNames: [...first.classNames],
  };
}

/** The shared labelled set must be non-empty images of the sites' shape and classes (422). */
export function checkSharedSet(
  shared: Dataset,
  contract: InputContract,
  classNames: readonly string[],
): void {
  const misfit = contractMisfit(shared, contract.inputShape, classNames);
  if (misfit === 'shape')
    throw new UnprocessableError(
      `sharedDataset: its images must have the sites' shape ${contract.inputShape.join('x')}`,
    );
  if (misfit === 'classes')
    throw new UnprocessableError(
      `sharedDataset: its classes ${shared.classNames.join(', ')} are not the sites' ${classNames.join(', ')}`,
    );
  if (misfit === 'empty')
    throw new UnprocessableError('sharedDataset: its training split is empty');
}

/** What the shared set weighs on the wire as float32 inputs and int32 labels. */
export function sharedSetBytes(shared: Dataset): number {
  const i = shared.inputs;
  const values = i.kind === 'image' ? i.shape.height * i.shape.width * i.shape.channels : 0;
  return shared.size * (values * 4 + 4);
}

export class LocalPlacement implements SitePlacement {
  readonly placement = 'local' as const;
  private readonly local: LocalSite[] = [];
  private readonly publicX?: tf.Tensor;
  private readonly shared?: tf.LayersModel;
  private queue: Promise<unknown> = Promise.resolve();
  /** SCAFFOLD: each in-process site's control variate c_i across rounds (core/scaffold.ts). */
  private readonly controls = new Map<string, SiteControlState>();
  private readonly optimizers = new Map<string, ScheduledOptimizer>();
  /** MOON: each site's weights after its last round, and the two frozen models its loss reads. */
  private readonly previous = new Map<string, WeightSet>();
  private contrastModels?: { global: tf.LayersModel; previous: tf.LayersModel };

  constructor(
    data: readonly LocalSiteData[],
    private readonly o: LocalPlacementOptions,
    /** Weights algorithms share one working model between the sites (trained one after another). */
    shareOneModel: boolean,
  ) {
    try {
      if (shareOneModel) this.shared = this.build(data[0].architecture, 0);
      data.forEach((d, i) => {
        const train = siteTrainSet(d.train, o.sharedSet, o.contract);
        const test = d.test.size > 0 ? datasetTensors(d.test, o.contract) : undefined;
        this.local.push({
          name: d.name,
          samples: train.x.shape[0],
          ownRows: d.train.size,
          architecture: d.architecture,
          train,
          test,
          model: this.shared ?? this.build(d.architecture, i),
        });
      });
      if (o.publicSet) this.publicX = datasetTensors(o.publicSet, o.contract).x;
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  get sites(): readonly { name: string; samples: number }[] {
    return this.local.map((s) => ({ name: s.name, samples: s.samples }));
  }

  /** The global model's shape: the shared working model (weights algorithms). */
  workingModel(): tf.LayersModel {
    return this.shared ?? this.local[0].model;
  }

  /** `sharedFraction`: the site's own rows and a seeded draw of the shared rows for one round. */
  private roundTrainSet(site: LocalSite, seed: number): TrainSet | undefined {
    const f = this.o.sharedFraction;
    const shared = site.train.x.shape[0] - site.ownRows;
    if (f === undefined || f >= 1 || shared === 0) return undefined;
    const rows = new Rng(seed).fork('shared-draw').shuffle([...Array(shared).keys()]);
    const keep = [
      ...Array(site.ownRows).keys(),
      ...rows.slice(0, Math.max(1, Math.round(f * shared))).map((r) => site.ownRows + r),
    ];
    return tf.tidy(() => {
      const i = tf.tensor1d(keep, 'int32');
      return { x: tf.gather(site.train.x, i), y: tf.gather(site.train.y, i) };
    });
  }

  /** `averageOptimizer`: the round whose start last averaged the sites' moments. */
  private averagedRound = -1;

  /**
   * `averageOptimizer`: once per round, before its first site trains (the sites train one after
   * another here), every site's adam state becomes the sample-weighted average of all of them.
   */
  private averageOptimizers(round: number): void {
    if (!this.o.averageOptimizer || round === this.averagedRound) return;
    this.averagedRound = round;
    const states = this.local.flatMap((s) => {
      const opt = this.optimizers.get(s.name)?.optimizer;
      return opt instanceof HostAdam ? [{ opt, state: opt.exportState(), n: s.samples }] : [];
    });
    if (states.length < 2) return;
    const first = states[0].state;
    if (!states.every((s) => s.state.moments.length === first.moments.length)) return;
    // The moments are weight-shaped sets: the coordinator's sample-weighted average serves.
    const counts = states.map((s) => s.n);
    const m = weightedAverage(
      states.map((s) => s.state.moments.map((x) => x.m)),
      counts,
    );
    const v = weightedAverage(
      states.map((s) => s.state.moments.map((x) => x.v)),
      counts,
    );
    const total = counts.reduce((a, n) => a + n, 0);
    const average = {
      t: Math.round(states.reduce((a, s) => a + (s.n / total) * s.state.t, 0)),
      moments: m.map((mi, i) => ({ m: mi, v: v[i] })),
    };
    for (const s of states) s.opt.importState(average);
  }

  /** `carryOptimizer`: the site's optimizer, made at its first round and kept until dispose. */
  private carriedOptimizer(name: string, learningRate: number): ScheduledOptimizer | undefined {
    if (!this.o.carryOptimizer) return undefined;
    let opt = this.optimizers.get(name);
    if (!opt) {
      opt = makeOptimizer({ name: this.o.optimizer }, learningRate);
      this.optimizers.set(name, opt);
    }
    return opt;
  }

  /**
   * MOON: the frozen global and previous-local models for `name`'s round, built once (two copies
   * of the working model's architecture). In its first round a site's previous model is the
   * global one, as in the paper's code.
   */
  private contrast(
    name: string,
    global: WeightSet,
  ): { global: tf.LayersModel; previous: tf.LayersModel } {
    // Weights algorithms train one architecture at every site.
    const architecture = this.site(name).architecture;
    this.contrastModels ??= {
      global: this.build(architecture, 0),
      previous: this.build(architecture, 0),
    };
    writeWeights(this.contrastModels.global, global);
    writeWeights(this.contrastModels.previous, this.previous.get(name) ?? global);
    return this.contrastModels;
  }

  /** A site's own model (codistill registers them). */
  siteModel(name: string): tf.LayersModel {
    return this.site(name).model;
  }

  /** One site after another: the loop asks for all at once, the sites share this process. */
  train(name: string, work: SiteRoundWork): Promise<SiteRoundResult> {
    const run = this.queue.then(() => this.trainNow(name, work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async trainNow(name: string, work: SiteRoundWork): Promise<SiteRoundResult> {
    const site = this.site(name);
    if (work.global) writeWeights(site.model, work.global);
    const ci = work.plan.scaffold
      ? siteControlFor(this.controls.get(name) ?? null, work.round)
      : null;
    const train = this.roundTrainSet(site, work.seed);
    const rows = (train ?? site.train).x.shape[0];
    const localSteps = work.plan.epochs * Math.ceil(rows / this.o.batchSize);
    this.averageOptimizers(work.round);
    const carried = this.carriedOptimizer(name, work.plan.learningRate);
    const contrast =
      work.plan.modelContrastive && work.global ? this.contrast(name, work.global) : undefined;
    const r = await trainLocally({
      model: site.model,
      train: train ?? site.train,
      plan: work.plan,
      batchSize: this.o.batchSize,
      optimizer: this.o.optimizer,
      seed: work.seed,
      publicX: this.publicX,
      teacher: work.teacher,
      ...(work.control ? { control: { c: work.control, ci } } : {}),
      ...(carried ? { carriedOptimizer: carried } : {}),
      ...(contrast ? { contrast } : {}),
      shouldStop: this.o.shouldStop,
    }).finally(() => train && tf.dispose([train.x, train.y]));
    let controlDelta: Float32Array[] | undefined;
    if (r.nextControl) {
      this.controls.set(name, advanceSiteControl(ci, work.round, r.nextControl));
      controlDelta = subtract(r.nextControl, ci ?? zerosLike(r.nextControl));
    }
    if (contrast) this.previous.set(name, readWeights(site.model));
    const local = siteEvaluation(site.model, site.test, this.o.numClasses);
    let share: SiteRoundResult['share'];
    if (work.global) {
      const weights = readWeights(site.model);
      share = {
        site: name,
        samples: site.samples,
        localSteps,
        weights: this.o.dp
          ? gaussianNoiseShare(weights, work.global, this.o.dp, work.seed)
          : weights,
        ...(controlDelta ? { controlDelta } : {}),
      };
    } else {
      share = {
        site: name,
        samples: site.samples,
        logits: publicLogits(site.model, this.publicX as tf.Tensor),
      };
    }
    return {
      share,
      trainLoss: r.loss,
      trainAccuracy: r.accuracy,
      localAccuracy: local?.accuracy ?? null,
    };
  }

  async evaluateGlobal(
    global: readonly Float32Array[],
    scope?: RoundScope,
  ): Promise<SiteEvaluation[]> {
    const model = this.workingModel();
    writeWeights(model, global);
    return this.local.flatMap((s) => {
      if (scope?.skip?.includes(s.name)) return [];
      const e = siteEvaluation(model, s.test, this.o.numClasses);
      return e ? [{ site: s.name, ...e }] : [];
    });
  }

  /** Each site's own model on its own test split (codistill, where there is no global model). */
  evaluateOwn(): SiteEvaluation[] {
    return this.local.flatMap((s) => {
      const e = siteEvaluation(s.model, s.test, this.o.numClasses);
      return e ? [{ site: s.name, ...e }] : [];
    });
  }

  dispose(): void {
    for (const opt of this.optimizers.values()) opt.dispose();
    this.optimizers.clear();
    this.contrastModels?.global.dispose();
    this.contrastModels?.previous.dispose();
    this.previous.clear();
    for (const s of this.local) {
      tf.dispose([s.train.x, s.train.y]);
      if (s.test) tf.dispose([s.test.x, s.test.y]);
      if (s.model !== this.shared) s.model.dispose();
    }
    this.shared?.dispose();
    this.publicX?.dispose();
    this.local.length = 0;
  }

  private site(name: string): LocalSite {
    const s = this.local.find((x) => x.name === name);
    if (!s) throw new Error(`unknown site ${name}`);
    return s;
  }

  private build(architecture: string, index: number): tf.LayersModel {
    return buildZooModel(architecture, {
      inputShape: this.o.contract.inputShape,
      numClasses: this.o.numClasses,
      seed: this.o.seed + index,
      width: this.o.width ?? undefined,
    });
  }
}
