import * as tf from '@tensorflow/tfjs';
import { dataParallelSetup, type InferencePool, resolveThreads } from './parallel';
import { threadCpuNs } from './thread-cpu';
import { meterRound, meterStart, parallelMeter } from './thread-meter';

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
  balance: Balance;
  /** Collects a pipelined call whose replicas' chunks are still out (predictInParallelAsync). */
  pending?: () => void;
  timer: ReturnType<typeof setTimeout>;
  /** The data of the weights the replicas hold (model.weights order), to publish only changes. */
  published: readonly object[];
  /** Whether its replicas' start was metered (once they held the model). */
  metered: boolean;
}

/**
 * Pools by model topology (and input shape, backend), not by model object: the replicas hold the
 * weights of the last call, so the next job on the same architecture (a fresh model load per job)
 * finds its replicas started and only publishes its own weights.
 */
const pools = new Map<string, Cached>();
const keys = new WeakMap<tf.LayersModel, string>();
const failed = new Set<string>();
/** How to stop the warm threads of the setups that started pools (releaseInferenceThreads). */
const warmStoppers = new Set<() => void>();

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

/**
 * Stops every inference replica now, the warm parked threads included (app shutdown, tests). On
 * their own, pools park their threads after IDLE_MS idle (warm for the next job's pool).
 */
export function releaseInferenceThreads(): void {
  for (const [key, cached] of pools) {
    clearTimeout(cached.timer);
    cached.pending?.();
    cached.pool.dispose();
    pools.delete(key);
  }
  for (const stop of warmStoppers) stop();
  warmStoppers.clear();
}

/**
 * What IDLE_MS idle does to every pool now: its replicas stop serving and their threads park
 * warm (pools without parking stop). Benches: a job that arrives after the idle timeout.
 */
export function parkInferencePools(): void {
  for (const key of [...pools.keys()]) park(key);
}

function park(key: string): void {
  const cached = pools.get(key);
  if (!cached) return;
  clearTimeout(cached.timer);
  cached.pending?.();
  pools.delete(key);
  if (cached.pool.park) cached.pool.park();
  else cached.pool.dispose();
}

/** Blocks until every pool's replicas hold their model (tests, benches: pools start unblocking). */
export function waitForInferenceReplicas(): void {
  for (const cached of pools.values()) cached.pool.waitReady?.();
}

/**
 * The CPU balance of a pool's pipelined calls (predictInParallelAsync): what the main thread
 * spends per row of its own chunk and a replica per row of its chunk, and the caller's work
 * between a call's return and its await (image LIME composing the next perturbations),
 * exponentially averaged.
 */
interface Balance {
  mainNsPerRow: number;
  replicaNsPerRow: number;
  /** Main thread CPU from a call's return until the caller awaited it (its work beside them). */
  betweenNs: number;
}

/** Weight of the newest call in the balance's averages. */
const BALANCE_RATE = 0.3;

function average(old: number, next: number): number {
  if (!Number.isFinite(next)) return old;
  return Number.isFinite(old) ? old + BALANCE_RATE * (next - old) : next;
}

/** A round's work handed out: the main thread's part done, the replicas' part to collect. */
interface Begun {
  /** Collects the replicas' chunks (blocks) and gives [n, k]; once. */
  finish(): tf.Tensor;
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
  return begin(model, x, pass, false)?.finish();
}

/**
 * The same, pipelined: the replicas' chunks of the call's last round are collected when the
 * caller awaits the answer, so the caller's work before it awaits (image LIME composing its next
 * batch of perturbations) runs on the main thread while the replicas predict. The main thread's
 * own chunk is cut so that its chunk plus that work take as long as a replica's chunk (measured
 * on the pool's earlier calls, in CPU time): on T idle cores the caller's serial work is hidden.
 * The outputs are the same bits whatever the cut (rows are independent). Undefined: one thread
 * (as predictInParallel). The next call on the pool, of either kind, collects a pending one first.
 */
export function predictInParallelAsync(
  model: tf.LayersModel,
  x: tf.Tensor,
  pass: number,
): Promise<tf.Tensor> | undefined {
  const begun = begin(model, x, pass, true);
  return begun && Promise.resolve().then(() => begun.finish());
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
  if (model.inputs.length !== 1) return undefined;
  const widths = probes.models.map((m) => m.outputs[0]?.shape[1]);
  if (widths.some((w) => typeof w !== 'number')) return undefined;
  return begin(model, x, pass, false, {
    names: probes.names,
    here: probes.models[index],
    index,
    k: widths[index] as number,
    poolWidth: Math.max(...(widths as number[])),
  })?.finish();
}

