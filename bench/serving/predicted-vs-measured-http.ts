/**
 * The moonshot figure of issue 17 over the real HTTP endpoint: the simulator's predicted
 * p50/p99 against the measured p50/p99 of `POST /v1/serve/:name/predict` (binary body) under
 * open-loop Poisson load, for two zoo models at 0.2..0.8 of the measured HTTP capacity; then a
 * tuned config applied through REST and measured against the SLO the simulator promised.
 * One command:
 *
 *   nice -n 10 node -r @swc-node/register bench/serving/predicted-vs-measured-http.ts [--quick]
 *        [--duration 25] [--models small-cnn,mobilenet] [--json out.json]
 *
 * (BENCH_DATABASE_URL or TEST_DATABASE_URL: a PostgreSQL server for the API's scratch database.)
 * The API runs in a child process (bench/serving/http-server.ts); this process is the client.
 * Per model: profile the model's service time per batch size in a runtime of this process (as
 * the profile job does in a worker), with the timer lateness and the contention profile; create
 * the deployment (1 instance, maxSize 8, maxDelayMs 2); measure the HTTP capacity (closed loop);
 * calibrate at 0.25 of it, every request traced: the event loop's time on the requests' path
 * per request and per batch, and the hop outside the API (generator, sockets), from the traces
 * (src/serving/core/request-path-calibration.ts); the wake-up delay and the hand-off under
 * traffic from the API's meter (GET /v1/deployments/:id `requestPath`); the generator's CPU per
 * request. Then per rate: simulate (two passes: the first gives the threads' utilisations, the
 * second applies the measured contention) and measure; the last column is the model under the
 * earlier calibration (the meter's loop busy time, the residual hop) on the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { rm } from 'node:fs/promises';
import {
  FIGURE_BATCH,
  FIGURE_MODELS,
  figureArgs,
  ms,
  pct,
  writeFigureJson,
  zooModelDir,
} from './figure-args';
import { LatencySketch } from '../../src/jizhi-sim/core/latency-sketch';
import { prepareSimulation } from '../../src/jizhi-sim/core/prepare-simulation';
import type { SimulationResult } from '../../src/jizhi-sim/core/simulation-result';
import { selectBackend } from '../../src/ml/backend';
import { runOpenLoop, summarise, systemClock } from '../../src/serving/core/open-loop';
import { poissonSchedule } from '../../src/serving/core/poisson-schedule';
import { slowdownAt } from '../../src/serving/core/cpu-contention';
import { DEFAULT_PROFILE_OPTIONS, ServiceProfile } from '../../src/serving/core/service-profile';
import {
  ContentionLoad,
  DeploymentConfig,
  REQUEST_PATH_STAGE_ID,
  SERVING_STAGE_ID,
  ServingOverheads,
  configCapacityRps,
  contentionFactor,
  contentionLoadOf,
  eventLoopContentionFactor,
  servingPipeline,
} from '../../src/serving/core/serving-pipeline';
import { tuneDeployment } from '../../src/serving/core/tune-deployment';
import { httpRowsTarget, ServedFigures } from '../../src/serving/loop/load-targets';
import {
  measureOverheads,
  profileRuntime,
  syntheticSample,
} from '../../src/serving/loop/runtime-measurements';
import { DeploymentRuntime } from '../../src/serving/runtime/deployment-runtime';
import { ApiServer, startApiServer } from './http-server';
import { printTimelines, TimelineRecorder, type TimelineReport } from './timeline-report';

const args = figureArgs();
const { quick, durationS, warmupS, models, rhos } = args;
const SIM_SECONDS = quick ? 200 : 400;
const SIM_SEEDS = 3;

const MODELS = FIGURE_MODELS;

const BASE: DeploymentConfig = {
  instances: 1,
  batch: FIGURE_BATCH,
  queue: { capacity: 4096, timeoutMs: 30_000 },
};

interface Prediction {
  p50: number;
  p99: number;
  dropRate: number;
  meanBatch: number;
  meanWaitMs: number;
  httpWaitMs: number;
  /** Requests per simulated event-loop turn. */
  turn: number;
  factor: number;
}

