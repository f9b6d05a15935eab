import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { simulate } from '../../jizhi-sim/core/prepare-simulation';
import { expectedSlowdown, freeCoreBound, poissonBinomial, slowdownAt } from './cpu-contention';
import { ServiceProfile } from './service-profile';
import {
  DeploymentConfig,
  REQUEST_PATH_STAGE_ID,
  SERVING_STAGE_ID,
  configCapacityRps,
  contentionLoadOf,
  eventLoopCapacityRps,
  extraHandoffMs,
  requestPathMsPerRequest,
  servedCapacityRps,
  servingPipeline,
} from './serving-pipeline';

/** A profile of exponential batch service times of mean `meanMs` at batch size 1. */
function profileOf(meanMs: number, n = 20_000): ServiceProfile {
  const rng = new Rng(9);
  const xs = Array.from({ length: n }, () => rng.exponential(1) * meanMs);
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  return {
    rows: [
      {
        batchSize: 1,
        latenciesMs: xs,
        meanMs: mean,
        p50Ms: 0,
        p99Ms: 0,
        p99RelCi: 0,
        converged: true,
      },
    ],
    rule: 'synthetic',
    capacityPerInstanceRps: 1000 / mean,
  };
}

const ONE: DeploymentConfig = {
  instances: 1,
  batch: { maxSize: 1, maxDelayMs: 0 },
  queue: { capacity: 0, timeoutMs: 0 },
};

test('the request-path stage serves a turn at a time: a hand trace, against FIFO', () => {
  // Event loop 1 ms per request; arrivals at 0, 0.2 and 0.4 ms. The first is handled alone
  // (0..1 ms); the other two arrived during that turn, so the next turn handles both (1..3 ms)
  // and releases them TOGETHER at 3 ms: http latencies 1, 2.8, 2.6 (mean 6.4 / 3). A FIFO server
  // would release the second at 2 ms (1, 1.8, 2.6: mean 5.4 / 3). The model stage behind it is
  // instant (0.001 ms) with 4 instances; a fourth arrival at 1 s, alone, is 1 ms; so the end-to-end latencies are the http stage's.
  const profile = {
    ...profileOf(0.001),
    rows: [{ ...profileOf(0.001).rows[0], latenciesMs: [0.001] }],
  };
  const pipeline = servingPipeline(
    profile,
    { ...ONE, instances: 4 },
    { timerLateMs: 0, replyMs: 0, requestPath: { eventLoopMs: 1 } },
  );
  assert.deepEqual(
    pipeline.stages.map((s) => s.id),
    [REQUEST_PATH_STAGE_ID, SERVING_STAGE_ID],
  );
  const r = simulate({
    pipeline,
    traffic: { model: 'replay', timestampsS: [0, 0.0002, 0.0004, 1] },
    durationS: 2,
    seed: 1,
    samplePoints: 0,
  });
  assert.equal(r.requests.completed, 4);
  assert.ok(
    Math.abs(r.latencyMs.mean - ((6.4 + 1) / 4 + 0.001)) < 1e-6,
    `mean ${r.latencyMs.mean}`,
  );
  const http = r.stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(http);
  assert.ok(Math.abs(http.meanBatchSize - 4 / 3) < 1e-3, `turn ${http.meanBatchSize}`);
});

test("the loop's wake-up delay: requests arriving while the idle loop waits for a core share its turn", () => {
  // 1 ms per request, a 0.5 ms run-queue wait when woken; arrivals at 0 and 0.2 ms. The loop
  // runs at 0.5 ms with both (0.5..2.5 ms): latencies 2.5 and 2.3. Without the wait: 0..1 and
  // 1..2 ms, latencies 1 and 1.8. A fourth arrival at 1 s, alone, pays the wait: 1.5 ms.
  const profile = {
    ...profileOf(0.001),
    rows: [{ ...profileOf(0.001).rows[0], latenciesMs: [0.001] }],
  };
  const run = (wakeDelayMs: number) =>
    simulate({
      pipeline: servingPipeline(
        profile,
        { ...ONE, instances: 4 },
        { timerLateMs: 0, replyMs: 0, requestPath: { eventLoopMs: 1, wakeDelayMs } },
      ),
      traffic: { model: 'replay', timestampsS: [0, 0.0002, 1] },
      durationS: 2,
      seed: 1,
      samplePoints: 0,
    });
  // (the result's figures are rounded to 6 significant digits)
  const woken = run(0.5);
  assert.ok(
    Math.abs(woken.latencyMs.mean - ((2.5 + 2.3 + 1.5) / 3 + 0.001)) < 1e-4,
    `${woken.latencyMs.mean}`,
  );
  const prompt = run(0);
  assert.ok(
    Math.abs(prompt.latencyMs.mean - ((1 + 1.8 + 1) / 3 + 0.001)) < 1e-4,
    `${prompt.latencyMs.mean}`,
  );
});

