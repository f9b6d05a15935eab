import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareSimulation } from '../../jizhi-sim/core/prepare-simulation';
import {
  coreStallAt,
  fitCoreStalls,
  longWaits,
  mergeIntervals,
  stallProbabilityPerTurn,
  type CoreStallPoint,
} from './core-stalls';
import type { TimelineStamps } from './request-timeline';
import {
  contentionLoadOf,
  servingPipeline,
  type DeploymentConfig,
  type ServingOverheads,
} from './serving-pipeline';
import type { ServiceProfile } from './service-profile';

/** A request that went through in 5 ms with no long wait, sent at `t` (epoch ms). */
function quick(t: number, over: Partial<TimelineStamps> = {}): TimelineStamps {
  return {
    scheduled: t,
    sent: t,
    arrived: t + 0.5,
    handler: t + 0.6,
    enqueued: t + 0.7,
    queueMs: 0.5,
    serviceMs: 2,
    computeMs: 1.8,
    resolved: t + 3.3,
    written: t + 3.4,
    received: t + 3.9,
    recorded: t + 4,
    ...over,
  };
}

test('core stalls: overlapping socket waits merge into one event, a result wait is another, short waits are none', () => {
  const stamps = [
    quick(0),
    // Two requests sent 5 ms apart that the API read at 20 and 21 ms: one stall of 21 ms.
    quick(1000, { arrived: 1020 }),
    quick(1005, { arrived: 1021 }),
    // A batch result ready at 2000.7 + 0.5 + 1.8 and read 15 ms later.
    quick(2000, { serviceMs: 1.8 + 15 }),
    // 8 ms in the socket: under the 12-ms threshold.
    quick(3000, { arrived: 3008 }),
    // The bytes left the generator at 4010 (its 'finish'): the socket wait counts from there.
    quick(4000, { flushed: 4010, arrived: 4021 }),
    quick(5000),
  ];
  const waits = longWaits(stamps);
  assert.equal(waits.length, 3);
  const events = mergeIntervals(waits);
  assert.deepEqual(
    events.map((e) => Math.round(e.endMs - e.startMs)),
    [21, 15],
    'the 21-ms union of two socket waits and the 15-ms result wait; 8 and 11 ms are not stalls',
  );
  const fit = fitCoreStalls(stamps);
  assert.equal(fit.count, 2);
  assert.equal(fit.windowS, 5);
  assert.equal(fit.perSecond, 2 / 5);
  assert.equal(Math.round(fit.meanMs), 18);
  assert.equal(Math.round(fit.minMs), 15);
});

test("core stalls: the generator's late timer and an unread answer are stalls too", () => {
  const fit = fitCoreStalls([
    quick(0, { sent: 14, arrived: 14.5 }),
    quick(100, { received: 100 + 3.4 + 13 }),
    quick(1000),
  ]);
  assert.equal(fit.count, 2);
});

test('core stalls at a load: repeats of a rate pooled, interpolated between loads, clamped at the ends', () => {
  const points: CoreStallPoint[] = [
    { coresFull: 0.1, perSecond: 0.2, meanMs: 20, minMs: 13 },
    { coresFull: 0.102, perSecond: 0.6, meanMs: 30, minMs: 12 },
    { coresFull: 0.5, perSecond: 1.4, meanMs: 20, minMs: 14 },
  ];
  const at = (cf: number) => coreStallAt(points, cf);
  assert.equal(at(0.101)?.perSecond, 0.4, 'the two repeats at 0.1 pooled: (0.2 + 0.6) / 2');
  assert.equal(at(0.101)?.minMs, 12);
  assert.ok(
    Math.abs((at(0.3005)?.perSecond ?? 0) - 0.9) < 1e-9,
    'halfway between the pooled 0.4 at 0.101 and 1.4 at 0.5',
  );
  assert.equal(at(0.9)?.perSecond, 1.4, 'clamped above the last point');
  assert.equal(at(0)?.perSecond, 0.4, 'clamped below the first');
  // A point without events counts with rate 0 and takes the others' lengths.
  const some = coreStallAt(
    [
      { coresFull: 0.1, perSecond: 0, meanMs: Number.NaN, minMs: Number.NaN },
      { coresFull: 0.5, perSecond: 1, meanMs: 20, minMs: 12 },
    ],
    0.3,
  );
  assert.ok(Math.abs((some?.perSecond ?? 0) - 0.5) < 1e-12, 'halfway between 0 and 1');
  assert.equal(some?.meanMs, 20);
  assert.equal(coreStallAt([{ coresFull: 0.1, perSecond: 0, meanMs: NaN, minMs: NaN }], 0.1), null);
  assert.equal(stallProbabilityPerTurn(2, 500), 0.004);
  assert.equal(stallProbabilityPerTurn(2, 1), 1, 'capped at 1');
});

