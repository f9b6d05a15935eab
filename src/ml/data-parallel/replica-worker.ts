/**
 * A replica's thread (started by replica-threads.ts): loads the TF.js backend and the model, says
 * READY, then answers commands forever (replica-protocol.ts). Before each it reloads the
 * published weights if their version moved. KIND_STEP: the shard's gradients as the main thread
 * computes them (shardGradients: mean cross-entropy, plus a DELTA feature penalty against the
 * frozen source network it was started with), written with the batch-norm moving statistics the
 * pass moved into shared memory. KIND_PREDICT: model.predict on the chunk in passes of
 * `pass` rows. KIND_ABLATE: the scoring batches' losses with each unit of a range of hooked
 * channels removed (ablationLosses, DELTA's channel scoring). It waits with Atomics.wait, so a
 * command starts as soon as the main thread posts it. KIND_PARK (inference replicas kept warm
 * between jobs): it drops its model and waits for its next assignment (a new ReplicaWorkerData,
 * posted on its parent port), keeping the backend it loaded.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { type BackendPreference, selectBackend } from '../backend';
import { loadModelFromBuffers } from '../io/buffers';
import { ablationLosses, type LabelledBatch } from '../train/channel-ablation';
import { crossEntropy } from '../train/evaluate';
import { momentsProbe } from '../train/moments-probe';
import { disposeShard, shardTensors } from '../train/row-objectives';
import { FeaturePenalty, shardGradients, type ShardOptions } from '../train/shard-gradients';
import { schedstatThreadCpuNs as threadCpuNs } from './thread-cpu';
import { assignPublishedWeights } from './published-weights';
import { ShardLayout } from './shard-layout';
import {
  type AblationSpec,
  CTRL,
  KIND_ABLATE,
  KIND_PARK,
  KIND_PREDICT,
  KIND_STEP,
  KIND_STOP,
  type ReplicaAssignMessage,
  type PredictSpec,
  type ReplicaStartMessage,
  type ReplicaWorkerData,
  STATS,
  type StepSpec,
} from './replica-protocol';

const port = parentPort;
if (!port) throw new Error('replica-worker runs in a worker thread (replica-threads.ts)');
// The current assignment (the first from workerData, the next ones after KIND_PARK).
let data = workerData as ReplicaWorkerData;
let spec = data.spec;
let ctrl = new Int32Array(data.ctrl);
let stats = new Float64Array(data.stats);
let published = new Float32Array(data.published);
let input = new Float32Array(data.input);
let output = new Float32Array(data.output);
let rowLength = spec.sampleShape.reduce((a, d) => a * d, 1);

function assign(next: ReplicaWorkerData): void {
  data = next;
  spec = next.spec;
  ctrl = new Int32Array(next.ctrl);
  stats = new Float64Array(next.stats);
  published = new Float32Array(next.published);
  input = new Float32Array(next.input);
  output = new Float32Array(next.output);
  rowLength = spec.sampleShape.reduce((a, d) => a * d, 1);
}

/** Assignments posted while the thread served (it reads them once parked). */
const assignments: ReplicaWorkerData[] = [];
let assigned: (() => void) | undefined;
port.on('message', (m: ReplicaAssignMessage) => {
  if (m?.type !== 'assign') return;
  assignments.push(m.data);
  assigned?.();
});

function answer(seq: number, status: 0 | 1): void {
  Atomics.store(ctrl, CTRL.STATUS, status);
  Atomics.store(ctrl, CTRL.DONE, seq);
  Atomics.notify(ctrl, CTRL.DONE);
}

function rows(n: number): tf.Tensor {
  return tf.tensor(input.slice(0, n * rowLength), [n, ...spec.sampleShape], spec.xDtype);
}

/**
 * KIND_STEP: writes gradients (trained order; then the feature penalty's with features.separate),
 * non-trained weights, loss, correct, penalty.
 */
