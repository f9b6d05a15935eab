import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';
import { close, erlangC } from '../../../test/support/queueing';

const simulate = (input: object) => simulateInput(input as SimulationInput);

const exp = (ms: number) => ({ dist: 'exponential', fixedMs: ms });

describe('conditional routing (routing.ts)', () => {
  test('a probabilistic split of Poisson traffic is Poisson: each branch is the M/M/c of rate p lambda (Erlang C within 3%)', () => {
    // 100 req/s split 0.3 / 0.7 into an M/M/1 and an M/M/2 of mu = 50/s. The router serves in
    // 1 us on 50 servers: a constant delay with no queueing, which keeps the stream Poisson.
    const r = simulate({
      pipeline: {
        stages: [
          {
            id: 'router',
            instances: 50,
            service: { dist: 'deterministic', fixedMs: 0.001 },
            route: [
              { to: 'a', probability: 0.3 },
              { to: 'b', probability: 0.7 },
            ],
          },
          { id: 'a', instances: 1, service: exp(20) },
          { id: 'b', instances: 2, service: exp(20) },
        ],
      },
      traffic: { model: 'poisson', rateRps: 100 },
      durationS: 10_000,
      warmupS: 100,
      seed: 3,
      samplePoints: 0,
    });
    const [router, a, b] = r.stages;
    // Thinning: visits are binomial(n, 0.3); 4 standard deviations.
    const n = router.visits;
    assert.ok(
      Math.abs(a.visits - 0.3 * n) < 4 * Math.sqrt(n * 0.21),
      `a visits ${a.visits} of ${n}`,
    );
    assert.equal(a.visits + b.visits, n);
    // M/M/1 at lambda 30, mu 50: P(wait) = rho = 0.6, Wq = rho / (mu - lambda) = 30 ms.
    close(a.waitedFraction, 0.6, 0.03, 'a P(wait)');
    close(a.meanWaitMs, 30, 0.03, 'a Wq');
    // M/M/2 at lambda 70, mu 50 (a = 1.4): P(wait) = C(2, 1.4), Wq = C / (2 mu - lambda).
    const c = erlangC(2, 1.4);
    close(b.waitedFraction, c, 0.03, 'b P(wait)');
    close(b.meanWaitMs, (1000 * c) / 30, 0.03, 'b Wq');
    close(a.predictedUtilisation, 0.6, 1e-9, 'a predicted utilisation');
    close(b.predictedUtilisation, 0.7, 1e-9, 'b predicted utilisation');
    assert.equal(r.requests.completed, r.requests.arrived);
  });

  test('a cache hit with onHit: exit answers the request and skips every downstream stage (thinned Poisson, M/M/1 within 3%)', () => {
    const r = simulate({
      pipeline: {
        stages: [
          {
            id: 'front',
            instances: 4,
            service: exp(1),
            cache: { model: 'hit-ratio', hitRatio: 0.4, hitLatencyMs: 0.5, onHit: 'exit' },
            next: ['back'],
          },
          { id: 'back', instances: 1, service: exp(10) },
        ],
      },
      traffic: { model: 'poisson', rateRps: 100 },
      durationS: 10_000,
      warmupS: 100,
      seed: 4,
      samplePoints: 0,
    });
    const [front, back] = r.stages;
    close(back.visits / front.visits, 0.6, 0.01, 'share of misses reaching back');
    // back is M/M/1 at lambda = 0.6 x 100 = 60, mu = 100: rho 0.6, Wq = 0.6 / 40 = 15 ms.
    close(back.meanWaitMs, 15, 0.03, 'back Wq');
    close(back.predictedUtilisation, 0.6, 1e-9, 'back predicted utilisation');
    assert.equal(r.requests.completed, r.requests.arrived);
    // The mean latency: 0.4 x 0.5 ms (hits) + 0.6 x (1 ms front + 10 ms back + 15 ms wait) +
    // the front's (tiny) wait.
    close(r.latencyMs.mean, 0.4 * 0.5 + 0.6 * (1 + 10 + 15) + front.meanWaitMs * 0.6, 0.03, 'mean');
  });

  test('route checks name the field: next and route together, probabilities not summing to 1, a join after a split', () => {
    const fields = (stages: object[]): string[] => {
      try {
        simulate({ pipeline: { stages }, traffic: { model: 'poisson', rateRps: 1 }, durationS: 1 });
      } catch (e) {
        assert.ok(e instanceof ValidationError, String(e));
        return e.problems.map((p) => `${p.field}: ${p.message}`);
      }
      return [];
    };
    const leaf = (id: string) => ({ id, instances: 1, service: exp(1) });
    const both = fields([
      { ...leaf('r'), next: ['a'], route: [{ to: 'b', probability: 1 }] },
      leaf('a'),
      leaf('b'),
    ]);
    assert.match(both[0], /^pipeline\.stages\[0\]\.route: give next .* or route/);
    const sum = fields([
      {
        ...leaf('r'),
        route: [
          { to: 'a', probability: 0.5 },
          { to: 'b', probability: 0.4 },
        ],
      },
      leaf('a'),
      leaf('b'),
    ]);
    assert.deepEqual(sum, ['pipeline.stages[0].route: probabilities must sum to 1, got 0.9']);
    const join = fields([
      {
        ...leaf('r'),
        route: [
          { to: 'a', probability: 0.5 },
          { to: 'b', probability: 0.5 },
        ],
      },
      { ...leaf('a'), next: ['j'] },
      { ...leaf('b'), next: ['j'] },
      leaf('j'),
    ]);
    assert.match(join[0], /^pipeline\.stages\[0\]: stage "j" joins branches/);
  });
});