test('core stalls in the model: the loop is stalled a fraction rate x length of the time, and a Poisson arrival sees that (PASTA) with a uniform residual', () => {
  // One instance at 0.1 ms per request (the backlog a stall leaves drains in under a
  // millisecond), a 0.05-ms event loop, 2 stalls a second of exactly 20 ms
  // (minMs = meanMs), 300 req/s for 400 s. Reference: the loop is stalled a fraction
  // f = 2/s x 0.020 s = 0.04 of the time; by PASTA an arrival finds it stalled with probability
  // f, and then waits the stall's residual, uniform on (0, 20 ms) for a fixed length, so
  // P(residual > 10 ms) = 1/2: about f / 2 = 2% of the requests wait over 10 ms for a stall
  // (plus the stalled turns' own requests, 2/300 = 0.7%, which wait all of it). The base
  // latency is ~0.15 ms and its queueing at 3% load next to nothing.
  const profile: ServiceProfile = {
    rows: [
      {
        batchSize: 1,
        latenciesMs: [0.1],
        meanMs: 0.1,
        p50Ms: 0.1,
        p99Ms: 0.1,
        p99RelCi: 0,
        converged: true,
      },
    ],
    rule: '',
    capacityPerInstanceRps: 10_000,
  };
  const config: DeploymentConfig = {
    instances: 1,
    batch: { maxSize: 1, maxDelayMs: 0 },
    queue: { capacity: 0, timeoutMs: 0 },
  };
  const overheads: ServingOverheads = {
    timerLateMs: 0,
    replyMs: 0,
    requestPath: { eventLoopMs: 0.05 },
    coreStalls: [{ coresFull: 0, perSecond: 2, meanMs: 20, minMs: 20 }],
  };
  const simulate = (load?: ReturnType<typeof contentionLoadOf>) =>
    prepareSimulation({
      pipeline: servingPipeline(profile, config, overheads, load),
      traffic: { model: 'poisson', rateRps: 300 },
      durationS: 400,
      warmupS: 5,
      seed: 7,
      samplePoints: 0,
    }).simulation;
  // Without a load the turn rate is unknown: no core stalls (the fixed point's first pass).
  const first = simulate();
  const r1 = first.run();
  const load = contentionLoadOf(r1);
  assert.ok(load.turnsPerSecond && Math.abs(load.turnsPerSecond - 300) < 15, 'a turn per request');
  assert.ok(first.latencySketch().quantile(0.99) * 1000 < 5, 'no stalls without a load');
  const sim = simulate(load);
  sim.run();
  const sketch = sim.latencySketch();
  // P(latency > x) from the sketch's quantiles (bisection on q).
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (sketch.quantile(mid) < 0.0102) lo = mid;
    else hi = mid;
  }
  const over10 = 1 - lo;
  const want = 0.04 / 2 + 2 / 300;
  assert.ok(Math.abs(over10 - want) < 0.2 * want, `P(latency > 10.2 ms) ${over10} vs ${want}`);
});
