import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';

const simulate = (input: object) => simulateInput(input as SimulationInput);

test('network hops add their mean to a Jackson tandem: 1/(mu1 - lambda) + d1 + 1/(mu2 - lambda) + d2 within 2%', () => {
  // M/M/1 (mu 100/s) -> exponential hop of mean 5 ms -> M/M/1 (mu 125/s) -> 2 ms to the client,
  // at 60 req/s. Hops do not queue (an M/M/infinity delay keeps the stream Poisson), so the
  // second queue is still M/M/1: 25 + 5 + 15.385 + 2 = 47.385 ms.
  const r = simulate({
    pipeline: {
      stages: [
        {
          id: 'a',
          instances: 1,
          service: { dist: 'exponential', fixedMs: 10 },
          network: { delayMs: 5, dist: 'exponential' },
          next: ['b'],
        },
        {
          id: 'b',
          instances: 1,
          service: { dist: 'exponential', fixedMs: 8 },
          network: { delayMs: 2 },
        },
      ],
    },
    traffic: { model: 'poisson', rateRps: 60 },
    durationS: 20_000,
    warmupS: 200,
    seed: 6,
    samplePoints: 0,
  });
  const expected = 1000 / (100 - 60) + 5 + 1000 / (125 - 60) + 2;
  const got = r.latencyMs.mean;
  assert.ok(Math.abs(got - expected) <= 0.02 * expected, `mean ${got} vs ${expected}`);
  assert.ok(r.littleLaw.relativeError < 0.01, `Little ${r.littleLaw.relativeError}`);
  assert.equal(r.requests.completed, r.requests.arrived);
});

test('a shifted exponential hop (minMs): floor, median min + (mean - min) ln 2, mean kept', () => {
  // 1 ms deterministic service on 64 instances at 20 req/s: no queueing, so latency = 1 + hop.
  // The hop 2 + Exp(mean 3): never below 3 ms in all, median 1 + 2 + 3 ln 2 = 5.079 ms, mean 6 ms,
  // p99 1 + 2 + 3 ln 100 = 16.82 ms (the shifted exponential's quantiles).
  const r = simulate({
    pipeline: {
      stages: [
        {
          id: 'a',
          instances: 64,
          service: { dist: 'deterministic', fixedMs: 1 },
          network: { delayMs: 5, dist: 'exponential', minMs: 2 },
        },
      ],
    },
    traffic: { model: 'poisson', rateRps: 20 },
    durationS: 4000,
    warmupS: 10,
    seed: 8,
    samplePoints: 0,
  });
  const near = (got: number, want: number, what: string) =>
    assert.ok(Math.abs(got - want) <= 0.03 * want, `${what} ${got} vs ${want}`);
  near(r.latencyMs.mean, 6, 'mean');
  near(r.latencyMs.p50, 3 + 3 * Math.LN2, 'p50');
  near(r.latencyMs.p99, 3 + 3 * Math.log(100), 'p99');
});

test('a hop with stalls: mean d + p s, median d, p90 and p99 from the mixture tail p exp(-t / s)', () => {
  // 1 ms deterministic service on 64 instances at 20 req/s (no queueing), a constant 2 ms hop
  // and, with probability 0.3, a stall of mean 10 ms: latency = 3 + Bernoulli(0.3) Exp(10).
  // Closed forms: mean 3 + 0.3 x 10 = 6 ms; P(latency > 3 + t) = 0.3 exp(-t / 10), so the
  // median is 3 (0.3 < 0.5), p90 = 3 + 10 ln 3 = 13.99 and p99 = 3 + 10 ln 30 = 37.01 ms.
  const r = simulate({
    pipeline: {
      stages: [
        {
          id: 'a',
          instances: 64,
          service: { dist: 'deterministic', fixedMs: 1 },
          network: { delayMs: 2, stall: { probability: 0.3, meanMs: 10 } },
        },
      ],
    },
    traffic: { model: 'poisson', rateRps: 20 },
    durationS: 4000,
    warmupS: 10,
    seed: 9,
    samplePoints: 0,
  });
  const near = (got: number, want: number, what: string) =>
    assert.ok(Math.abs(got - want) <= 0.03 * want, `${what} ${got} vs ${want}`);
  near(r.latencyMs.mean, 6, 'mean');
  near(r.latencyMs.p50, 3, 'p50');
  near(r.latencyMs.p99, 3 + 10 * Math.log(30), 'p99');
});
