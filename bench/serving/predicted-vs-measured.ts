/**
 * The moonshot figure of issue 17: the JIZHI simulator's predicted p50/p99 against the real
 * DeploymentRuntime's measured p50/p99 under open-loop Poisson load, for two zoo models, at
 * 0.2..0.8 of the measured capacity; then the tuned config, applied with reconfigure(), measured
 * against the SLO the simulator promised. One command:
 *
 *   node -r @swc-node/register bench/serving/predicted-vs-measured.ts [--quick] [--duration 30]
 *        [--models small-cnn,mobilenet] [--json out.json]
 *
 * Per model: build it (seeded), save it, start a runtime (1 instance, maxSize 8, maxDelayMs 2);
 * profile the service time per batch size through the runtime (src/serving/loop); measure the
 * overheads the stage models (timer lateness, reply hop); the capacity at full batches; then per
 * rate run the open-loop load (in process, latency from the scheduled send time) and simulate
 * the same config and rate (pooled seeds). Error = (predicted - measured) / measured.
 */
import * as tf from '@tensorflow/tfjs';
import { rm } from 'node:fs/promises';
import { FIGURE_BATCH, figureArgs, ms, pct, writeFigureJson, zooModelDir } from './figure-args';
import { LatencySketch } from '../../src/jizhi-sim/core/latency-sketch';
import { prepareSimulation } from '../../src/jizhi-sim/core/prepare-simulation';
import { selectBackend } from '../../src/ml/backend';
import { runOpenLoop, summarise, systemClock } from '../../src/serving/core/open-loop';
import { poissonSchedule } from '../../src/serving/core/poisson-schedule';
import { DEFAULT_PROFILE_OPTIONS, ServiceProfile } from '../../src/serving/core/service-profile';
import {
  DeploymentConfig,
  ServingOverheads,
  configCapacityRps,
  servingPipeline,
} from '../../src/serving/core/serving-pipeline';
import { tuneDeployment } from '../../src/serving/core/tune-deployment';
import { runtimeTarget } from '../../src/serving/loop/load-targets';
import {
  measureOverheads,
  profileRuntime,
  syntheticSample,
} from '../../src/serving/loop/runtime-measurements';
import { DeploymentRuntime } from '../../src/serving/runtime/deployment-runtime';

const args = figureArgs();
const { quick, durationS, warmupS, models, rhos, flag } = args;
const backend = (flag('backend') ?? 'wasm') as 'wasm' | 'cpu';
const SIM_SECONDS = 400;
const SIM_SEEDS = 3;

const BASE: DeploymentConfig = {
  instances: 1,
  batch: FIGURE_BATCH,
  queue: { capacity: 0, timeoutMs: 0 },
};

interface Row {
  model: string;
  rho: number;
  rateRps: number;
  predicted: { p50: number; p99: number };
  measured: { p50: number; p99: number; count: number; dropped: number; sendLagP99: number };
  err: { p50: number; p99: number };
}

function runtimeQueue(c: DeploymentConfig): { capacity: number; timeoutMs: number } {
  return {
    capacity: c.queue.capacity > 0 ? c.queue.capacity : 100_000,
    timeoutMs: c.queue.timeoutMs > 0 ? c.queue.timeoutMs : 600_000,
  };
}

/** The simulator's p50/p99 for a config at a rate, seeds pooled in one sketch. */
function predict(
  profile: ServiceProfile,
  config: DeploymentConfig,
  overheads: ServingOverheads,
  rateRps: number,
): { p50: number; p99: number; dropRate: number; meanBatch: number; meanWaitMs: number } {
  const sketch = new LatencySketch();
  let dropped = 0;
  let total = 0;
  let meanBatch = 0;
  let meanWaitMs = 0;
  for (let s = 0; s < SIM_SEEDS; s++) {
    const { simulation } = prepareSimulation({
      pipeline: servingPipeline(profile, config, overheads),
      traffic: { model: 'poisson', rateRps },
      durationS: SIM_SECONDS,
      warmupS: 10,
      seed: 100 + s,
      samplePoints: 0,
    });
    const r = simulation.run();
    sketch.merge(simulation.latencySketch());
    meanBatch += r.stages[0].meanBatchSize / SIM_SEEDS;
    meanWaitMs += r.stages[0].meanWaitMs / SIM_SEEDS;
    dropped += r.requests.dropped;
    total += r.requests.completed + r.requests.dropped;
  }
  return {
    p50: sketch.quantile(0.5) * 1000,
    p99: sketch.quantile(0.99) * 1000,
    dropRate: total > 0 ? dropped / total : 0,
    meanBatch,
    meanWaitMs,
  };
}

