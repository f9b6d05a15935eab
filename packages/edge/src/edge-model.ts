import * as tf from '@tensorflow/tfjs';
import { ActivationCache } from './activation-cache';
import type { ImageShape } from './augment';
import { type BundleSource, type Fetch, type InputContract, loadBundle } from './bundle';
import { trainStep, evaluateHead } from './head-training';
import { defaultHeadStore, type HeadStore } from './head-store';
import { type EdgeInput, inputBatch } from './inputs';
import {
  type Example,
  type PersonalizeOptions,
  type PersonalizeResult,
  personalizeHead,
} from './personalize';
import { splitModel } from './split-model';

export interface EdgeModelOptions {
  /** The last K layers form the trainable head (default 1: the classifier layer). */
  headLayers?: number;
  /** Bound of the inference-training cache in bytes (default 16 MiB; 0 disables it). */
  cacheBytes?: number;
  /** Adam's step size for online learning (feedback), default 0.005. */
  learningRate?: number;
  /** Earlier labelled predictions still in the cache replayed with each feedback, default 7. */
  replay?: number;
}

export interface EdgePrediction {
  /** Pass to feedback() to label this prediction. */
  id: string;
  label: string;
  classIndex: number;
  probabilities: Record<string, number>;
}

export interface FeedbackResult {
  /** Whether the activations came from the cache (false: the backbone ran again). */
  cached: boolean;
  loss: number;
  /** Examples in the training step (this one and the replayed ones). */
  batch: number;
}

/** Counters a caller (or a test) reads to see what the cache saved. */
export interface EdgeStats {
  /** Backbone forward passes (calls) and the instances they covered. */
  backbonePasses: number;
  backboneInstances: number;
  cacheHits: number;
  cacheMisses: number;
  trainSteps: number;
}

/** Model identity and contract, as a bundle manifest states them. */
export interface EdgeModelInfo {
  id: string;
  labels: string[];
  input: InputContract;
}

const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * A registry model on the device, cut into a frozen backbone and a trainable head: predicts,
 * learns online from feedback through the inference-training cache, personalises offline on
 * the user's examples, and keeps the personalised head locally. Nothing here sends a sample or
 * a label anywhere: the only requests are the bundle's GETs in `fromBundle`.
 */
export class EdgeModel {
  readonly stats: EdgeStats = {
    backbonePasses: 0,
    backboneInstances: 0,
    cacheHits: 0,
    cacheMisses: 0,
    trainSteps: 0,
  };
  readonly cache: ActivationCache;
  backbone: tf.LayersModel;
  head: tf.LayersModel;
  private headLayers: number;
  private optimizer: tf.Optimizer;
  private nextId = 0;