/** A moments probe to predict instead of the model (predictProbeInParallel). */
interface ProbeCall {
  names: readonly string[];
  /** This thread's probe model. */
  here: tf.LayersModel;
  index: number;
  /** Its outputs per row, and the largest of the pool's probes. */
  k: number;
  poolWidth: number;
}

function begin(
  model: tf.LayersModel,
  x: tf.Tensor,
  pass: number,
  pipelined: boolean,
  probe?: ProbeCall,
): Begun | undefined {
  const setup = dataParallelSetup();
  if (!setup?.inference) return undefined;
  const outShape = model.outputs[0]?.shape;
  const k = probe ? probe.k : outShape?.[1];
  if (
    !probe &&
    (model.inputs.length !== 1 || model.outputs.length !== 1 || outShape.length !== 2)
  ) {
    return undefined;
  }
  if (typeof k !== 'number') return undefined;
  const here = probe ? probe.here : model;
  const command = probe ? { index: probe.index, outputLength: k } : undefined;
  const n = x.shape[0];
  const rowLength = n === 0 ? 0 : x.size / n;
  const parts = Math.min(n, Math.floor(x.size / MIN_CHUNK_VALUES));
  if (parts < 2) return undefined;
  const threads = resolveThreads(setup.threads, setup.host(), parts);
  if (threads < 2) return undefined;
  const key = probe ? keyOf(model, x) + JSON.stringify(probe.names) : keyOf(model, x);
  const entry = poolFor(
    model,
    key,
    x,
    threads,
    pass,
    probe ? probe.poolWidth : k,
    setup.inference,
    probe?.names,
  );
  if (!entry) return undefined;
  // Replicas still starting (a cold thread takes ~0.7 s, a parked warm one the model build):
  // this call runs on one thread meanwhile, with the same bits.
  if (!isReady(key, entry)) return undefined;
  // A pipelined call not collected yet holds the replicas' buffers: collect it first.
  entry.pending?.();
  const { pool, balance } = entry;
  const callCpu = threadCpuNs();
  let ownCpu = 0;
  const used = 1 + Math.min(pool.replicas, threads - 1);
  const chunk = chunkRows(n, used, pass, pool.maxRows);
  publishChanged(entry, model);
  const host = x.dataSync();
  const out = new Float32Array(n * k);
  /** Predicts rows [a, b) here, into out; returns this thread's CPU for it. */
  const predictHere = (a: number, b: number): number => {
    if (b <= a) return 0;
    const t = threadCpuNs();
    const mine = tf.tidy(
      () => here.predict(x.slice(a, b - a), { batchSize: Math.min(pass, b - a) }) as tf.Tensor,
    );
    out.set(mine.dataSync(), a * k);
    mine.dispose();
    return threadCpuNs() - t;
  };
  /** Starts replicas on [a, b) in `count` even parts; the started [replica, first row, rows]. */
  const startReplicas = (a: number, b: number, count: number): [number, number, number][] => {
    const started: [number, number, number][] = [];
    for (let r = 0; r < count && a < b; r++) {
      const size = Math.ceil((b - a) / (count - r));
      pool.start(r, host.subarray(a * rowLength, (a + size) * rowLength), size, command);
      started.push([r, a, size]);
      a += size;
    }
    return started;
  };
  const collect = (started: [number, number, number][], ownNs: number, overlapNs = 0): number[] => {
    const blocked = performance.now();
    const replicaCpu = started.map(([r, a]) => {
      out.set(pool.wait(r), a * k);
      parallelMeter.replicaWallNs += pool.commandWallNs?.(r) ?? 0;
      return pool.commandCpuNs?.(r) ?? NaN;
    });
    parallelMeter.mainBlockedNs += (performance.now() - blocked) * 1e6;
    meterRound(ownNs + overlapNs, replicaCpu);
    return replicaCpu;
  };
  const oneRound = pipelined && n <= chunk * used && Math.ceil(n / (used - 1)) <= pool.maxRows;
  if (!oneRound) {
    for (let start = 0; start < n; start += chunk * used) {
      const end = Math.min(n, start + chunk);
      const started = startReplicas(end, Math.min(n, start + chunk * used), used - 1);
      const own = predictHere(start, end);
      ownCpu += own;
      collect(started, own);
    }
    const result = tf.tensor2d(out, [n, k]);
    parallelMeter.mainOutsideNs += threadCpuNs() - callCpu - ownCpu;
    return { finish: () => result };
  }
  // One round, pipelined: the main thread takes the rows that balance its chunk plus the
  // caller's work against a replica's chunk; the replicas share the rest evenly.
  const mine = mainRows(n, used - 1, balance);
  const started = startReplicas(mine, n, used - 1);
  const own = predictHere(0, mine);
  const returned = threadCpuNs();
  parallelMeter.mainOutsideNs += returned - callCpu - own;
  let result: tf.Tensor | undefined;
  const finish = (): tf.Tensor => {
    if (result) return result;
    entry.pending = undefined;
    const t = threadCpuNs();
    // The caller's work from the return until it awaited ran beside the replicas: it counts in
    // the round, and the next call's cut balances it (a caller that awaits at once has none).
    const overlap = t - returned;
    const replicaCpu = collect(started, own, overlap);
    balance.betweenNs = average(balance.betweenNs, overlap);
    if (mine > 0) balance.mainNsPerRow = average(balance.mainNsPerRow, own / mine);
    started.forEach(([, , size], i) => {
      balance.replicaNsPerRow = average(balance.replicaNsPerRow, replicaCpu[i] / size);
    });
    result = tf.tensor2d(out, [n, k]);
    parallelMeter.mainOutsideNs += threadCpuNs() - t;
    return result;
  };
  entry.pending = () => void finish();
  return { finish };
}

