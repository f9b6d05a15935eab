import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';

const simulate = (input: object) => simulateInput(input as SimulationInput);

/**
 * Mean time in system of M/M/2 with heterogeneous servers (rates mu1 > mu2), where an arrival
 * finding both idle goes to the fast one with probability q (fastest-free: q = 1; random: 1/2).
 * The exact CTMC (Lin & Kumar 1984 for q = 1): states 0, 1f, 1s, and n >= 2 (both busy) with
 * p_n = p_2 r^(n-2), r = lambda / (mu1 + mu2). With p_2 = 1, the balance of 0, 1f and 1s gives
 * p0, p1f, p1s; then W = L / lambda (Little).
 */
function heterogeneousMM2Sojourn(lambda: number, mu1: number, mu2: number, q: number): number {
  const p0 =
    ((mu1 * mu2) / (lambda + mu1) + (mu1 * mu2) / (lambda + mu2)) /
    (lambda - (mu1 * q * lambda) / (lambda + mu1) - (mu2 * (1 - q) * lambda) / (lambda + mu2));
  const p1f = (mu2 + q * lambda * p0) / (lambda + mu1);
  const p1s = (mu1 + (1 - q) * lambda * p0) / (lambda + mu2);
  const r = lambda / (mu1 + mu2);
  const total = p0 + p1f + p1s + 1 / (1 - r);
  const L = (p1f + p1s + r / (1 - r) ** 2 + 2 / (1 - r)) / total;
  return L / lambda;
}

function heterogeneousRun(dispatch: string) {
  return simulate({
    pipeline: {
      stages: [
        {
          id: 'gpu',
          instances: 2,
          instanceTypes: [
            { name: 'a100', count: 1, speed: 2 },
            { name: 't4', count: 1, speed: 1 },
          ],
          dispatch,
          service: { dist: 'exponential', fixedMs: 20 },
        },
      ],
    },
    traffic: { model: 'poisson', rateRps: 90 },
    durationS: 20_000,
    warmupS: 200,
    seed: 8,
    samplePoints: 0,
  });
}

test('two GPU types in one stage: mean sojourn of the heterogeneous M/M/2 (exact CTMC) within 2%, fastest-free and random dispatch', () => {
  // a100: 10 ms mean (mu 100/s), t4: 20 ms (mu 50/s), 90 req/s.
  for (const [dispatch, q] of [
    ['fastest-free', 1],
    ['random', 0.5],
  ] as const) {
    const r = heterogeneousRun(dispatch);
    const expected = 1000 * heterogeneousMM2Sojourn(90, 100, 50, q);
    assert.ok(
      Math.abs(r.latencyMs.mean - expected) <= 0.02 * expected,
      `${dispatch}: ${r.latencyMs.mean} vs ${expected} ms`,
    );
    assert.equal(r.stages[0].predictedUtilisation, Number((90 / 150).toPrecision(6)));
  }
});

test('price from resources: an instance without pricePerHour costs its resource vector; per type; counts must add up', () => {
  const r = simulate({
    pipeline: {
      resourcePrices: { cpuPerHour: 0.05, gpuPerHour: 2, memoryGibPerHour: 0.01 },
      stages: [
        {
          id: 'cpu',
          instances: 3,
          resources: { cpu: 4, memoryGib: 8 },
          service: { dist: 'exponential', fixedMs: 1 },
          next: ['gpu'],
        },
        {
          id: 'gpu',
          instances: 3,
          instanceTypes: [
            { name: 'a100', count: 1, speed: 2, resources: { cpu: 8, gpu: 1, memoryGib: 80 } },
            { name: 't4', count: 2, pricePerHour: 0.5 },
          ],
          service: { dist: 'exponential', fixedMs: 2 },
        },
      ],
    },
    traffic: { model: 'poisson', rateRps: 100 },
    durationS: 5,
  });
  // cpu: 3 x (4 x 0.05 + 8 x 0.01) = 0.84; gpu: (8 x 0.05 + 2 + 80 x 0.01) + 2 x 0.5 = 4.2.
  assert.deepEqual(
    r.stages.map((s) => s.costPerHour),
    [0.84, 4.2],
  );
  assert.equal(r.cost.perHour, 5.04);
  assert.throws(
    () =>
      simulate({
        pipeline: {
          stages: [
            {
              id: 's',
              instances: 2,
              instanceTypes: [{ name: 'a', count: 3 }],
              service: { dist: 'exponential', fixedMs: 1 },
            },
          ],
        },
        traffic: { model: 'poisson', rateRps: 1 },
        durationS: 1,
      }),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.problems[0].field === 'pipeline.stages[0].instanceTypes' &&
      /add up to 3, but instances is 2/.test(e.problems[0].message),
  );
});