function stepper(
  model: tf.LayersModel,
  weights: tf.Variable[],
  step: StepSpec,
  source?: tf.LayersModel,
) {
  const trained = step.trainable.map((i) => weights[i]);
  const trainedSet = new Set(step.trainable);
  const state = weights.filter((_, i) => !trainedSet.has(i));
  const gradLength = trained.reduce((a, v) => a + v.size, 0);
  const objective = step.objective ?? { kind: 'cross-entropy' };
  const layout = new ShardLayout({
    rowLength,
    maxShard: step.maxShard,
    mixup: objective.kind === 'mixup',
    maxPublic: step.maxPublic ?? 0,
    classes: objective.kind === 'distillation' ? objective.classes : 0,
  });
  const penalty =
    step.features && source ? new FeaturePenalty(model, { ...step.features, source }) : undefined;
  const options: ShardOptions = {
    ...(penalty ? { features: penalty } : {}),
    ...(step.features?.separate ? { separateFeatures: true } : {}),
    ...(objective.kind === 'distillation'
      ? { distillation: { temperature: objective.temperature, weight: objective.weight } }
      : {}),
  };
  return (n: number): void => {
    const host = layout.read(input, n, Atomics.load(ctrl, CTRL.BATCH));
    const tensors = shardTensors(host, spec.sampleShape, spec.xDtype, step.yDtype);
    let shard;
    try {
      shard = shardGradients(model, trained, tensors, options);
    } finally {
      disposeShard(tensors);
    }
    output.set(shard.grads, 0);
    let at = gradLength;
    if (shard.featureGrads) {
      output.set(shard.featureGrads, at);
      at += gradLength;
    }
    for (const s of state) {
      output.set(s.dataSync(), at);
      at += s.size;
    }
    output[at] = shard.loss;
    output[at + 1] = shard.correct;
    output[at + 2] = shard.featurePenalty;
  };
}

/** KIND_PREDICT: writes n x outputLength outputs (of the model, or of a moments probe). */
function predictor(model: tf.LayersModel, predict: PredictSpec) {
  const probes = (predict.probes ?? []).map((name) => momentsProbe(model, name));
  return (n: number): void => {
    const which = Atomics.load(ctrl, CTRL.BATCH);
    const net = which === 0 ? model : probes[which - 1];
    if (!net) throw new Error(`no moments probe ${which - 1}`);
    const y = net.predict(rows(n), { batchSize: Math.min(n, predict.pass) }) as tf.Tensor;
    output.set(y.dataSync(), 0);
  };
}

/** KIND_ABLATE: writes count x batches cross-entropies, unit-major (units from SIZE, BATCH of them). */
function ablator(model: tf.LayersModel, ablation: AblationSpec) {
  const total = ablation.batchRows.reduce((a, r) => a + r, 0);
  return (from: number): void => {
    const count = Atomics.load(ctrl, CTRL.BATCH);
    let at = 0;
    const batches: LabelledBatch[] = ablation.batchRows.map((n) => {
      const xs = tf.tensor(
        input.slice(at * rowLength, (at + n) * rowLength),
        [n, ...spec.sampleShape],
        spec.xDtype,
      );
      const ys = tf.tensor(
        input.slice(total * rowLength + at, total * rowLength + at + n),
        [n],
        ablation.yDtype,
      );
      at += n;
      return { xs, ys };
    });
    output.set(ablationLosses(model, ablation.hookLayers, batches, crossEntropy, from, count), 0);
  };
}

