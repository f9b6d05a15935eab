import * as tf from '@tensorflow/tfjs';
import { dataParallelSetup, type InferencePool, resolveThreads } from './parallel';

/**
 * Bulk prediction over inference replicas on worker threads (LIME/NormLIME perturbations,
 * evaluation): the rows are cut into contiguous chunks, the main thread predicts the first chunk
 * of every round while the replicas predict the next ones, and the outputs are put back in row
 * order. Inference has no coupling between rows, so the result is the single-thread one.
 */

/**
 * A thread's chunk is at least this many input values (about 20 28x28 images, image LIME predicts
 * 64 at a time): below, copying the rows and waking a replica costs more than it saves.
 */
export const MIN_CHUNK_VALUES = 1 << 14;
/** A replica chunk holds at most this many input values (16 MB of float32): bounded memory. */
const MAX_CHUNK_VALUES = 1 << 22;
/** Replicas stop after this long without a call. */
const IDLE_MS = 30_000;

interface Cached {
  pool: InferencePool;
  timer: ReturnType<typeof setTimeout>;
  /** The data of the weights the replicas hold (model.weights order), to publish only changes. */
  published: readonly object[];
}

/**
 * Pools by model topology (and input shape, backend), not by model object: the replicas hold the
 * weights of the last call, so the next job on the same architecture (a fresh model load per job)
 * finds its replicas started and only publishes its own weights.
 */
const pools = new Map<string, Cached>();
const keys = new WeakMap<tf.LayersModel, string>();
const failed = new Set<string>();

function keyOf(model: tf.LayersModel, x: tf.Tensor): string {
  let topology = keys.get(model);
  if (topology === undefined) {
    topology = JSON.stringify(model.toJSON(null, false));
    keys.set(model, topology);
  }
  return JSON.stringify([tf.getBackend(), x.dtype, x.shape.slice(1)]) + topology;
}

/** Replicas serving `model` now (tests, benches). */
export function inferenceReplicas(model: tf.LayersModel, x: tf.Tensor): number {
  return pools.get(keyOf(model, x))?.pool.replicas ?? 0;
}

/** Inference pools running now, one per topology (and probe set): tests, benches. */
export function inferencePoolCount(): number {
  return pools.size;
}

/** Stops every inference replica now (they also stop on their own after IDLE_MS idle). */
export function releaseInferenceThreads(): void {
  for (const [key, cached] of pools) {
    clearTimeout(cached.timer);
    cached.pool.dispose();
    pools.delete(key);
  }
}

/**
 * model.predict(x) over several threads, or undefined when one thread should do it: no inference
 * replicas installed (configureDataParallel: the job worker installs them), a model that is not
 * one input -> one [n, k] output, too little work, or no free core (`auto`: the cores the other
 * running jobs leave free). The caller disposes the result.
 */
export function predictInParallel(
  model: tf.LayersModel,
  x: tf.Tensor,
  pass: number,
): tf.Tensor | undefined {
  const setup = dataParallelSetup();
  if (!setup?.inference) return undefined;
  const outShape = model.outputs[0]?.shape;
  const k = outShape?.[1];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || outShape.length !== 2) {
    return undefined;
  }
  if (typeof k !== 'number') return undefined;
  return predictChunks(model, keyOf(model, x), x, pass, k, k, setup, model);
}

/** Moments probes of a model's layers (momentsProbe): their names and this thread's models. */
export interface MomentsProbes {
  names: readonly string[];
  models: readonly tf.LayersModel[];
}

/**
 * probes.models[index].predict(x) over several threads (batch-norm re-estimation), or undefined
 * when one thread should do it (as predictInParallel). The replicas hold `model` and build every
 * probe from it once, so one pool serves all the layers of a re-estimation; the weights are
 * published again only when they changed (a re-estimated layer's statistics).
 */
export function predictProbeInParallel(
  model: tf.LayersModel,
  probes: MomentsProbes,
  index: number,
  x: tf.Tensor,
  pass: number,
): tf.Tensor | undefined {
  const setup = dataParallelSetup();
  if (!setup?.inference || model.inputs.length !== 1) return undefined;
  const widths = probes.models.map((m) => m.outputs[0]?.shape[1]);
  if (widths.some((w) => typeof w !== 'number')) return undefined;
  const width = widths[index] as number;
  const maxWidth = Math.max(...(widths as number[]));
  const key = keyOf(model, x) + JSON.stringify(probes.names);
  return predictChunks(model, key, x, pass, width, maxWidth, setup, probes.models[index], {
    names: probes.names,
    index,
  });
}

