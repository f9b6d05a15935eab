import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { fitStallTail, interpolateClamped, stallAt, type StallPoint } from './stall-tail';
import {
  coresFullAt,
  extraHandoffMs,
  overheadsAtLoad,
  servingPipeline,
  withStalls,
  type DeploymentConfig,
  type ServingOverheads,
} from './serving-pipeline';
import type { ServiceProfile } from './service-profile';

const near = (got: number, want: number, rel: number, what: string) =>
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: ${got} vs ${want}`);

// Reference: the mixture X = b + Bernoulli(p) Exp(s) has P(X > b + t) = p exp(-t / s), so
// p90 = b + s ln(10 p) (p > 0.1) and median b (p < 0.5); the excesses over the p90 are Exp(s)
// (memoryless), so their median is s ln 2 and P(X > p90) exp((p90 - b) / s) = p. Seeded
// samples, n = 200,000 (20,000 excesses: the median's sd is about 1% of s, p's about 1.2%):
// within 5%.

/** A deployment of one instance serving batches of 1 in exactly 1 ms (profiled `latenciesMs`). */
function oneMsInstance(latenciesMs: number[]): {
  profile: ServiceProfile;
  config: DeploymentConfig;
} {
  return {
    profile: {
      rows: [
        { batchSize: 1, latenciesMs, meanMs: 1, p50Ms: 1, p99Ms: 1, p99RelCi: 0, converged: true },
      ],
      rule: '',
      capacityPerInstanceRps: 1000,
    },
    config: {
      instances: 1,
      batch: { maxSize: 1, maxDelayMs: 0 },
      queue: { capacity: 0, timeoutMs: 0 },
    },
  };
}

test('stall tail: peaks over the p90 recover the mixture b + Bernoulli(p) Exp(s) (p 0.3, s 10 ms; p 0.15, s 4 ms)', () => {
  for (const [p, s, seed] of [
    [0.3, 10, 1],
    [0.15, 4, 2],
  ]) {
    const rng = new Rng(seed);
    const xs = Array.from({ length: 200_000 }, () =>
      rng.float() < p ? 2 + rng.exponential(1 / s) : 2,
    );
    const fit = fitStallTail(xs);
    assert.ok(fit.stall);
    near(fit.medianMs, 2, 1e-9, 'median');
    near(fit.meanMs, 2 + p * s, 0.02, 'mean (b + p s)');
    near(fit.stall.probability, p, 0.05, 'probability');
    near(fit.stall.meanMs, s, 0.05, 'stall mean');
  }
});

test('stall tail: no stalls for a constant delay or too few samples', () => {
  assert.equal(fitStallTail(Array.from({ length: 500 }, () => 3)).stall, null);
  assert.equal(fitStallTail([1, 2, 50]).stall, null);
  assert.equal(fitStallTail([]).stall, null);
});

// Hand case: two points, (coresFull 0.1: 10% x 5 ms) and (0.3: 30% x 10 ms). Linear in coresFull:
// at 0.2 the midpoint (20%, 7.5 ms); beyond, the probability extrapolates (0.5 -> 50%, 1.0 ->
// clamped 100%) while the stall's mean stays within [5, 10]; below, 0 -> 0% and 5 ms (2.5
// clamped). One point: its stalls at any load.
test('stall tail: interpolated linearly in coresFull between the calibrations, clamped beyond', () => {
  const pts: StallPoint[] = [
    { coresFull: 0.3, stall: { probability: 0.3, meanMs: 10 } },
    { coresFull: 0.1, stall: { probability: 0.1, meanMs: 5 } },
  ];
  const at = (cf: number) => stallAt(pts, cf);
  near(at(0.2).probability, 0.2, 1e-9, 'p at 0.2');
  near(at(0.2).meanMs, 7.5, 1e-9, 's at 0.2');
  near(at(0.5).probability, 0.5, 1e-9, 'p at 0.5');
  near(at(0.5).meanMs, 10, 1e-9, 's at 0.5');
  near(at(1).probability, 1, 1e-9, 'p at 1');
  near(at(0).probability, 0, 1e-9, 'p at 0');
  near(at(0).meanMs, 5, 1e-9, 's at 0');
  assert.deepEqual(stallAt([pts[1]], 0.9), { probability: 0.1, meanMs: 5 });
  assert.deepEqual(stallAt([], 0.5), { probability: 0, meanMs: 0 });
});

const contention = { cores: 2, slowdown: [1, 1.5, 2] };

// Reference: the binomial. Three threads busy 0.5 each on 2 cores: P(K >= 2) = 3/8 + 1/8 = 0.5.
// Another process holding one core (freeCores 1) is a fourth, always busy thread: P(K >= 2) =
// P(at least one of the three) = 1 - 1/8 = 0.875.
test('coresFull: P(cores or more threads busy), Poisson-binomial over loop, instances, others and the background', () => {
  const load = { instanceUtilisation: 0.5, eventLoopUtilisation: 0.5, others: [0.5] };
  const quiet: ServingOverheads = { timerLateMs: 0, replyMs: 0, contention };
  near(coresFullAt(quiet, 1, load) ?? NaN, 0.5, 1e-12, 'quiet host');
  const busy: ServingOverheads = { ...quiet, contention: { ...contention, freeCores: 1 } };
  near(coresFullAt(busy, 1, load) ?? NaN, 0.875, 1e-12, 'one core taken');
  // Two instances: four threads at 0.5, P(K >= 2) = 1 - (1 + 4) / 16 = 11/16.
  near(coresFullAt(quiet, 2, load) ?? NaN, 11 / 16, 1e-12, 'two instances');
  assert.equal(coresFullAt(quiet, 1, undefined), undefined);
  assert.equal(coresFullAt({ timerLateMs: 0, replyMs: 0 }, 1, load), undefined);
});

// Reference: the mixture's mean E[x + Bernoulli(p) Exp(s)] = E[x] + p s, here 1 + 0.25 x 8 = 3 ms.
test('withStalls: profiled samples convolved with the stall mixture (mean + p s), seeded', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 0.5 + i / 99);
  const out = withStalls(xs, { probability: 0.25, meanMs: 8 }, 'test');
  assert.equal(out.length, 2000);
  near(out.reduce((a, x) => a + x, 0) / out.length, 3, 0.08, 'mean');
  assert.deepEqual(out, withStalls(xs, { probability: 0.25, meanMs: 8 }, 'test'));
  assert.deepEqual(withStalls(xs, { probability: 0, meanMs: 8 }, 'test'), xs);
});

test('servingPipeline: the hop and the event loop get the stalls at the load; the batches the hand-off excess net of the first point', () => {
  const { profile, config } = oneMsInstance([1, 1, 1, 1]);
  const overheads: ServingOverheads = {
    timerLateMs: 0,
    replyMs: 2,
    contention,
    handoffMs: 0.2,
    requestPath: { eventLoopMs: 0.1, handoffMs: 1.2 },
    hopStalls: [
      { coresFull: 0.1, stall: { probability: 0.1, meanMs: 5 } },
      { coresFull: 0.3, stall: { probability: 0.3, meanMs: 10 } },
    ],
    loopStalls: [{ coresFull: 0.1, stall: { probability: 0.1, meanMs: 4 } }],
  };
  // Hand-off excess: 1.2 - 0.2 measured, of which 0.1 x 4 = 0.4 ms is the first point's stalls.
  near(extraHandoffMs(overheads), 0.6, 1e-12, 'net excess');
  // Load: loop 0, instance 0.2, others [0.5] on 2 cores: P(both busy) = 0.1 = coresFull, the
  // first point.
  const load = { instanceUtilisation: 0.2, eventLoopUtilisation: 0, others: [0.5] };
  const [http, model] = servingPipeline(profile, config, overheads, load).stages;
  assert.deepEqual(model.network?.stall, { probability: 0.1, meanMs: 5 });
  // The batch: contention x1.25 (the loop idle, the other thread busy half the time, slowdown[1]
  // = 1.5) + the net excess 0.6, no stall on the instance.
  assert.deepEqual(
    model.service.dist === 'empirical' ? model.service.profile[0].latenciesMs : [],
    [1.85, 1.85, 1.85, 1.85],
  );
  // The loop's turn: b x 0.1 ms x its contention (instance 0.2, other 0.5: 0.4 + 0.5 x 1.5 +
  // 0.1 x 2 = 1.35) + the stall, the same draws for 1 and 256 requests.
  assert.equal(http.service.dist, 'empirical');
  const rows = http.service.dist === 'empirical' ? http.service.profile : [];
  assert.deepEqual(
    rows.map((r) => r.batchSize),
    [1, 256],
  );
  const one = rows[0].latenciesMs;
  near(one.reduce((a, x) => a + x, 0) / one.length, 0.135 + 0.4, 0.1, 'turn of 1: mean');
  rows[1].latenciesMs.forEach((x, i) => near(x - one[i], 255 * 0.135, 1e-9, 'turn of 256'));
  // Busier: instance 0.6, others [0.5]: coresFull 0.3, the second hop point.
  const busy = servingPipeline(profile, config, overheads, {
    ...load,
    instanceUtilisation: 0.6,
  }).stages[1];
  near(busy.network?.stall?.probability ?? NaN, 0.3, 1e-9, 'busy p');
  near(busy.network?.stall?.meanMs ?? NaN, 10, 1e-9, 'busy s');
  // No load (a first pass): the first point's stalls.
  assert.deepEqual(servingPipeline(profile, config, overheads).stages[1].network?.stall, {
    probability: 0.1,
    meanMs: 5,
  });
});

// Hand case: the request path measured at coresFull 0.1 (loop 1 ms per request, 0.4 per batch,
// hop base 3 ms with floor 1) and 0.3 (0.5, 0.2, 2, 1): linear between, clamped beyond (no
// extrapolation of what was measured), unchanged without a load.
test('request path by load: interpolated in coresFull between the calibrations, clamped to the ends', () => {
  near(
    interpolateClamped(
      [
        { coresFull: 0.1, values: [1] },
        { coresFull: 0.3, values: [0.5] },
      ],
      0.15,
    )[0],
    0.875,
    1e-12,
    'at 0.15',
  );
  const overheads: ServingOverheads = {
    timerLateMs: 0,
    replyMs: 3,
    replyMinMs: 1,
    contention: { cores: 2, slowdown: [1, 1, 1] },
    requestPath: { eventLoopMs: 1, perBatchMs: 0.4, batchSize: 2 },
    requestPathPoints: [
      { coresFull: 0.3, eventLoopMs: 0.5, perBatchMs: 0.2, replyMs: 2, replyMinMs: 1 },
      { coresFull: 0.1, eventLoopMs: 1, perBatchMs: 0.4, replyMs: 3, replyMinMs: 1 },
    ],
  };
  const at = (cf: number | undefined) => overheadsAtLoad(overheads, cf);
  near(at(0.2).requestPath?.eventLoopMs ?? NaN, 0.75, 1e-12, 'loop at 0.2');
  near(at(0.2).requestPath?.perBatchMs ?? NaN, 0.3, 1e-12, 'per batch at 0.2');
  near(at(0.2).replyMs, 2.5, 1e-12, 'hop at 0.2');
  near(at(0.9).requestPath?.eventLoopMs ?? NaN, 0.5, 1e-12, 'clamped high');
  near(at(0).replyMs, 3, 1e-12, 'clamped low');
  assert.equal(at(undefined), overheads);
  // In the pipeline: no slowdown, loop idle, instance 0.4 and another thread 0.5 busy on 2
  // cores: coresFull 0.2, so the hop's mean is 2.5 and the loop's 0.75 - 0.3 / 2 + 0.3 / 1 per
  // request at batches of 1 (the per-batch part re-amortised).
  const { profile, config } = oneMsInstance([1]);
  const [http, model] = servingPipeline(profile, config, overheads, {
    instanceUtilisation: 0.4,
    eventLoopUtilisation: 0,
    others: [0.5],
    meanBatchSize: 1,
  }).stages;
  near(model.network?.delayMs ?? NaN, 2.5, 1e-12, 'hop');
  near(
    http.service.dist === 'deterministic' ? (http.service.perItemMs ?? NaN) : NaN,
    0.9,
    1e-12,
    'loop',
  );
});