/** Open-loop Poisson load on the runtime; statistics skip requests scheduled in the warm-up. */
async function measure(rt: DeploymentRuntime, sample: Float32Array, rateRps: number, seed: number) {
  const schedule = poissonSchedule(rateRps, durationS, seed);
  // Where the time went, per served request: batch size, queue and service as the runtime saw them.
  let n = 0;
  let batchSum = 0;
  let queueSum = 0;
  let serviceSum = 0;
  const served = new Float64Array(schedule.length).fill(Number.NaN);
  const target = runtimeTarget(rt, sample, {
    onServed: (i, p) => {
      served[i] = p.queueMs + p.serviceMs;
      if (schedule[i] < warmupS * 1000) return;
      n++;
      // Per batch, as the simulator's items / batches (a mean over requests is E[B^2] / E[B]).
      batchSum += 1 / p.batchSize;
      queueSum += p.queueMs;
      serviceSum += p.serviceMs;
    },
  });
  const r = await runOpenLoop(schedule, target, systemClock, { drainTimeoutMs: 30_000 });
  let outside = 0;
  r.latencies.forEach((l, i) => {
    if (schedule[i] >= warmupS * 1000 && !Number.isNaN(l)) outside += l - served[i];
  });
  const kept = r.latencies.filter((x, i) => schedule[i] >= warmupS * 1000 && !Number.isNaN(x));
  return {
    summary: summarise(kept),
    dropped: r.scheduled - r.ok,
    dropRate: (r.scheduled - r.ok) / r.scheduled,
    sendLagP99: r.sendLagMs.p99,
    meanBatch: n / batchSum,
    meanQueueMs: queueSum / n,
    meanServiceMs: serviceSum / n,
    /** Scheduled send to predict() plus result to the caller: the generator's and the reply's share. */
    meanOutsideMs: outside / n,
  };
}

