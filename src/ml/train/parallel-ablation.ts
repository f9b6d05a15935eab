import * as tf from '@tensorflow/tfjs';
import {
  batchLoss,
  ChannelAblation,
  type LabelledBatch,
  type LossFn,
  unitLosses,
} from './channel-ablation';
import { crossEntropy } from './evaluate';
import {
  type AblationPool,
  dataParallelSetup,
  resolveThreads,
  type TrainingThreads,
} from './parallel';
import { threadCpuNs } from './thread-cpu';
import { parallelMeter } from './thread-meter';

/**
 * Channel ablation over several threads (DELTA's channel scoring, issue 20). The main thread
 * computes the unablated losses, asks for the replicas and, while they start, computes units
 * (hooked channels, channel-ablation.ts) one by one from the first; once they are ready, the
 * units left are cut into contiguous ranges, the first for the main thread and one for each
 * replica. A replica's start is thus hidden behind the main thread's work (a short scoring
 * finishes before the replicas are ready, and they are stopped unused). Every unit's losses are
 * computed by the same code on the same weights and do not depend on the other units, so the
 * result is the one-thread result bit for bit whatever the cut.
 */

/**
 * `auto` asks for replicas only when the one-thread scoring would take at least this much CPU
 * (estimated from the unablated pass, which costs what one unit costs): a replica costs a few
 * hundred ms of CPU to start (thread, runtime, wasm, model), on the free core.
 */
export const AUTO_MIN_ABLATION_MS = 500;

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

/** Lets the event loop run (a replica's start message) between units. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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
  options: {
    threads?: TrainingThreads;
    /**
     * The main thread waits for the replicas to start instead of scoring units meanwhile (every
     * thread then takes a range: the tests of the split).
     */
    waitForReplicas?: boolean;
  } = {},
): Promise<AblationLosses> {
  const ablation = new ChannelAblation(model, hookLayers);
  const { units, channels } = ablation;
  const nb = batches.length;
  const fn = loss === 'cross-entropy' ? crossEntropy : loss;
  const losses = new Float32Array(units * nb);
  const cpu0 = threadCpuNs();
  const t0 = performance.now();
  const base = batches.map((batch) => batchLoss(model, batch, fn));
  const baseCpu = threadCpuNs() - cpu0;
  const baseMs = Number.isFinite(baseCpu) ? baseCpu / 1e6 : performance.now() - t0;
  try {
    const threads = ablationThreads(loss, batches, units, baseMs, options.threads);
    const part =
      threads > 1
        ? await parallelPart(model, ablation, batches, losses, threads, options.waitForReplicas)
        : { done: 0, threads: 1 };
    // The units no replica took (all of them on one thread).
    for (let u = part.done; u < units; u++) {
      unitLosses(ablation, model, u, batches, fn, losses, u * nb);
    }
    return { base, losses, units, channels, threads: part.threads };
  } finally {
    ablation.dispose();
  }
}

/** Threads for a scoring (1: the main thread alone). */
function ablationThreads(
  loss: LossFn | 'cross-entropy',
  batches: readonly LabelledBatch[],
  units: number,
  baseMs: number,
  threads: TrainingThreads | undefined,
): number {
  const setup = dataParallelSetup();
  // The replicas compute cross-entropy of class labels ([n] labels) only.
  if (
    loss !== 'cross-entropy' ||
    !setup?.ablation ||
    batches.length === 0 ||
    batches.some((b) => b.ys.rank !== 1)
  ) {
    return 1;
  }
  const setting = threads ?? setup.threads;
  if (setting === 'auto' && baseMs * units < AUTO_MIN_ABLATION_MS) return 1;
  return resolveThreads(setting, setup.host(), Math.min(setup.shards, units));
}

/**
 * Computes units on the main thread while `threads - 1` replicas start, then splits the rest
 * with them: fills `losses` for units [0, done) (units from `done` on are the caller's: all of
 * them when the replicas cannot start) and says how many threads took part.
 */
