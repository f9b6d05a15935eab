import * as tf from '@tensorflow/tfjs';
import {
  ablationLosses,
  batchLoss,
  ChannelAblation,
  type LabelledBatch,
  type LossFn,
} from './channel-ablation';
import { crossEntropy } from './evaluate';
import {
  type AblationPool,
  dataParallelSetup,
  resolveThreads,
  type TrainingThreads,
} from './parallel';
import { threadCpuNs } from './thread-cpu';
import { meterRound, meterStart, parallelMeter } from './thread-meter';

/**
 * Channel ablation over several threads (DELTA's channel scoring, issue 20): the units (hooked
 * channels, channel-ablation.ts) are cut into contiguous ranges; the main thread computes the
 * unablated losses and the first range while replicas compute the others, each unit's losses by
 * the same code on the same weights. A unit's losses do not depend on the thread or on the other
 * units, so the result is the one-thread result bit for bit.
 */

/**
 * `auto` starts replicas only when the one-thread scoring would take at least this long
 * (estimated from the unablated pass, which costs what one unit costs): a replica costs about a
 * second of CPU to start (thread, runtime, wasm, model).
 */
export const AUTO_MIN_ABLATION_MS = 3000;

export interface AblationLosses {
  /** L(w*) on each batch. */
  base: number[];
  /** L(w* \ u) on each batch, unit-major (ablationLosses' layout over every unit). */
  losses: Float32Array;
  /** Units (hooked channels over all hooked layers). */
  units: number;
  /** Channels of each hooked layer. */
  channels: number[];
  /** Threads that computed them (1: the main thread alone). */
  threads: number;
}

/**
 * The unablated and ablated losses of `batches` (channel-ablation.ts). `loss`: 'cross-entropy'
 * (crossEntropy of evaluate.ts, which the replicas compute too) or a function of this thread's
 * (then one thread). Threads as training's: `threads` (else the install's setting, `auto`: the
 * free cores), at most the install's shard count and one unit each; none installed: one thread.
 */
export async function channelAblationLosses(
  model: tf.LayersModel,
  hookLayers: readonly string[],
  batches: readonly LabelledBatch[],
  loss: LossFn | 'cross-entropy',
  options: { threads?: TrainingThreads } = {},
): Promise<AblationLosses> {
  const probe = new ChannelAblation(model, hookLayers);
  const { units, channels } = probe;
  probe.dispose();
  const fn = loss === 'cross-entropy' ? crossEntropy : loss;
  const t0 = performance.now();
  const base = batches.map((batch) => batchLoss(model, batch, fn));
  const baseMs = performance.now() - t0;
  const one = (): AblationLosses => ({
    base,
    losses: ablationLosses(model, hookLayers, batches, fn, 0, units),
    units,
    channels,
    threads: 1,
  });
  const setup = dataParallelSetup();
  // The replicas compute cross-entropy of class labels ([n] labels) only.
  if (
    loss !== 'cross-entropy' ||
    !setup?.ablation ||
    batches.length === 0 ||
    batches.some((b) => b.ys.rank !== 1)
  ) {
    return one();
  }
  const setting = options.threads ?? setup.threads;
  if (setting === 'auto' && baseMs * units < AUTO_MIN_ABLATION_MS) return one();
  const threads = resolveThreads(setting, setup.host(), Math.min(setup.shards, units));
  if (threads <= 1) return one();
  // The main thread's range is one unit shorter: it computed the unablated pass too.
  const mine = Math.max(0, Math.round((units + 1) / threads) - 1);
  const maxUnits = Math.ceil((units - mine) / (threads - 1));
  let pool: AblationPool;
  try {
    pool = await setup.ablation({
      replicas: threads - 1,
      topology: JSON.stringify(model.toJSON(null, false)),
      sizes: model.weights.map((w) => w.read().size),
      backend: tf.getBackend(),
      sampleShape: batches[0].xs.shape.slice(1),
      xDtype: batches[0].xs.dtype,
      yDtype: batches[0].ys.dtype,
      hookLayers,
      batchRows: batches.map((b) => b.xs.shape[0]),
      maxUnits,
    });
  } catch {
    // A model the replicas cannot build (a custom layer not registered there): one thread.
    return one();
  }
  try {
    meterStart(pool.startCpuNs?.() ?? []);
    const cpu0 = threadCpuNs();
    pool.publish(model.weights.map((w) => w.read().dataSync()));
    pool.setBatches(
      batches.map((b) => b.xs.dataSync()),
      batches.map((b) => b.ys.dataSync()),
    );
    const started: [number, number, number][] = [];
    for (let r = 0, from = mine; from < units; r++) {
      const count = Math.min(maxUnits, units - from);
      pool.start(r, from, count);
      started.push([r, from, count]);
      from += count;
    }
    const own0 = threadCpuNs();
    const losses = new Float32Array(units * batches.length);
    losses.set(ablationLosses(model, hookLayers, batches, fn, 0, mine), 0);
    const own = threadCpuNs() - own0;
    const blocked = performance.now();
    const replicaCpu = started.map(([r, from]) => {
      losses.set(pool.wait(r), from * batches.length);
      parallelMeter.replicaWallNs += pool.commandWallNs?.(r) ?? 0;
      return pool.commandCpuNs?.(r) ?? NaN;
    });
    parallelMeter.mainBlockedNs += (performance.now() - blocked) * 1e6;
    meterRound(own, replicaCpu);
    parallelMeter.mainOutsideNs += threadCpuNs() - cpu0 - own;
    return { base, losses, units, channels, threads: 1 + started.length };
  } finally {
    await pool.dispose();
  }
}