/**
 * The rows of x cut into contiguous chunks: the main thread predicts the first of each round
 * with `here`, the replicas (holding `model`) the next ones, the outputs put back in row order.
 */
function predictChunks(
  model: tf.LayersModel,
  key: string,
  x: tf.Tensor,
  pass: number,
  k: number,
  poolWidth: number,
  setup: NonNullable<ReturnType<typeof dataParallelSetup>>,
  here: tf.LayersModel,
  probe?: { names: readonly string[]; index: number },
): tf.Tensor | undefined {
  const n = x.shape[0];
  const rowLength = n === 0 ? 0 : x.size / n;
  const parts = Math.min(n, Math.floor(x.size / MIN_CHUNK_VALUES));
  if (parts < 2) return undefined;
  const threads = resolveThreads(setup.threads, setup.host(), parts);
  if (threads < 2) return undefined;
  const entry = poolFor(model, key, x, threads, pass, poolWidth, setup.inference, probe?.names);
  if (!entry) return undefined;
  const { pool } = entry;
  const used = 1 + Math.min(pool.replicas, threads - 1);
  const chunk = chunkRows(n, used, pass, pool.maxRows);
  publishChanged(entry, model);
  const host = x.dataSync();
  const out = new Float32Array(n * k);
  const command = probe ? { index: probe.index, outputLength: k } : undefined;
  for (let start = 0; start < n; start += chunk * used) {
    const started: [number, number][] = [];
    for (let r = 0; r < used - 1; r++) {
      const a = start + (r + 1) * chunk;
      if (a >= n) break;
      const b = Math.min(n, a + chunk);
      pool.start(r, host.subarray(a * rowLength, b * rowLength), b - a, command);
      started.push([r, a]);
    }
    const end = Math.min(n, start + chunk);
    const mine = tf.tidy(
      () =>
        here.predict(x.slice(start, end - start), {
          batchSize: Math.min(pass, end - start),
        }) as tf.Tensor,
    );
    out.set(mine.dataSync(), start * k);
    mine.dispose();
    for (const [r, a] of started) out.set(pool.wait(r), a * k);
  }
  return tf.tensor2d(out, [n, k]);
}

/**
 * Rows per thread and round: an even share, rounded to whole passes when a share holds at least
 * one (every thread then predicts in the passes one thread would, and a pass of `pass` rows is
 * the cheapest per row), at most `maxRows`.
 */
export function chunkRows(n: number, threads: number, pass: number, maxRows: number): number {
  const share = n / threads;
  const rows = share >= pass ? pass * Math.round(share / pass) : Math.ceil(share);
  return Math.max(1, Math.min(maxRows, rows));
}

/**
 * Publishes the model's weights unless the replicas hold them already. A tensor's data never
 * changes (assign, setWeights and the optimizers give a variable new data), so the same data
 * objects mean the same weights: LIME's many calls of one job send them once.
 */
function publishChanged(entry: Cached, model: tf.LayersModel): void {
  const now = model.weights.map((w) => w.read().dataId);
  const held = entry.published;
  if (held.length === now.length && now.every((d, i) => d === held[i])) return;
  entry.pool.publish(model.weights.map((w) => w.read().dataSync()));
  entry.published = now;
}

function poolFor(
  model: tf.LayersModel,
  key: string,
  x: tf.Tensor,
  threads: number,
  pass: number,
  k: number,
  start: NonNullable<ReturnType<typeof dataParallelSetup>>['inference'],
  probes?: readonly string[],
): Cached | undefined {
  if (failed.has(key)) return undefined;
  let cached = pools.get(key);
  if (!cached && start) {
    const n = x.shape[0];
    const rowLength = x.size / n;
    const maxRows = Math.max(1, Math.floor(MAX_CHUNK_VALUES / rowLength));
    try {
      const pool = start({
        replicas: threads - 1,
        topology: JSON.stringify(model.toJSON(null, false)),
        sizes: model.weights.map((w) => w.read().size),
        backend: tf.getBackend(),
        sampleShape: x.shape.slice(1),
        xDtype: x.dtype,
        outputLength: k,
        pass,
        maxRows,
        ...(probes ? { probes } : {}),
      });
      cached = { pool, timer: setTimeout(() => undefined, 0), published: [] };
      pools.set(key, cached);
    } catch {
      // A model the replicas cannot build (a custom layer not registered there): one thread.
      failed.add(key);
      return undefined;
    }
  }
  if (!cached) return undefined;
  const entry = cached;
  clearTimeout(entry.timer);
  entry.timer = setTimeout(() => {
    entry.pool.dispose();
    pools.delete(key);
  }, IDLE_MS);
  entry.timer.unref?.();
  return entry;
}