test('the request-path stage is work-conserving: utilisation rate x time per request, turns clump at load', () => {
  // 5 ms per request at 120 req/s: rho = 0.6 whatever the order of service (the server is busy
  // exactly when work is present). A turn takes the requests that arrived during the last one,
  // so the mean turn is > 1 and the model stage sees clumps.
  const pipeline = servingPipeline(
    profileOf(0.5),
    { ...ONE, instances: 4 },
    { timerLateMs: 0, replyMs: 0, requestPath: { eventLoopMs: 5 } },
  );
  const r = simulate({
    pipeline,
    traffic: { model: 'poisson', rateRps: 120 },
    durationS: 2000,
    warmupS: 20,
    seed: 3,
    samplePoints: 0,
  });
  const http = r.stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(http);
  assert.ok(Math.abs(http.utilisation / 0.6 - 1) < 0.02, `utilisation ${http.utilisation}`);
  assert.ok(http.meanBatchSize > 1.2, `turn ${http.meanBatchSize}`);
  // A turn's requests wait for the turn's end: the mean is above M/D/1's W + S (3.75 + 5 ms).
  assert.ok(r.latencyMs.mean > 3.75 + 5, `mean ${r.latencyMs.mean}`);
});

test("the event loop's per-batch part is re-amortised over the simulated batch size", () => {
  // Measured 1 ms per request at batches of 4, 0.4 ms of it per batch (0.1 per request): the
  // per-request part is 0.9 ms; at batches of 2 the loop costs 0.9 + 0.2 = 1.1 ms per request.
  const o = {
    timerLateMs: 0,
    replyMs: 0,
    requestPath: { eventLoopMs: 1, perBatchMs: 0.4, batchSize: 4 },
  };
  assert.ok(Math.abs(requestPathMsPerRequest(o, 2) - 1.1) < 1e-12);
  assert.ok(Math.abs(requestPathMsPerRequest(o, 4) - 1) < 1e-12);
  assert.ok(Math.abs(requestPathMsPerRequest(o, 8) - 0.95) < 1e-12);
  // Without the split (older profiles), the total is used as it is.
  assert.equal(requestPathMsPerRequest({ ...o, requestPath: { eventLoopMs: 1 } }, 2), 1);
  const p = servingPipeline(profileOf(1), { ...ONE, batch: { maxSize: 2, maxDelayMs: 0 } }, o, {
    instanceUtilisation: 0,
    eventLoopUtilisation: 0,
    meanBatchSize: 2,
  });
  const http = p.stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(http && http.service.dist === 'deterministic');
  assert.ok(Math.abs((http.service.perItemMs ?? 0) - 1.1) < 1e-12);
});

test('without a request-path measurement the pipeline is the model stage alone', () => {
  const p = servingPipeline(profileOf(1), ONE, { timerLateMs: 0, replyMs: 0 });
  assert.deepEqual(
    p.stages.map((s) => s.id),
    [SERVING_STAGE_ID],
  );
});