/** Simulated p50/p99 at a rate, seeds pooled; two passes when contention is measured. */
function predict(
  profile: ServiceProfile,
  config: DeploymentConfig,
  overheads: ServingOverheads,
  rateRps: number,
  clientMs: number,
): Prediction {
  const run = (load: ContentionLoad | undefined, seed: number) =>
    prepareSimulation({
      pipeline: servingPipeline(profile, config, overheads, load),
      traffic: { model: 'poisson', rateRps },
      durationS: SIM_SECONDS,
      warmupS: 10,
      seed,
      samplePoints: 0,
    }).simulation;
  const others = [Math.min(1, (rateRps * clientMs) / 1000)];
  const first: SimulationResult = run(undefined, 99).run();
  const load = overheads.contention ? contentionLoadOf(first, others) : undefined;
  const sketch = new LatencySketch();
  let dropped = 0;
  let total = 0;
  let meanBatch = 0;
  let meanWaitMs = 0;
  let httpWaitMs = 0;
  let turn = 0;
  for (let s = 0; s < SIM_SEEDS; s++) {
    const sim = run(load, 100 + s);
    const r = sim.run();
    sketch.merge(sim.latencySketch());
    const model = r.stages.find((x) => x.id === SERVING_STAGE_ID);
    const http = r.stages.find((x) => x.id === REQUEST_PATH_STAGE_ID);
    meanBatch += (model?.meanBatchSize ?? 0) / SIM_SEEDS;
    meanWaitMs += (model?.meanWaitMs ?? 0) / SIM_SEEDS;
    httpWaitMs += (http?.meanWaitMs ?? 0) / SIM_SEEDS;
    turn += (http?.meanBatchSize ?? 0) / SIM_SEEDS;
    dropped += r.requests.dropped;
    total += r.requests.completed + r.requests.dropped;
  }
  return {
    p50: sketch.quantile(0.5) * 1000,
    p99: sketch.quantile(0.99) * 1000,
    dropRate: total > 0 ? dropped / total : 0,
    meanBatch,
    meanWaitMs,
    httpWaitMs,
    turn,
    factor: load ? contentionFactor(overheads, config.instances, load) : 1,
  };
}

function simulateOnce(
  profile: ServiceProfile,
  overheads: ServingOverheads,
  rateRps: number,
): SimulationResult {
  return prepareSimulation({
    pipeline: servingPipeline(profile, BASE, overheads),
    traffic: { model: 'poisson', rateRps },
    durationS: 100,
    warmupS: 5,
    seed: 98,
    samplePoints: 0,
  }).simulation.run();
}

interface Replayed {
  p50: number;
  p99: number;
  mean: number;
  batch: number;
}

/**
 * The model on a trace of real arrival times (seconds from the run's start): p50 / p99 / mean
 * and the model stage's mean batch, or why not. Two passes as predict(); `others`: the busy
 * fractions of the threads outside the pipeline (the generator; the event loop too when the
 * pipeline is the batcher alone). Statistics skip the warm-up like measure().
 */
function replayOn(
  profile: ServiceProfile,
  config: DeploymentConfig,
  overheads: ServingOverheads,
  timestampsS: number[],
  others: number[],
): Replayed | string {
  try {
    const run = (load: ContentionLoad | undefined) =>
      prepareSimulation({
        pipeline: servingPipeline(profile, config, overheads, load),
        traffic: { model: 'replay', timestampsS },
        durationS: timestampsS[timestampsS.length - 1] + 1,
        warmupS,
        seed: 97,
        samplePoints: 0,
      }).simulation.run();
    const first = run(undefined);
    const r = overheads.contention ? run(contentionLoadOf(first, others)) : first;
    const model = r.stages.find((x) => x.id === SERVING_STAGE_ID);
    return {
      p50: r.latencyMs.p50,
      p99: r.latencyMs.p99,
      mean: r.latencyMs.mean,
      batch: model?.meanBatchSize ?? 0,
    };
  } catch (e) {
    return (e as Error).message.slice(0, 60);
  }
}

const replayText = (r: Replayed | string): string =>
  typeof r === 'string' ? r : `${ms(r.p50)} / ${ms(r.p99)}, ${r.batch.toFixed(2)}`;

