import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../jizhi-sim/core/prepare-simulation';
import {
  fitLoopPauses,
  PAUSE_TURN_SIZES,
  pauseMsPerRequest,
  pauseSamples,
  pausesFromCounters,
} from './gc-pauses';
import {
  calibrateRequestPath,
  touchedByGc,
  type CalibrationTrace,
} from './request-path-calibration';
import {
  REQUEST_PATH_STAGE_ID,
  requestPathStage,
  servingPipeline,
  type ServingOverheads,
} from './serving-pipeline';
import type { ServiceProfile } from './service-profile';

const near = (got: number, want: number, rel: number, what: string) =>
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: ${got} vs ${want}`);

test('pausesFromCounters: each counter step is a pause between two answers (k pauses of m / k ms for a step of k)', () => {
  // Hand case: answers at 10, 20, 30, 40 ms (given out of order), counters 5/50, 5/50, 6/58,
  // 8/62: one pause of 8 ms, then two of 2 ms each; three intervals between four answers. A
  // reading without counters is skipped.
  const r = pausesFromCounters([
    { at: 30, gcCount: 6, gcMs: 58 },
    { at: 10, gcCount: 5, gcMs: 50 },
    { at: 25, gcCount: Number.NaN, gcMs: Number.NaN },
    { at: 40, gcCount: 8, gcMs: 62 },
    { at: 20, gcCount: 5, gcMs: 50 },
  ]);
  assert.deepEqual(r.pausesMs, [8, 2, 2]);
  assert.equal(r.requests, 3);
  // Pooled over runs: pauses per request is their total over the requests'.
  const fit = fitLoopPauses([r, { pausesMs: [4], requests: 97 }]);
  assert.ok(fit);
  assert.equal(fit.perRequest, 4 / 100);
  assert.deepEqual(fit.pausesMs, [8, 2, 2, 4]);
  near(pauseMsPerRequest(fit), 0.04 * 4, 1e-12, 'mean pause time per request');
  assert.equal(fitLoopPauses([{ pausesMs: [], requests: 100 }]), null);
});

test('pauseSamples: a turn of b requests has Poisson(b q) pauses (P(none) = exp(-b q), mean b q E[D]), seeded', () => {
  // Reference: the Poisson law. q = 0.02 pauses per request, pauses of 4 or 12 ms (E[D] = 8):
  // for b = 1, 8 and 64, P(no pause) = exp(-0.02 b) and the mean pause time 0.02 b x 8 ms;
  // n = 200,000 draws: the shares' sd is under 0.15 percentage points, the means' under 2%.
  const p = { perRequest: 0.02, pausesMs: [4, 12] };
  for (const b of [1, 8, 64]) {
    const xs = pauseSamples(p, b, 200_000, 'spec');
    const none = xs.filter((x) => x === 0).length / xs.length;
    assert.ok(Math.abs(none - Math.exp(-0.02 * b)) < 0.004, `b ${b}: P(none) ${none}`);
    near(xs.reduce((a, x) => a + x, 0) / xs.length, 0.02 * b * 8, 0.03, `b ${b}: mean`);
  }
  assert.deepEqual(pauseSamples(p, 4, 100, 'x'), pauseSamples(p, 4, 100, 'x'));
});

const PROFILE: ServiceProfile = {
  rows: [
    {
      batchSize: 1,
      latenciesMs: Array.from({ length: 100 }, () => 0.2),
      meanMs: 0.2,
      p50Ms: 0.2,
      p99Ms: 0.2,
      p99RelCi: 0,
      converged: true,
    },
  ],
  rule: '',
  capacityPerInstanceRps: 5000,
};
const CONFIG = {
  instances: 1,
  batch: { maxSize: 1, maxDelayMs: 0 },
  queue: { capacity: 0, timeoutMs: 0 },
};

test('the http stage with GC pauses: a row per turn size, b x the net loop time + the pauses; work-conserving', () => {
  // 1 ms of traced loop per request, 0.05 pauses per request of 6 ms: the pauses' mean 0.3 ms
  // per request is in the traced time, so the loop's own time is 0.7 ms and each turn of b
  // draws Poisson(0.05 b) pauses. Row means by hand: b x 0.7 + 0.05 b x 6 = b ms.
  const o: ServingOverheads = {
    timerLateMs: 0,
    replyMs: 0,
    requestPath: { eventLoopMs: 1 },
    loopPauses: { perRequest: 0.05, pausesMs: [6] },
  };
  const http = servingPipeline(PROFILE, CONFIG, o).stages.find(
    (s) => s.id === REQUEST_PATH_STAGE_ID,
  );
  assert.ok(http && http.service.dist === 'empirical');
  assert.deepEqual(
    http.service.profile.map((r) => r.batchSize),
    [...PAUSE_TURN_SIZES],
  );
  for (const row of http.service.profile.filter((r) => [1, 4, 16].includes(r.batchSize))) {
    const mean = row.latenciesMs.reduce((a, x) => a + x, 0) / row.latenciesMs.length;
    // 2000 draws of Poisson(0.05 b) x 6 ms: the mean's sd is 6 sqrt(0.05 b / 2000) ms.
    const sd = 6 * Math.sqrt((0.05 * row.batchSize) / 2000);
    assert.ok(Math.abs(mean - row.batchSize) < 4 * sd, `b ${row.batchSize}: ${mean}`);
  }
  // Work conservation (the utilisation law): at 300 req/s the loop is busy 300 x 1 ms = 0.3 of
  // the time, pauses included, whatever the turns.
  const r = simulate({
    pipeline: servingPipeline(PROFILE, CONFIG, o),
    traffic: { model: 'poisson', rateRps: 300 },
    durationS: 2000,
    warmupS: 20,
    seed: 7,
    samplePoints: 0,
  });
  const stage = r.stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(stage);
  near(stage.utilisation, 0.3, 0.03, 'utilisation');
  // Without the pauses (same mean loop time, none of its tail) the p99 is lower: the pauses are
  // the tail.
  const plain = simulate({
    pipeline: servingPipeline(PROFILE, CONFIG, { ...o, loopPauses: undefined }),
    traffic: { model: 'poisson', rateRps: 300 },
    durationS: 2000,
    warmupS: 20,
    seed: 7,
    samplePoints: 0,
  });
  assert.ok(
    r.latencyMs.p99 > plain.latencyMs.p99 + 3,
    `${r.latencyMs.p99} vs ${plain.latencyMs.p99}`,
  );
  // The loop's own time is kept at half the traced time at least: 0.5 pauses of 4 ms per
  // request would be more than the 1 ms traced, so a turn of 1 without a pause takes 0.5 ms.
  const heavy = servingPipeline(PROFILE, CONFIG, {
    ...o,
    loopPauses: { perRequest: 0.5, pausesMs: [4] },
  }).stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(heavy && heavy.service.dist === 'empirical');
  assert.equal(Math.min(...heavy.service.profile[0].latenciesMs), 0.5);
  // requestPathStage alone: without pauses or stalls, the deterministic per-request server.
  assert.equal(requestPathStage(1).service.dist, 'deterministic');
});

/** A request's stamps: scheduled at t, answered 4 ms later, the API's GC count at the answer. */
function trace(t: number, gcCount: number): CalibrationTrace {
  return {
    scheduled: t,
    sent: t + 0.5,
    arrived: t + 1,
    handler: t + 1.2,
    enqueued: t + 1.3,
    queueMs: 1,
    serviceMs: 1,
    computeMs: 0.8,
    resolved: t + 3.4,
    written: t + 3.5,
    received: t + 3.9,
    recorded: t + 4,
    batchSize: 1,
    gcCount,
    gcMs: gcCount * 5,
  };
}

test('touchedByGc: a request whose answer shows more pauses than the last answer before it was scheduled', () => {
  // Requests every 10 ms; a pause between the answers at 23.5 and 33.5 ms: the request scheduled
  // at 30 (last answer before it at 23.5, count 0; its own answer count 1) was touched; the one
  // at 40 (last answer before it at 33.5, count 1) was not; the first has no answer before it.
  const ts = [0, 10, 20, 30, 40].map((t, i) => trace(t, i >= 3 ? 1 : 0));
  assert.deepEqual(touchedByGc(ts), [false, false, false, true, false]);
  // Without counters, none.
  assert.deepEqual(touchedByGc(ts.map(({ gcCount: _, ...x }) => x)), [
    false,
    false,
    false,
    false,
    false,
  ]);
});

test('calibrateRequestPath withoutGc: the hop and the hand-off from the untouched requests only', () => {
  // 300 requests 10 ms apart with a 1.5 ms hop (send lag 0.5, the sockets 0.5 and 0.4, settle
  // 0.1), and every 10th one sent 20 ms late by a pause (hop 21.5 ms): the hop's mean is 3.5 ms
  // with it. Touched: that request and the next (scheduled before the late one's answer, its
  // own answer after the pause); without them the mean is the untouched 1.5 ms.
  let count = 0;
  const ts = Array.from({ length: 300 }, (_, i) => {
    const t = i * 10;
    if (i % 10 === 5) count++;
    const x = trace(t, count);
    if (i % 10 === 5) {
      // The pause delayed the send: everything after 'scheduled' 20 ms later.
      for (const k of [
        'sent',
        'arrived',
        'handler',
        'enqueued',
        'resolved',
        'written',
        'received',
        'recorded',
      ] as const)
        x[k] += 20;
    }
    return x;
  });
  const all = calibrateRequestPath(ts);
  const clean = calibrateRequestPath(ts, { withoutGc: true });
  assert.ok(all && clean);
  near(all.hopMs, 3.5, 1e-9, 'hop with the touched');
  near(clean.hopMs, 1.5, 1e-9, 'hop without');
  // The loop's time per request is from every request either way.
  assert.equal(clean.eventLoopMs, all.eventLoopMs);
});