async function parallelPart(
  model: tf.LayersModel,
  ablation: ChannelAblation,
  batches: readonly LabelledBatch[],
  losses: Float32Array,
  threads: number,
  waitForReplicas = false,
): Promise<{ done: number; threads: number }> {
  const setup = dataParallelSetup();
  if (!setup?.ablation) return { done: 0, threads: 1 };
  const { units } = ablation;
  const nb = batches.length;
  // The unablated weights, taken before any unit is removed.
  const weights = model.weights.map((w) => w.read().dataSync().slice());
  let pool: AblationPool | undefined;
  let failed = false;
  const starting = setup
    .ablation({
      replicas: threads - 1,
      topology: JSON.stringify(model.toJSON(null, false)),
      sizes: weights.map((w) => w.length),
      backend: tf.getBackend(),
      sampleShape: batches[0].xs.shape.slice(1),
      xDtype: batches[0].xs.dtype,
      yDtype: batches[0].ys.dtype,
      hookLayers: ablation.hookLayers,
      batchRows: batches.map((b) => b.xs.shape[0]),
      maxUnits: units,
    })
    .then(
      (p) => {
        pool = p;
      },
      () => {
        // A model the replicas cannot build (a custom layer not registered there): one thread.
        failed = true;
      },
    );
  let next = 0;
  const fn = crossEntropy;
  const ownCpu0 = threadCpuNs();
  try {
    while (!waitForReplicas && next < units && pool === undefined && !failed) {
      unitLosses(ablation, model, next, batches, fn, losses, next * nb);
      next++;
      await yieldToEventLoop();
    }
  } catch (err) {
    // Stop the replicas still starting before giving up.
    await starting;
    await (pool as AblationPool | undefined)?.dispose();
    throw err;
  }
  const startCpu = threadCpuNs() - ownCpu0;
  await starting;
  const ready = pool as AblationPool | undefined;
  if (!ready) return { done: next, threads: 1 };
  try {
    // The replicas started beside the main thread's units: their start is CPU spent, but on the
    // critical path only as the lead-in of their range (below), not as a start the job waited for.
    const startNs = ready.startCpuNs?.() ?? [];
    parallelMeter.replicaStartNs += startNs.filter(Number.isFinite).reduce((a, b) => a + b, 0);
    const rest = units - next;
    if (rest < 2) return { done: next, threads: 1 };
    const cpu0 = threadCpuNs();
    ready.publish(weights);
    ready.setBatches(
      batches.map((b) => b.xs.dataSync()),
      batches.map((b) => b.ys.dataSync()),
    );
    const used = Math.min(threads, rest);
    const mine = Math.round(rest / used);
    const share = Math.ceil((rest - mine) / (used - 1));
    const started: [number, number][] = [];
    for (let r = 0, from = next + mine; from < units; r++) {
      const count = Math.min(share, units - from);
      ready.start(r, from, count);
      started.push([r, from]);
      from += count;
    }
    const own0 = threadCpuNs();
    for (let u = next; u < next + mine; u++) {
      unitLosses(ablation, model, u, batches, fn, losses, u * nb);
    }
    const own = threadCpuNs() - own0;
    const blocked = performance.now();
    const replicaCpu = started.map(([r, from]) => {
      losses.set(ready.wait(r), from * nb);
      parallelMeter.replicaWallNs += ready.commandWallNs?.(r) ?? 0;
      return ready.commandCpuNs?.(r) ?? NaN;
    });
    parallelMeter.mainBlockedNs += (performance.now() - blocked) * 1e6;
    // One round: the main thread's part is every unit it scored (during the replicas' start too);
    // a replica's range could only begin after its start, so its part on the critical path is its
    // start plus its range.
    const mainPart = own + startCpu;
    parallelMeter.rounds++;
    if (Number.isFinite(mainPart) && replicaCpu.every(Number.isFinite)) {
      parallelMeter.mainWorkNs += mainPart;
      parallelMeter.replicaWorkNs += replicaCpu.reduce((a, b) => a + b, 0);
      parallelMeter.roundCriticalNs += Math.max(
        mainPart,
        ...replicaCpu.map((c, i) => c + (Number.isFinite(startNs[i]) ? startNs[i] : 0)),
      );
    }
    parallelMeter.mainOutsideNs += threadCpuNs() - cpu0 - own;
    return { done: units, threads: 1 + started.length };
  } finally {
    await ready.dispose();
  }
}