async function benchModel(name: string) {
  const dir = await zooModelDir(name, 'serving-bench');
  const rt = await DeploymentRuntime.start({
    modelDir: dir,
    instances: BASE.instances,
    batch: BASE.batch,
    queue: runtimeQueue(BASE),
    backend,
  });
  try {
    const t0 = performance.now();
    const profile = await profileRuntime(
      rt,
      {
        ...DEFAULT_PROFILE_OPTIONS,
        batchSizes: [1, 2, 4, 8],
        maxMsPerSize: quick ? 4000 : 15_000,
      },
      {},
    );
    const overheads = await measureOverheads(rt, profile);
    const capacity = configCapacityRps(profile, BASE);
    console.log(
      `\n## ${name}: backend ${rt.metrics().backend}, profiled in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    for (const r of profile.rows)
      console.log(
        `  batch ${r.batchSize}: n=${r.latenciesMs.length} mean ${ms(r.meanMs)} p50 ${ms(r.p50Ms)} p99 ${ms(r.p99Ms)} ms (CI +-${(r.p99RelCi * 100).toFixed(1)}%${r.converged ? '' : ', not converged'})`,
      );
    console.log(
      `  overheads: timer late ${ms(overheads.timerLateMs)} ms, outside queue and service (send + reply, at 0.3 load) ${overheads.replyMs.toFixed(3)} ms; capacity at maxSize ${BASE.batch.maxSize}: ${capacity.toFixed(0)} req/s`,
    );
    const sample = syntheticSample(rt.metrics().inputShape, 3);
    const rows: Row[] = [];
    console.log(
      '\n| rho | rate (req/s) | predicted p50 / p99 (ms) | measured p50 / p99 (ms) | error p50 / p99 | batch sim / real | wait sim / real (ms) | real service, outside (ms) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [k, rho] of rhos.entries()) {
      const rateRps = rho * capacity;
      const p = predict(profile, BASE, overheads, rateRps);
      const m = await measure(rt, sample, rateRps, 1000 + k);
      const row: Row = {
        model: name,
        rho,
        rateRps,
        predicted: { p50: p.p50, p99: p.p99 },
        measured: {
          p50: m.summary.p50,
          p99: m.summary.p99,
          count: m.summary.count,
          dropped: m.dropped,
          sendLagP99: m.sendLagP99,
        },
        err: { p50: p.p50 / m.summary.p50 - 1, p99: p.p99 / m.summary.p99 - 1 },
      };
      rows.push(row);
      console.log(
        `| ${rho} | ${rateRps.toFixed(0)} | ${ms(p.p50)} / ${ms(p.p99)} | ${ms(m.summary.p50)} / ${ms(m.summary.p99)} | ${pct(row.err.p50)} / ${pct(row.err.p99)} | ${p.meanBatch.toFixed(2)} / ${m.meanBatch.toFixed(2)} | ${ms(p.meanWaitMs)} / ${ms(m.meanQueueMs)} | ${ms(m.meanServiceMs)}, ${ms(m.meanOutsideMs)} |`,
      );
    }

    // Tune for 0.6 of the one-instance capacity with a p99 SLO of twice the profiled p99 of a
    // full batch plus 5 ms (room for queueing and the batch window), apply, and measure against
    // what the simulator promised.
    const rateRps = 0.6 * capacity;
    const full = profile.rows[profile.rows.length - 1];
    const slo = { p99Ms: Math.round(2 * full.p99Ms + 5), maxDropRate: 0.01 };
    const tuning = await tuneDeployment({
      profile,
      traffic: { model: 'poisson', rateRps },
      slo,
      overheads,
      maxInstances: 2,
      durationS: 120,
    });
    let tuned: Record<string, unknown> = { slo, rateRps, config: null };
    if (tuning.config && tuning.predicted) {
      const c = tuning.config;
      await rt.reconfigure({ instances: c.instances, batch: c.batch, queue: runtimeQueue(c) });
      const m = await measure(rt, sample, rateRps, 77);
      const met = m.summary.p99 <= slo.p99Ms && m.dropRate <= slo.maxDropRate;
      console.log(
        `\ntuned for ${rateRps.toFixed(0)} req/s, SLO p99 <= ${slo.p99Ms} ms, drops <= ${slo.maxDropRate}: ` +
          `${JSON.stringify(c)}; predicted p50/p99 ${ms(tuning.predicted.p50Ms)}/${ms(tuning.predicted.p99Ms)} ms drops ${tuning.predicted.dropRate.toFixed(4)}; ` +
          `measured ${ms(m.summary.p50)}/${ms(m.summary.p99)} ms drops ${m.dropRate.toFixed(4)}: SLO ${met ? 'MET' : 'MISSED'}`,
      );
      tuned = {
        slo,
        rateRps,
        config: c,
        predicted: tuning.predicted,
        measured: { ...m.summary, dropRate: m.dropRate },
        met,
      };
    } else {
      console.log(`\ntuned: no config meets p99 <= ${slo.p99Ms} ms at ${rateRps.toFixed(0)} req/s`);
    }
    return {
      model: name,
      profile: profile.rows.map(({ latenciesMs: _, ...r }) => r),
      overheads,
      capacity,
      rows,
      tuned,
    };
  } finally {
    await rt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await selectBackend(backend);
  console.log(
    `predicted-vs-measured: ${models.join(', ')}; ${durationS} s per rate (first ${warmupS} s discarded); simulator ${SIM_SECONDS} s x ${SIM_SEEDS} seeds; tf ${tf.version.tfjs}`,
  );
  const out = [];
  for (const m of models) out.push(await benchModel(m));
  await writeFigureJson(args, out);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