test('contention: the Poisson-binomial count of busy competitors weights the measured slowdowns', () => {
  assert.deepEqual(poissonBinomial([0.5, 0.5]), [0.25, 0.5, 0.25]);
  const c = { cores: 2, slowdown: [1, 1.1, 1.6] };
  assert.equal(expectedSlowdown(c, [1, 0]), 1.1);
  // 0.25 x 1 + 0.5 x 1.1 + 0.25 x 1.6
  assert.ok(Math.abs(expectedSlowdown(c, [0.5, 0.5]) - 1.2) < 1e-12);
  // Beyond the measured k: processor sharing, (k + 1) / cores relative to the last measured.
  assert.ok(Math.abs(slowdownAt(c, 3) - (1.6 * 2) / 1.5) < 1e-12);
});

test('contention: the spinners’ slowdown is bounded by processor sharing on the cores other processes left free', () => {
  // The measured profile of session 8 (x2.97 / x5.46 with 1 / 2 spinners on 2 cores). With both
  // cores free, processor sharing gives a thread with one competitor a whole core (x1) and with
  // two, 2/3 of one (x1.5); with one core free, 1/2 and 1/3 of it (x2, x3); with half a core
  // free, the thread alone already has only half a core: x2 and x3 relative to that.
  const measured = { cores: 2, slowdown: [1, 2.97, 5.46] };
  assert.equal(slowdownAt({ ...measured, freeCores: 2 }, 1), 1);
  assert.ok(Math.abs(slowdownAt({ ...measured, freeCores: 2 }, 2) - 1.5) < 1e-12);
  assert.ok(Math.abs(slowdownAt({ ...measured, freeCores: 1 }, 1) - 2) < 1e-12);
  assert.ok(Math.abs(slowdownAt({ ...measured, freeCores: 1 }, 2) - 3) < 1e-12);
  assert.ok(Math.abs(freeCoreBound(0.5, 1) - 2) < 1e-12);
  // A measurement under the bound is kept; without freeCores the measurement stands.
  assert.equal(slowdownAt({ cores: 2, slowdown: [1, 1.1, 1.6], freeCores: 2 }, 2), 1.5);
  assert.equal(slowdownAt({ cores: 2, slowdown: [1, 1.1, 1.6], freeCores: 1 }, 1), 1.1);
  assert.equal(slowdownAt({ cores: 2, slowdown: [1, 1.1, 1.6], freeCores: 1 }, 2), 1.6);
  assert.equal(slowdownAt(measured, 1), 2.97);
});

test('contention scales the instances’ and the event loop’s service times by the expected slowdown of the simulated load', () => {
  const profile = profileOf(2);
  const overheads = {
    timerLateMs: 0,
    replyMs: 0,
    requestPath: { eventLoopMs: 1 },
    contention: { cores: 2, slowdown: [1, 1.25, 1.75] },
  };
  const first = simulate({
    pipeline: servingPipeline(profile, ONE, overheads),
    traffic: { model: 'poisson', rateRps: 200 },
    durationS: 500,
    warmupS: 10,
    seed: 1,
    samplePoints: 0,
  });
  // One instance at rho ~ 0.4 and the event loop at ~ 0.2; a generator thread busy half the time.
  const load = contentionLoadOf(first, [0.5]);
  assert.ok(Math.abs(load.eventLoopUtilisation - 0.2) < 0.01);
  assert.ok(Math.abs(load.instanceUtilisation - 0.4) < 0.02);
  const p = servingPipeline(profile, ONE, overheads, load);
  const model = p.stages.find((s) => s.id === SERVING_STAGE_ID);
  assert.ok(model && model.service.dist === 'empirical');
  const expected = expectedSlowdown(overheads.contention, [load.eventLoopUtilisation, 0.5]);
  const ratio = model.service.profile[0].latenciesMs[7] / profile.rows[0].latenciesMs[7];
  assert.ok(Math.abs(ratio - expected) < 1e-9, `${ratio} vs ${expected}`);
  assert.ok(expected > 1.1 && expected < 1.25);
  // The event loop is slowed by the instance and the generator alike.
  const http = p.stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(http && http.service.dist === 'deterministic');
  const loop = expectedSlowdown(overheads.contention, [load.instanceUtilisation, 0.5]);
  assert.ok(
    Math.abs((http.service.perItemMs ?? 0) - loop) < 1e-9,
    `${http.service.perItemMs} vs ${loop}`,
  );
});