/** Open-loop load over HTTP; statistics skip the warm-up; the runtime's figures per request. */
async function measure(
  url: string,
  key: string,
  row: Float32Array,
  rateRps: number,
  seed: number,
  seconds = durationS,
) {
  const schedule = poissonSchedule(rateRps, seconds, seed);
  const figures: (ServedFigures | undefined)[] = new Array(schedule.length);
  // Every request traced (the API runs with AUTODL_SERVING_TRACE=1): the timeline per segment.
  const timeline = new TimelineRecorder();
  const target = httpRowsTarget(url, row, {
    headers: { authorization: `Bearer ${key}` },
    onServed: (i, f) => (figures[i] = f),
    onTrace: timeline.onTrace,
  });
  const cpu0 = process.cpuUsage();
  timeline.start();
  const r = await runOpenLoop(schedule, target, systemClock, { drainTimeoutMs: 30_000 });
  const cpu = process.cpuUsage(cpu0);
  const timelineReport = timeline.finish(schedule, r, figures, warmupS * 1000);
  let n = 0;
  let batch = 0;
  let queue = 0;
  let service = 0;
  let outside = 0;
  const kept: number[] = [];
  r.latencies.forEach((l, i) => {
    const f = figures[i];
    if (schedule[i] < warmupS * 1000 || Number.isNaN(l) || !f) return;
    kept.push(l);
    n++;
    // Batches, not requests: a batch of b is b requests of 1/b batch each (the simulator's
    // meanBatchSize is items / batches; a mean over requests would be E[B^2] / E[B]).
    batch += 1 / f.batchSize;
    queue += f.queueMs;
    service += f.serviceMs;
    outside += l - f.queueMs - f.serviceMs;
  });
  // The times the generator really sent (its timer wakes late and sends the due requests
  // together), for a simulation of the server alone on the real arrivals.
  const sentS = Array.from(schedule, (t, i) => (t + r.sendLagsMs[i]) / 1000).sort((a, b) => a - b);
  return {
    sentS,
    timeline: timelineReport,
    summary: summarise(Float64Array.from(kept)),
    dropRate: (r.scheduled - r.ok) / r.scheduled,
    sendLagP99: r.sendLagMs.p99,
    meanBatch: n / batch,
    meanQueueMs: queue / n,
    meanServiceMs: service / n,
    /** Latency outside the runtime's queue and service: generator, HTTP, event loop, reply. */
    meanOutsideMs: outside / n,
    /** The generator's CPU per request, ms. */
    clientMs: (cpu.user + cpu.system) / 1000 / Math.max(1, r.sent),
  };
}

/** Requests per second a closed loop of 32 clients gets through the endpoint. */
async function httpCapacity(url: string, key: string, row: Float32Array, seconds: number) {
  const bytes = new Uint8Array(row.buffer.slice(0));
  const headers = {
    authorization: `Bearer ${key}`,
    'content-type': 'application/octet-stream',
    accept: 'application/octet-stream',
  };
  let ok = 0;
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < until) {
        const res = await fetch(url, { method: 'POST', headers, body: bytes });
        await res.arrayBuffer();
        if (res.ok) ok++;
      }
    }),
  );
  return ok / ((performance.now() - t0) / 1000);
}

/** The loop's time per request and its per-batch part, at `batchSize` requests per batch. */
interface LoopCalibration {
  eventLoopMs: number;
  perBatchMs: number;
  batchSize: number;
}

/**
 * The model's overheads from a loop calibration and a hop. The loop was measured under the
 * calibration's contention; the model wants it alone and applies each rate's contention
 * (first pass of a simulation at the calibration rate gives the threads' utilisations).
 */
