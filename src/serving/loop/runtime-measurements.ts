import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Rng } from '../../platform/core/rng';
import type { ContentionProfile } from '../core/cpu-contention';
import { quantileSorted, runOpenLoop, systemClock } from '../core/open-loop';
import { poissonSchedule } from '../core/poisson-schedule';
import {
  MeasureBatch,
  ProfileHooks,
  ProfileOptions,
  ServiceProfile,
  profileService,
} from '../core/service-profile';
import { ServingOverheads, configCapacityRps } from '../core/serving-pipeline';
import { batchHandoff } from '../runtime/batch-loop-time';
import type { DeploymentRuntime } from '../runtime/deployment-runtime';
import { runtimeTarget } from './load-targets';

/** A seeded sample of the model's input size (the values do not change a CNN's cost). */
export function syntheticSample(inputShape: readonly number[], seed = 0): Float32Array {
  const rng = new Rng(seed);
  const n = inputShape.reduce((a, d) => a * d, 1);
  return Float32Array.from({ length: n }, () => rng.float());
}

/**
 * Profiles a running deployment's instances through its own batcher, so the measured service
 * time is what the batcher waits for (dispatch to result, thread hand-off included, as
 * `PredictResult.serviceMs`). For batch size b, every instance gets one batch at once: the
 * batch window is opened wide (maxSize b, maxDelayMs 1 s) and instances x b requests are sent
 * together, so the instances run side by side as under load (they share the host's cores). The
 * deployment's batching and queue settings are restored afterwards; requests arriving meanwhile
 * are batched with the profile's.
 */
export async function profileRuntime(
  rt: DeploymentRuntime,
  options: ProfileOptions,
  hooks: Omit<ProfileHooks, 'now'>,
): Promise<ServiceProfile> {
  const before = rt.metrics().config;
  const sample = syntheticSample(rt.metrics().inputShape, options.seed);
  const measure: MeasureBatch = async (b) => {
    const n = rt.metrics().instances * b;
    const results = await Promise.all(Array.from({ length: n }, () => rt.predict(sample)));
    // One service time per batch: the requests of a batch share instance and serviceMs.
    const batches = new Map<string, number>();
    for (const r of results)
      if (r.batchSize === b) batches.set(`${r.instance}:${r.serviceMs}`, r.serviceMs);
    return [...batches.values()];
  };
  const maxSize = Math.max(...options.batchSizes);
  await rt.reconfigure({
    queue: { capacity: Math.max(before.queue.capacity, maxSize * before.instances * 2) },
  });
  try {
    return await profileService(
      async (b) => {
        await rt.reconfigure({ batch: { maxSize: b, maxDelayMs: 1000 } });
        return measure(b);
      },
      options,
      { ...hooks, now: () => performance.now() },
    );
  } finally {
    await rt.reconfigure({ batch: before.batch, queue: before.queue });
  }
}

/**
 * How late `setTimeout(fn, d)` fires on this host: the mean of (elapsed - d) over `samples`
 * timers of each delay. The batcher's maxDelayMs window is such a timer.
 */
export async function measureTimerLateness(
  delaysMs: readonly number[] = [1, 2, 4, 8],
  samples = 50,
): Promise<{ meanLateMs: number; p99LateMs: number }> {
  const late: number[] = [];
  for (const d of delaysMs) {
    for (let k = 0; k < samples; k++) {
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, d));
      late.push(performance.now() - t0 - d);
    }
  }
  const sorted = Float64Array.from(late).sort();
  return {
    meanLateMs: late.reduce((a, x) => a + x, 0) / late.length,
    p99LateMs: quantileSorted(sorted, 0.99),
  };
}

/**
 * The time a request spends outside the batcher's queue and the instance (`replyMs` of the
 * simulator's stage): from its scheduled send time to predict(), and from the batch's result to
 * the caller's promise. Both are main-thread work (timers, message hand-off, promise jobs) that
 * grows with the event loop's load, so it is measured under load: an open-loop Poisson run of
 * `seconds` at `rateRps`, mean of latency - queueMs - serviceMs over the served requests.
 */
export async function measureReplyMs(
  rt: DeploymentRuntime,
  rateRps: number,
  seconds = 3,
): Promise<number> {
  const sample = syntheticSample(rt.metrics().inputShape, 1);
  const schedule = poissonSchedule(rateRps, seconds, 7);
  const inside = new Float64Array(schedule.length).fill(Number.NaN);
  const target = runtimeTarget(rt, sample, {
    onServed: (i, r) => (inside[i] = r.queueMs + r.serviceMs),
  });
  const report = await runOpenLoop(schedule, target, systemClock, { drainTimeoutMs: 30_000 });
  let sum = 0;
  let n = 0;
  report.latencies.forEach((l, i) => {
    if (Number.isNaN(l) || Number.isNaN(inside[i])) return;
    sum += l - inside[i];
    n++;
  });
  return n > 0 ? Math.max(0, sum / n) : 0;
}