test("the thread hand-off under traffic above the profile's lengthens every batch by the difference", () => {
  // Hand case: the profile's hand-off 0.2 ms per batch (idle loop), 0.7 ms under the served
  // traffic: every profiled service time gains 0.5 ms; none when either is unmeasured or when
  // the served one is the smaller.
  const profile = profileOf(1, 3);
  const base = { timerLateMs: 0, replyMs: 0, handoffMs: 0.2 };
  const served = { ...base, requestPath: { eventLoopMs: 1, handoffMs: 0.7 } };
  assert.ok(Math.abs(extraHandoffMs(served) - 0.5) < 1e-12);
  assert.equal(extraHandoffMs({ ...served, handoffMs: undefined }), 0);
  assert.equal(extraHandoffMs({ ...base, requestPath: { eventLoopMs: 1 } }), 0);
  assert.equal(extraHandoffMs({ ...served, handoffMs: 0.9 }), 0);
  const model = servingPipeline(profile, ONE, served).stages.find((s) => s.id === SERVING_STAGE_ID);
  const service = model?.service as { profile: { latenciesMs: number[] }[] };
  const want = profile.rows[0].latenciesMs.map((x) => x + 0.5);
  service.profile[0].latenciesMs.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12));

  // Against Pollaczek-Khinchine (M/D/1): a deterministic 1 ms profile plus 0.5 ms of extra
  // hand-off is a 1.5 ms server; at 400 req/s rho = 0.6 and Wq = rho S / (2 (1 - rho)) = 1.125 ms.
  // (The http stage's 1 us per request is negligible.)
  const flat: ServiceProfile = {
    ...profile,
    rows: [{ ...profile.rows[0], latenciesMs: Array.from({ length: 100 }, () => 1), meanMs: 1 }],
  };
  const r = simulate({
    pipeline: servingPipeline(flat, ONE, {
      ...base,
      requestPath: { eventLoopMs: 0.001, handoffMs: 0.7 },
    }),
    traffic: { model: 'poisson', rateRps: 400 },
    durationS: 1000,
    warmupS: 20,
    seed: 5,
    samplePoints: 0,
  });
  const stage = r.stages.find((s) => s.id === SERVING_STAGE_ID);
  assert.ok(stage);
  assert.ok(Math.abs(stage.utilisation / 0.6 - 1) < 0.02, `utilisation ${stage.utilisation}`);
  assert.ok(Math.abs(stage.meanWaitMs / 1.125 - 1) < 0.05, `wait ${stage.meanWaitMs}`);
});

test("a deployment's capacity through the API is the smaller of its instances' and its event loop's", () => {
  // The loop is one server: at 0.95 ms per request (batches of 8, the case above) it takes at
  // most 1000 / 0.95 req/s, whatever the instances could do (D/D/1 saturates at 1 / service).
  const o = {
    timerLateMs: 0,
    replyMs: 0,
    requestPath: { eventLoopMs: 1, perBatchMs: 0.4, batchSize: 4 },
  };
  assert.ok(Math.abs(eventLoopCapacityRps(o, 8) - 1000 / 0.95) < 1e-9);
  assert.equal(eventLoopCapacityRps({ timerLateMs: 0, replyMs: 0 }, 8), Infinity);
  assert.equal(eventLoopCapacityRps(undefined, 8), Infinity);
  // A fast model (batch of 8 in ~0.1 ms: thousands of req/s per instance) is capped by the loop.
  const fast = profileOf(0.1);
  const config: DeploymentConfig = { ...ONE, batch: { maxSize: 8, maxDelayMs: 0 } };
  assert.ok(configCapacityRps(fast, config) > 5000);
  assert.equal(servedCapacityRps(fast, config, o), eventLoopCapacityRps(o, 8));
  // A slow one (20 ms per batch, the profile's only row: 8 x 1000 / 20 = 400 req/s) keeps its
  // instances' capacity; so does a fast one without a measured request path.
  const slow = profileOf(20);
  assert.equal(servedCapacityRps(slow, config, o), configCapacityRps(slow, config));
  assert.equal(servedCapacityRps(fast, config, undefined), configCapacityRps(fast, config));
});