  constructor(
    private readonly base: tf.LayersModel,
    readonly info: EdgeModelInfo,
    private readonly options: EdgeModelOptions = {},
  ) {
    this.headLayers = options.headLayers ?? 1;
    ({ backbone: this.backbone, head: this.head } = splitModel(base, this.headLayers));
    this.cache = new ActivationCache(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.optimizer = tf.train.adam(options.learningRate ?? 0.005);
  }

  /** Loads a bundle (from the service, a URL, or see `@autodl/edge/node` for a folder). */
  static async fromBundle(
    source: BundleSource,
    options: EdgeModelOptions = {},
    fetchImpl?: Fetch,
  ): Promise<EdgeModel> {
    const { manifest, model } = await loadBundle(source, fetchImpl);
    return new EdgeModel(
      model,
      { id: manifest.model.id, labels: manifest.labels, input: manifest.input },
      options,
    );
  }

  get labels(): string[] {
    return this.info.labels;
  }

  /** The number of trainable head layers (K). */
  get trainableLayers(): number {
    return this.headLayers;
  }

  /** Predicts one instance and keeps its backbone activations for a later feedback(). */
  async predict(input: EdgeInput): Promise<EdgePrediction> {
    const [prediction] = await this.predictBatch([input]);
    return prediction;
  }

  /** Predicts a batch (one backbone pass), caching each instance's activations. */
  async predictBatch(inputs: readonly EdgeInput[]): Promise<EdgePrediction[]> {
    const features = this.features(inputs);
    const probs = this.head.predict(features) as tf.Tensor;
    const values = (await probs.array()) as number[][];
    probs.dispose();
    const rows = tf.unstack(features);
    features.dispose();
    return values.map((p, i) => {
      const id = `p${++this.nextId}`;
      if (!this.cache.put(id, rows[i])) rows[i].dispose();
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
      const probabilities = Object.fromEntries(this.labels.map((n, k) => [n, p[k]]));
      return { id, label: this.labels[best], classIndex: best, probabilities };
    });
  }

  /**
   * Online learning (AutLearn): the user's label for an earlier prediction becomes one training
   * step of the head on that prediction's cached activations, with up to `replay` earlier
   * labelled ones. A cache miss (evicted, or caching off) recomputes the activations from
   * `input`, which the caller must then pass: the library keeps no raw samples.
   */
  async feedback(id: string, label: string | number, input?: EdgeInput): Promise<FeedbackResult> {
    const classIndex = this.labelIndex(label);
    let entry = this.cache.get(id);
    const cached = entry !== undefined;
    let recomputed: tf.Tensor | null = null;
    if (entry) {
      this.stats.cacheHits++;
    } else {
      this.stats.cacheMisses++;
      if (input === undefined) {
        throw new Error(
          `prediction ${id} is no longer cached: pass its input to feedback() to recompute it`,
        );
      }
      const features = this.features([input]);
      recomputed = features.squeeze([0]);
      features.dispose();
      if (this.cache.put(id, recomputed)) {
        entry = this.cache.get(id);
        recomputed = null;
      }
    }
    if (entry) entry.label = classIndex;
    const replayed = this.cache.labelled(this.options.replay ?? 7, id);
    const own = entry?.activation ?? (recomputed as tf.Tensor);
    const batch = tf.stack([own, ...replayed.map((r) => r.entry.activation)]);
    const labels = [classIndex, ...replayed.map((r) => r.entry.label as number)];
    const lossTensor = trainStep(this.head, this.optimizer, batch, labels);
    batch.dispose();
    recomputed?.dispose();
    this.stats.trainSteps++;
    const [loss] = await lossTensor.data();
    lossTensor.dispose();
    return { cached, loss, batch: labels.length };
  }

  /** Offline personalisation on the user's labelled examples (see PersonalizeOptions). */
  async personalize(
    examples: readonly Example[],
    options: PersonalizeOptions = {},
  ): Promise<PersonalizeResult> {
    if (options.layers !== undefined && options.layers !== this.headLayers)
      this.resplit(options.layers);
    const shape = this.info.input.shape;
    return personalizeHead(
      {
        head: this.head,
        imageShape: this.info.input.kind === 'image' ? (shape as unknown as ImageShape) : null,
        features: (inputs) => this.features(inputs),
        labelIndex: (label) => this.labelIndex(label),
      },
      examples,
      options,
    );
  }

  /** Accuracy of the current head on labelled examples (one backbone pass over them). */
  evaluate(examples: readonly Example[]): { accuracy: number; loss: number } {
    const features = this.features(examples.map((e) => e.input));
    try {
      return evaluateHead(
        this.head,
        features,
        examples.map((e) => this.labelIndex(e.label)),
      );
    } finally {
      features.dispose();
    }
  }

  /** Stores the head on the device (IndexedDB in a browser by default). */
  async save(store: HeadStore = defaultHeadStore(), key = this.defaultKey()): Promise<void> {
    await this.head.save(store.handler(key));
  }

  /** Replaces the head by one saved earlier for this model (same K, same feature shape). */
  async load(store: HeadStore = defaultHeadStore(), key = this.defaultKey()): Promise<void> {
    const loaded = await tf.loadLayersModel(store.handler(key));
    const want = JSON.stringify(this.head.inputs[0].shape);
    if (JSON.stringify(loaded.inputs[0].shape) !== want) {
      loaded.dispose();
      throw new Error(
        `saved head ${key} takes ${loaded.inputs[0].shape}, this backbone gives ${want}`,
      );
    }
    this.head.dispose();
    this.head = loaded;
    this.resetOptimizer();
  }

  dispose(): void {
    this.cache.clear();
    this.head.dispose();
    this.base.dispose();
    this.optimizer.dispose();
  }

  labelIndex(label: string | number): number {
    const index = typeof label === 'number' ? label : this.labels.indexOf(label);
    if (!Number.isInteger(index) || index < 0 || index >= this.labels.length) {
      throw new RangeError(`unknown label ${label}: one of ${this.labels.join(', ')}`);
    }
    return index;
  }

  /** The backbone's activations of a batch: the one place the backbone runs (counted). */
  private features(inputs: readonly EdgeInput[]): tf.Tensor {
    this.stats.backbonePasses++;
    this.stats.backboneInstances += inputs.length;
    return tf.tidy(() => this.backbone.predict(inputBatch(this.info.input, inputs)) as tf.Tensor);
  }

  /** A new cut: cached activations belong to the old one, and the head restarts from the base. */
  private resplit(headLayers: number): void {
    const next = splitModel(this.base, headLayers);
    this.head.dispose();
    this.cache.clear();
    this.backbone = next.backbone;
    this.head = next.head;
    this.headLayers = headLayers;
    this.resetOptimizer();
  }

  private resetOptimizer(): void {
    this.optimizer.dispose();
    this.optimizer = tf.train.adam(this.options.learningRate ?? 0.005);
  }

  private defaultKey(): string {
    return `${this.info.id}/head-k${this.headLayers}`;
  }
}