/**
 * Rows the main thread predicts in a pipelined call of n rows beside `replicas` replicas: its
 * chunk plus the caller's work between calls should take a replica's chunk,
 * betweenNs + m * mainNsPerRow = (n - m) / replicas * replicaNsPerRow. An even share until the
 * pool has measured a call.
 */
export function mainRows(
  n: number,
  replicas: number,
  b: Pick<Balance, 'mainNsPerRow' | 'replicaNsPerRow' | 'betweenNs'>,
): number {
  const cm = b.mainNsPerRow;
  const cr = b.replicaNsPerRow / replicas;
  const s = Number.isFinite(b.betweenNs) ? b.betweenNs : 0;
  if (!(cm > 0) || !(cr > 0)) return Math.ceil(n / (replicas + 1));
  return Math.max(0, Math.min(n, Math.round((n * cr - s) / (cm + cr))));
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

/** Whether the pool's replicas hold the model; a pool that failed to start is dropped. */
function isReady(key: string, entry: Cached): boolean {
  let ready: boolean;
  try {
    ready = entry.pool.ready?.() ?? true;
  } catch {
    // A model the replicas cannot build (a custom layer not registered there): one thread.
    failed.add(key);
    clearTimeout(entry.timer);
    pools.delete(key);
    entry.pool.dispose();
    return false;
  }
  if (ready && !entry.metered) {
    meterStart(
      entry.pool.startCpuNs?.() ?? [],
      entry.pool.waited ?? entry.pool.ready === undefined,
    );
    entry.metered = true;
  }
  return ready;
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
    // Bounded threads: the least recently used pools park theirs (warm, for this one to take)
    // while the pools would hold more replicas than the machine's cores beside the main thread.
    const cap = Math.max(threads - 1, (dataParallelSetup()?.host().cores ?? threads) - 1);
    const held = (): number => [...pools.values()].reduce((a, c) => a + c.pool.replicas, 0);
    for (const other of [...pools.keys()]) if (held() + threads - 1 > cap) park(other);
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
      const setup = dataParallelSetup();
      if (setup?.stopWarmInference) warmStoppers.add(setup.stopWarmInference);
      cached = {
        pool,
        balance: { mainNsPerRow: NaN, replicaNsPerRow: NaN, betweenNs: NaN },
        timer: setTimeout(() => undefined, 0),
        published: [],
        metered: false,
      };
      pools.set(key, cached);
    } catch {
      // A model the replicas cannot build (a custom layer not registered there): one thread.
      failed.add(key);
      return undefined;
    }
  }
  if (!cached) return undefined;
  const entry = cached;
  // Most recently used last (the order the cap above parks in).
  pools.delete(key);
  pools.set(key, entry);
  clearTimeout(entry.timer);
  entry.timer = setTimeout(() => park(key), IDLE_MS);
  entry.timer.unref?.();
  return entry;
}