/** Serves commands until KIND_STOP (false) or KIND_PARK (true). */
function serve(model: tf.LayersModel, source?: tf.LayersModel): boolean {
  const weights = model.weights.map((w) => w.read() as tf.Variable);
  const step = spec.step ? stepper(model, weights, spec.step, source) : undefined;
  const predict = spec.predict ? predictor(model, spec.predict) : undefined;
  const ablate = spec.ablation ? ablator(model, spec.ablation) : undefined;
  let seen = 0;
  let loaded = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.COMMAND, seen);
    seen = Atomics.load(ctrl, CTRL.COMMAND);
    const kind = Atomics.load(ctrl, CTRL.KIND);
    if (kind === KIND_STOP || kind === KIND_PARK) {
      if (kind === KIND_PARK) answer(seen, 0);
      return kind === KIND_PARK;
    }
    const wall0 = performance.now();
    const cpu0 = threadCpuNs();
    try {
      const version = Atomics.load(ctrl, CTRL.VERSION);
      if (version !== loaded) {
        tf.tidy(() => assignPublishedWeights(weights, published));
        loaded = version;
      }
      const run =
        kind === KIND_STEP
          ? step
          : kind === KIND_PREDICT
            ? predict
            : kind === KIND_ABLATE
              ? ablate
              : undefined;
      if (!run) throw new Error(`command ${kind} not served by this replica`);
      const n = Atomics.load(ctrl, CTRL.SIZE);
      tf.tidy(() => run(n));
      stats[STATS.COMMAND_CPU_NS] = threadCpuNs() - cpu0;
      stats[STATS.COMMAND_WALL_NS] = (performance.now() - wall0) * 1e6;
      answer(seen, 0);
    } catch (err) {
      data.errors.postMessage((err as Error).stack ?? String(err));
      answer(seen, 1);
    }
  }
}

async function build(): Promise<tf.LayersModel> {
  const source = spec.model;
  if (source.modelJson === undefined) {
    // The topology only: the weights come published before the first command.
    return tf.models.modelFromJSON({
      modelTopology: JSON.parse(source.topology) as tf.io.ModelJSON['modelTopology'],
    });
  }
  const model = await loadModelFromBuffers(
    Buffer.from(source.modelJson),
    Buffer.from(source.weights),
  );
  const frozen = new Set(spec.step?.frozenLayers ?? []);
  for (const layer of model.layers) layer.trainable = !frozen.has(layer.name);
  return model;
}

/** Thread CPU when the current assignment arrived (0: the thread's first). */
let assignedCpuNs = 0;

/** Builds the assignment's model, says READY, serves it; true when parked afterwards. */
async function runAssignment(): Promise<boolean> {
  const model = await build();
  const features = spec.step?.features;
  // The frozen source network of a feature penalty: loaded once, never published again.
  const source = features
    ? await loadModelFromBuffers(
        Buffer.from(features.source.modelJson),
        Buffer.from(features.source.weights),
      )
    : undefined;
  stats[STATS.START_CPU_NS] = threadCpuNs() - assignedCpuNs;
  Atomics.store(ctrl, CTRL.READY, 1);
  Atomics.notify(ctrl, CTRL.READY);
  const ready: ReplicaStartMessage = { type: 'ready' };
  port?.postMessage(ready);
  const parked = serve(model, source);
  model.dispose();
  source?.dispose();
  data.errors.close();
  return parked;
}

async function main(): Promise<void> {
  await selectBackend(spec.backend as BackendPreference);
  while (await runAssignment()) {
    while (assignments.length === 0) await new Promise<void>((r) => (assigned = r));
    assigned = undefined;
    assign(assignments.shift() as ReplicaWorkerData);
    // A reused thread's start CPU is this assignment's alone (the model, not the runtime).
    assignedCpuNs = threadCpuNs();
  }
  port?.removeAllListeners('message');
}

main().catch((err: unknown) => {
  // Not parkable any more: the thread ends once the error is out.
  port.removeAllListeners('message');
  data.errors.postMessage((err as Error).stack ?? String(err));
  Atomics.store(ctrl, CTRL.READY, 2);
  Atomics.notify(ctrl, CTRL.READY);
  const failed: ReplicaStartMessage = { type: 'error', message: (err as Error).message };
  port.postMessage(failed);
});
