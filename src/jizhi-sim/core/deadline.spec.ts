import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';
import { close } from '../../../test/support/queueing';

const simulate = (input: object) => simulateInput(input as SimulationInput);

/**
 * Erlang A (M/M/c+M, Palm 1943; Mandelbaum & Zeltyn 2007): a birth-death chain with birth rate
 * lambda and death rate min(n, c) mu + max(n - c, 0) theta. P(abandon) = theta E[(N - c)+] / lambda.
 */
function erlangAAbandonment(lambda: number, mu: number, theta: number, c: number): number {
  let p = 1;
  let total = 1;
  let queued = 0;
  for (let n = 1; n < 100_000 && p > 1e-18 * total; n++) {
    p *= lambda / (Math.min(n, c) * mu + Math.max(n - c, 0) * theta);
    total += p;
    queued += Math.max(n - c, 0) * p;
  }
  return (theta * queued) / total / lambda;
}

test('exponential deadlines are impatience: drop rate of M/M/4+M matches Erlang A within 3%, overloaded and not', () => {
  // 4 servers of mu = 10/s, patience of mean 200 ms (theta = 5/s).
  for (const lambda of [36, 45]) {
    const r = simulate({
      pipeline: {
        stages: [{ id: 's', instances: 4, service: { dist: 'exponential', fixedMs: 100 } }],
        deadline: { ms: 200, dist: 'exponential' },
      },
      traffic: { model: 'poisson', rateRps: lambda },
      durationS: 20_000,
      warmupS: 200,
      seed: 5,
      samplePoints: 0,
    });
    close(
      r.requests.dropRate,
      erlangAAbandonment(lambda, 10, 5, 4),
      0.03,
      `P(abandon) at ${lambda}/s`,
    );
  }
});

test('a fixed deadline sheds exactly the requests that would wait past it (deterministic hand case), and makes overload legitimate', () => {
  // One server, 10 ms service, 15 ms deadline. Arrivals 0, 1, 2, 3 ms: the first is served 0-10;
  // the second is taken at 10 (due 16), served 10-20; the third (due 17) and fourth (due 18) are
  // past due at 20 and shed. Latencies 10 and 19 ms.
  const r = simulate({
    pipeline: {
      stages: [{ id: 's', instances: 1, service: { dist: 'deterministic', fixedMs: 10 } }],
      deadline: { ms: 15 },
    },
    traffic: { model: 'replay', timestampsS: [0, 0.001, 0.002, 0.003] },
    durationS: 0.1,
  });
  assert.deepEqual(r.requests, { arrived: 4, completed: 2, dropped: 2, dropRate: 0.5 });
  assert.equal(r.latencyMs.max, 19);
  // 2x overload without a queue limit is refused (422) unless a deadline sheds the excess.
  const overloaded = (deadline?: object) => () =>
    simulate({
      pipeline: {
        stages: [{ id: 's', instances: 1, service: { dist: 'exponential', fixedMs: 10 } }],
        ...(deadline ? { deadline } : {}),
      },
      traffic: { model: 'poisson', rateRps: 200 },
      durationS: 10,
    });
  assert.throws(overloaded(), /unstable/);
  const shed = overloaded({ ms: 50 })();
  assert.ok(
    shed.requests.dropRate > 0.4 && shed.requests.dropRate < 0.6,
    `${shed.requests.dropRate}`,
  );
});