function overheadsFrom(
  profile: ServiceProfile,
  runtime: ServingOverheads,
  loop: LoopCalibration,
  shared: { wakeDelayMs: number; handoffMs?: number },
  hop: { ms: number; minMs?: number },
  calRate: number,
  clientMs: number,
): ServingOverheads {
  const requestPath = (scale: number): NonNullable<ServingOverheads['requestPath']> => ({
    eventLoopMs: loop.eventLoopMs * scale,
    ...(loop.perBatchMs > 0 && loop.batchSize > 0
      ? { perBatchMs: loop.perBatchMs * scale, batchSize: loop.batchSize }
      : {}),
    ...(shared.wakeDelayMs > 0 ? { wakeDelayMs: shared.wakeDelayMs } : {}),
    // The thread hand-off per batch under this traffic; the model adds what it exceeds the
    // profile's (runtime.handoffMs) by to every batch.
    ...(shared.handoffMs !== undefined ? { handoffMs: shared.handoffMs } : {}),
  });
  const calOverheads: ServingOverheads = { ...runtime, replyMs: 0, requestPath: requestPath(1) };
  const calLoop = eventLoopContentionFactor(
    calOverheads,
    BASE.instances,
    contentionLoadOf(simulateOnce(profile, calOverheads, calRate), [
      Math.min(1, (calRate * clientMs) / 1000),
    ]),
  );
  return {
    ...runtime,
    replyMs: hop.ms,
    ...(hop.minMs !== undefined ? { replyMinMs: hop.minMs } : {}),
    requestPath: requestPath(1 / calLoop),
  };
}

async function profileModel(dir: string) {
  const rt = await DeploymentRuntime.start({
    modelDir: dir,
    instances: BASE.instances,
    batch: BASE.batch,
    queue: { capacity: 100_000, timeoutMs: 600_000 },
    backend: 'wasm',
  });
  try {
    const profile = await profileRuntime(
      rt,
      { ...DEFAULT_PROFILE_OPTIONS, batchSizes: [1, 2, 4, 8], maxMsPerSize: quick ? 4000 : 15_000 },
      {},
    );
    return { profile, overheads: await measureOverheads(rt, profile) };
  } finally {
    await rt.stop();
  }
}