/** A thread that keeps one core busy until terminated (a competitor for the contention profile). */
function spinner(): Worker {
  return new Worker('for (;;) {}', { eval: true });
}

/**
 * How a full batch slows down when k other threads are busy (k = 0..cores): the mean service
 * time of `batches` batches of `batchSize` (sent as in profileRuntime) with k spinning threads,
 * over the mean with none. Measured on the running deployment's instances, so the slowdown is
 * this host's (cores, hyper-threads, caches), not processor sharing's ideal.
 */
export async function measureContention(
  rt: DeploymentRuntime,
  batchSize: number,
  batches = 60,
): Promise<ContentionProfile> {
  const cores = availableParallelism();
  const before = rt.metrics().config;
  const sample = syntheticSample(rt.metrics().inputShape, 5);
  const meanServiceMs = async (): Promise<number> => {
    let sum = 0;
    for (let i = 0; i < batches; i++) {
      const n = rt.metrics().instances * batchSize;
      const results = await Promise.all(Array.from({ length: n }, () => rt.predict(sample)));
      sum += results.reduce((a, r) => a + r.serviceMs, 0) / results.length;
    }
    return sum / batches;
  };
  await rt.reconfigure({ batch: { maxSize: batchSize, maxDelayMs: 1000 } });
  const means: number[] = [];
  let freeCores: number | undefined;
  try {
    await meanServiceMs(); // warm
    // The cores other processes leave free, measured over the run without spinners.
    const others = othersBusyCores();
    means.push(await meanServiceMs());
    freeCores = Math.max(0, cores - others());
    for (let k = 1; k <= cores; k++) {
      const spinners = Array.from({ length: k }, spinner);
      try {
        await new Promise((r) => setTimeout(r, 50)); // let them start spinning
        means.push(await meanServiceMs());
      } finally {
        await Promise.all(spinners.map((w) => w.terminate()));
      }
    }
  } finally {
    await rt.reconfigure({ batch: before.batch });
  }
  // More competitors never make a batch faster: a dip is noise, so the curve is kept monotone.
  const slowdown: number[] = [];
  for (const m of means) slowdown.push(Math.max(1, m / means[0], slowdown.at(-1) ?? 1));
  return { cores, slowdown, ...(freeCores !== undefined ? { freeCores } : {}) };
}

/**
 * Starts a measurement of the cores busy with OTHER processes' work (the host's busy CPU time
 * from os.cpus(), minus this process's own, process.cpuUsage(), over the wall time); call the
 * returned function at the end.
 */
function othersBusyCores(): () => number {
  const total = () =>
    cpus().reduce((a, c) => a + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  const t0 = performance.now();
  const busy0 = total();
  const own0 = process.cpuUsage();
  return () => {
    const wallMs = performance.now() - t0;
    if (wallMs <= 0) return 0;
    const own = process.cpuUsage(own0);
    const ownMs = (own.user + own.system) / 1000;
    return Math.max(0, (total() - busy0 - ownMs) / wallMs);
  };
}

/**
 * The overheads the simulator's stage models, measured on this host and runtime; the reply hop
 * at `load` (default 0.3) of the profiled capacity of the running config; the contention
 * profile on a full batch of the config (or the largest profiled size).
 */
export async function measureOverheads(
  rt: DeploymentRuntime,
  profile: ServiceProfile,
  load = 0.3,
): Promise<ServingOverheads> {
  const timer = await measureTimerLateness();
  const c = rt.metrics().config;
  const covered = profile.rows.some((r) => r.batchSize >= c.batch.maxSize);
  const b = covered ? c.batch.maxSize : Math.max(...profile.rows.map((r) => r.batchSize));
  const capacity = configCapacityRps(profile, {
    instances: c.instances,
    batch: { maxSize: b, maxDelayMs: c.batch.maxDelayMs },
    queue: { capacity: 0, timeoutMs: 0 },
  });
  // The thread hand-off of the batches of the reply run (an otherwise idle event loop, as the
  // profile's): the baseline the served traffic's hand-off is compared with.
  const before = { ...batchHandoff };
  const replyMs = await measureReplyMs(rt, load * capacity);
  const batches = batchHandoff.batches - before.batches;
  return {
    timerLateMs: timer.meanLateMs,
    replyMs,
    ...(batches > 0 ? { handoffMs: (batchHandoff.ms - before.ms) / batches } : {}),
    contention: await measureContention(rt, b),
  };
}