async function benchModel(api: ApiServer, name: string) {
  const spec = MODELS[name];
  const dir = await zooModelDir(name, 'serving-http');
  try {
    const t0 = performance.now();
    const { profile, overheads: runtimeOverheads } = await profileModel(dir);
    const c = runtimeOverheads.contention;
    console.log(
      `\n## ${name}: profiled in ${((performance.now() - t0) / 1000).toFixed(0)} s; ` +
        profile.rows
          .map((r) => `batch ${r.batchSize} mean ${ms(r.meanMs)} p99 ${ms(r.p99Ms)}`)
          .join(', ') +
        `; timer late ${ms(runtimeOverheads.timerLateMs)} ms` +
        (c
          ? `; contention x${c.slowdown.map((x) => x.toFixed(2)).join(' / x')} with 0..${c.slowdown.length - 1} busy threads on ${c.cores} cores (${c.freeCores?.toFixed(2) ?? '?'} free: bounded to x${c.slowdown.map((_, k) => slowdownAt(c, k).toFixed(2)).join(' / x')})`
          : ''),
    );
    await api.call('POST', '/v1/models', {
      name,
      architecture: name,
      inputShape: spec.inputShape,
      classNames: Array.from({ length: spec.numClasses }, (_, i) => `c${i}`),
      seed: 1,
    });
    const d = await api.call<{ id: string }>('POST', '/v1/deployments', {
      model: name,
      name,
      instances: BASE.instances,
      batch: BASE.batch,
      queue: BASE.queue,
    });
    const url = `${api.url}/v1/serve/${name}/predict`;
    const row = syntheticSample(spec.inputShape, 3);
    const runtimeCapacity = configCapacityRps(profile, BASE);
    await httpCapacity(url, api.key, row, 1);
    const capacity = Math.min(
      runtimeCapacity,
      await httpCapacity(url, api.key, row, quick ? 3 : 6),
    );
    // Calibration at 0.25 of the HTTP capacity, every request traced: the loop's time on the
    // requests' path per request and per batch, and the hop outside the API, from the traces
    // (src/serving/core/request-path-calibration.ts); the generator's CPU. The meter's figures
    // (GET /v1/deployments/:id `requestPath`, its last 10 windows: this run's) give the wake-up
    // delay and the hand-off under traffic, and the earlier calibration for comparison.
    const calRate = 0.25 * capacity;
    const cal = await measure(url, api.key, row, calRate, 5, Math.max(12, durationS));
    const view = await api.call<{
      requestPath: {
        eventLoopMs: number;
        perBatchMs?: number;
        batchSize?: number;
        wakeDelayMs?: number;
        handoffMs?: number;
      } | null;
    }>('GET', `/v1/deployments/${d.id}`);
    const meter = view.requestPath;
    const traced = cal.timeline.requestPath;
    // The earlier calibration: the meter's busy time per request (all of the loop's wall busy
    // time over the predicts), bounded by 1000 / capacity, and the hop as the residual.
    const meteredMs = meter?.eventLoopMs ?? 0;
    const meteredLoop: LoopCalibration = {
      eventLoopMs: Math.min(meteredMs, 1000 / capacity),
      perBatchMs: Math.min(
        meter?.perBatchMs ?? 0,
        Math.min(meteredMs, 1000 / capacity) * (meter?.batchSize ?? 1),
      ),
      batchSize: meter?.batchSize ?? 0,
    };
    const rhoMetered = Math.min(0.95, (calRate * meteredLoop.eventLoopMs) / 1000);
    const meteredHopMs = Math.max(
      0,
      cal.meanOutsideMs -
        meteredLoop.eventLoopMs -
        (rhoMetered * meteredLoop.eventLoopMs) / (2 * (1 - rhoMetered)),
    );
    const shared = {
      wakeDelayMs: meter?.wakeDelayMs ?? 0,
      handoffMs: meter?.handoffMs,
    };
    const build = (loop: LoopCalibration, hop: { ms: number; minMs?: number }) =>
      overheadsFrom(profile, runtimeOverheads, loop, shared, hop, calRate, cal.clientMs);
    const before = build(meteredLoop, { ms: meteredHopMs });
    // The traces' calibration; the meter's where no request was traced (an API without
    // AUTODL_SERVING_TRACE=1).
    const overheads = traced ? build(traced, { ms: traced.hopMs, minMs: traced.hopMinMs }) : before;
    const eventLoopMs = traced?.eventLoopMs ?? meteredLoop.eventLoopMs;
    console.log(
      `  HTTP capacity (32 closed-loop clients, binary) ${capacity.toFixed(0)} req/s (runtime alone ${runtimeCapacity.toFixed(0)}); ` +
        `at ${calRate.toFixed(0)} req/s: event loop on the path ${traced ? traced.eventLoopMs.toFixed(3) : '?'} ms/request traced ` +
        `(alone ${overheads.requestPath?.eventLoopMs.toFixed(3)}; per batch ${traced?.perBatchMs.toFixed(3) ?? '?'} at batches of ${traced?.batchSize.toFixed(2) ?? '?'}; ` +
        `${traced ? `${traced.requestsPerTurn.toFixed(2)} requests and ${traced.msPerTurn.toFixed(3)} ms per busy stretch` : ''}) ` +
        `against ${meteredMs.toFixed(3)} metered (bounded ${meteredLoop.eventLoopMs.toFixed(3)}, alone ${before.requestPath?.eventLoopMs.toFixed(3)}); ` +
        `wake-up delay ${shared.wakeDelayMs.toFixed(3)}; thread hand-off ${meter?.handoffMs?.toFixed(3) ?? '?'} ms per batch, profile ${runtimeOverheads.handoffMs?.toFixed(3) ?? '?'}; generator ${cal.clientMs.toFixed(3)} ms/request; ` +
        `outside queue and service ${ms(cal.meanOutsideMs)} ms -> hop ${ms(overheads.replyMs)} ms traced (outside the API; floor ${traced ? ms(traced.hopMinMs) : '?'} + exponential), ${ms(before.replyMs)} as the residual`,
    );
    console.log(
      '\n| rho | rate (req/s) | predicted p50 / p99 (ms) | measured p50 / p99 (ms) | error p50 / p99 | batch sim / real | wait sim / real (ms) | contention x | real service, outside (ms) | sim event-loop wait (ms), requests per turn | sim on the real send times: p50 / p99, batch | metered calibration (before): predicted p50 / p99, error |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const rows = [];
    const stages: string[] = [];
    const timelines: { title: string; report: TimelineReport }[] = [
      { title: `calibration ${calRate.toFixed(0)} req/s`, report: cal.timeline },
    ];
    for (const [k, rho] of rhos.entries()) {
      const rateRps = rho * capacity;
      let p: Prediction;
      try {
        p = predict(profile, BASE, overheads, rateRps, cal.clientMs);
      } catch (e) {
        // The simulator refuses a stage at utilisation >= 1 (no steady state to predict).
        console.log(
          `| ${rho} | ${rateRps.toFixed(0)} | unstable: ${(e as Error).message} | | | | | | | |`,
        );
        continue;
      }
      // The same rate under the meter's calibration (the model before the traces), same run.
      let pBefore: Prediction | string;
      try {
        pBefore = predict(profile, BASE, before, rateRps, cal.clientMs);
      } catch (e) {
        pBefore = (e as Error).message.slice(0, 40);
      }
      const m = await measure(url, api.key, row, rateRps, 1000 + k);
      timelines.push({ title: `rho ${rho} (${rateRps.toFixed(0)} req/s)`, report: m.timeline });
      const err = { p50: p.p50 / m.summary.p50 - 1, p99: p.p99 / m.summary.p99 - 1 };
      // Diagnosis, not prediction: the same model on the arrivals as really sent.
      const client = Math.min(1, (rateRps * cal.clientMs) / 1000);
      const replayed = replayText(replayOn(profile, BASE, overheads, m.sentS, [client]));
      // Stage by stage on the server's own stamps: the http stage and the batcher on the
      // 'request' events (no reply hop: compared with the API's own latency), and the batcher
      // alone on its real submits (compared with its queue + service).
      const serverSide = replayOn(
        profile,
        BASE,
        { ...overheads, replyMs: 0 },
        m.timeline.arrivalsS,
        [client],
      );
      const batcherSide = replayOn(
        profile,
        BASE,
        // No http stage (no loop time) but the loop's hand-off excess kept on the batches.
        {
          ...overheads,
          replyMs: 0,
          requestPath: { eventLoopMs: 0, handoffMs: overheads.requestPath?.handoffMs },
        },
        m.timeline.enqueuesS,
        [client, Math.min(1, (rateRps * eventLoopMs) / 1000)],
      );
      stages.push(
        `| ${rho} | ${ms(m.timeline.serverMs.p50)} / ${ms(m.timeline.serverMs.p99)} | ${replayText(serverSide)} | ` +
          `${ms(m.timeline.batcherMs.mean)} / ${ms(m.timeline.batcherMs.p99)}, ${m.meanBatch.toFixed(2)} | ` +
          `${typeof batcherSide === 'string' ? batcherSide : `${ms(batcherSide.mean)} / ${ms(batcherSide.p99)}, ${batcherSide.batch.toFixed(2)}`} | ` +
          `${ms(m.summary.mean - m.timeline.serverMs.mean)} | ${ms(overheads.replyMs)} |`,
      );
      const beforeText =
        typeof pBefore === 'string'
          ? pBefore
          : `${ms(pBefore.p50)} / ${ms(pBefore.p99)}, ${pct(pBefore.p50 / m.summary.p50 - 1)} / ${pct(pBefore.p99 / m.summary.p99 - 1)}`;
      rows.push({
        rho,
        rateRps,
        predicted: p,
        predictedMetered: pBefore,
        measured: { ...m.summary, dropRate: m.dropRate },
        err,
        decomposition: {
          ...m,
          sentS: undefined,
          timeline: { ...m.timeline, arrivalsS: undefined, enqueuesS: undefined },
        },
      });
      console.log(
        `| ${rho} | ${rateRps.toFixed(0)} | ${ms(p.p50)} / ${ms(p.p99)} | ${ms(m.summary.p50)} / ${ms(m.summary.p99)} | ${pct(err.p50)} / ${pct(err.p99)} | ${p.meanBatch.toFixed(2)} / ${m.meanBatch.toFixed(2)} | ${ms(p.meanWaitMs)} / ${ms(m.meanQueueMs)} | ${p.factor.toFixed(3)} | ${ms(m.meanServiceMs)}, ${ms(m.meanOutsideMs)} | ${ms(p.httpWaitMs)}, ${p.turn.toFixed(2)} | ${replayed} | ${beforeText} |`,
      );
    }

    printTimelines(timelines);
    console.log(
      '\nStage by stage on the real arrivals (ms): the API alone (headers parsed -> answer written) against the http stage + batcher replayed on its real request events; the batcher alone (queue + service) against the model stage replayed on its real submits; the rest of the latency (generator and transport) against the hop the model adds:\n',
    );
    console.log(
      '| rho | API measured p50 / p99 | sim on API arrivals: p50 / p99, batch | batcher measured mean / p99, batch | sim batcher on its submits: mean / p99, batch | generator + transport mean (latency - API) | modelled hop |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const line of stages) console.log(line);

    // Tune for 0.6 of the HTTP capacity (p99 SLO: twice the profiled p99 of a full batch, plus
    // 5 ms and three event-loop times), apply through REST, measure over HTTP.
    const rateRps = 0.6 * capacity;
    const full = profile.rows[profile.rows.length - 1];
    const slo = { p99Ms: Math.round(2 * full.p99Ms + 5 + 3 * eventLoopMs), maxDropRate: 0.01 };
    const tuning = await tuneDeployment({
      profile,
      traffic: { model: 'poisson', rateRps },
      slo,
      overheads,
      otherThreads: [Math.min(1, (rateRps * cal.clientMs) / 1000)],
      maxInstances: 2,
      durationS: 120,
    }).catch((e: Error) => {
      console.log(`\ntuning failed: ${e.message}`);
      return null;
    });
    let tuned: Record<string, unknown> = { slo, rateRps, config: null };
    if (tuning?.config && tuning.predicted) {
      const t = tuning.config;
      await api.call('PATCH', `/v1/deployments/${d.id}`, {
        instances: t.instances,
        batch: t.batch,
        queue: { capacity: t.queue.capacity },
      });
      const m = await measure(url, api.key, row, rateRps, 77);
      printTimelines([{ title: `tuned, ${rateRps.toFixed(0)} req/s`, report: m.timeline }]);
      const met = m.summary.p99 <= slo.p99Ms && m.dropRate <= slo.maxDropRate;
      console.log(
        `\ntuned for ${rateRps.toFixed(0)} req/s, SLO p99 <= ${slo.p99Ms} ms, drops <= ${slo.maxDropRate}: ${JSON.stringify(t)}; ` +
          `predicted p50/p99 ${ms(tuning.predicted.p50Ms)}/${ms(tuning.predicted.p99Ms)} ms drops ${tuning.predicted.dropRate.toFixed(4)}; ` +
          `measured over HTTP ${ms(m.summary.p50)}/${ms(m.summary.p99)} ms drops ${m.dropRate.toFixed(4)}: SLO ${met ? 'MET' : 'MISSED'}`,
      );
      tuned = {
        slo,
        rateRps,
        config: t,
        predicted: tuning.predicted,
        measured: { ...m.summary, dropRate: m.dropRate },
        met,
      };
    } else {
      console.log(`\ntuned: no config meets p99 <= ${slo.p99Ms} ms at ${rateRps.toFixed(0)} req/s`);
    }
    await api.call('DELETE', `/v1/deployments/${d.id}`);
    return {
      model: name,
      profile: profile.rows.map(({ latenciesMs: _, ...r }) => r),
      overheads,
      overheadsMetered: before,
      capacity,
      runtimeCapacity,
      calibration: {
        rateRps: calRate,
        eventLoopMs,
        meteredMs,
        traced,
        clientMs: cal.clientMs,
        outsideMs: cal.meanOutsideMs,
      },
      rows,
      tuned,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  console.log(
    `predicted-vs-measured over HTTP: ${models.join(', ')}; ${durationS} s per rate (first ${warmupS} s discarded); binary bodies; simulator ${SIM_SECONDS} s x ${SIM_SEEDS} seeds; tf ${tf.version.tfjs}; node ${process.version}`,
  );
  const api = await startApiServer({ env: { AUTODL_SERVING_TRACE: '1' } });
  const out = [];
  try {
    for (const m of models) out.push(await benchModel(api, m));
  } finally {
    await api.stop();
  }
  await writeFigureJson(args, out);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
