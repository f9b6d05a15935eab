import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';
import { close } from '../../../test/support/queueing';

const simulate = (input: object) => simulateInput(input as SimulationInput);

test('two classes sharing one FIFO server are a multi-class M/G/1: Pollaczek-Khinchine wait with the mixed service, per-class latency = Wq + own mean (within 2%)', () => {
  // 40 req/s, 70% "search" (exp 10 ms) and 30% "ads" (exp 30 ms: serviceScale 3). Service is
  // hyperexponential: E[S] = 0.7 x 10 + 0.3 x 30 = 16 ms, E[S^2] = 2 (0.7 x 100 + 0.3 x 900) =
  // 680 ms^2, rho = 0.64; Wq = lambda E[S^2] / (2 (1 - rho)) = 0.04 x 680 / 0.72 = 37.78 ms.
  const r = simulate({
    pipeline: {
      stages: [{ id: 'model', instances: 1, service: { dist: 'exponential', fixedMs: 10 } }],
      classes: [
        { id: 'search', share: 0.7 },
        { id: 'ads', share: 0.3, serviceScale: { model: 3 } },
      ],
    },
    traffic: { model: 'poisson', rateRps: 40 },
    durationS: 40_000,
    warmupS: 200,
    seed: 9,
    samplePoints: 0,
  });
  const wq = (0.04 * 680) / (2 * (1 - 0.64));
  close(r.stages[0].meanWaitMs, wq, 0.02, 'Wq');
  close(r.stages[0].predictedUtilisation, 0.64, 1e-9, 'predicted utilisation');
  const [search, ads] = r.classes ?? [];
  assert.equal(search.id, 'search');
  close(search.latencyMs.mean, wq + 10, 0.02, 'search latency');
  close(ads.latencyMs.mean, wq + 30, 0.02, 'ads latency');
  close(search.completed / (search.completed + ads.completed), 0.7, 0.01, 'search share');
});

test('per-class routes: each class of a shared M/M/1 goes to its own model; each model is the M/M/1 of its class rate (within 3%)', () => {
  // 60 req/s into a shared front (M/M/1, mu 100/s); "search" (2/3) continues to `search-model`,
  // "ads" (1/3) to `ads-model`, both M/M/1 of mu 50/s: rho 0.8 and 0.4, Wq = rho / (mu - lambda)
  // = 80 ms and 13.33 ms. The front's default next (both) is overridden per class.
  const r = simulate({
    pipeline: {
      stages: [
        {
          id: 'front',
          instances: 1,
          service: { dist: 'exponential', fixedMs: 10 },
          next: ['search-model', 'ads-model'],
        },
        { id: 'search-model', instances: 1, service: { dist: 'exponential', fixedMs: 20 } },
        { id: 'ads-model', instances: 1, service: { dist: 'exponential', fixedMs: 20 } },
      ],
      classes: [
        { id: 'search', share: 2 / 3, route: { front: [{ to: 'search-model', probability: 1 }] } },
        { id: 'ads', share: 1 / 3, route: { front: [{ to: 'ads-model', probability: 1 }] } },
      ],
    },
    traffic: { model: 'poisson', rateRps: 60 },
    durationS: 40_000,
    warmupS: 200,
    seed: 10,
    samplePoints: 0,
  });
  const [front, search, ads] = r.stages;
  close(front.meanWaitMs, (0.6 / 40) * 1000, 0.03, 'front Wq');
  close(search.meanWaitMs, 80, 0.03, 'search-model Wq');
  close(ads.meanWaitMs, (1000 * 0.4) / 30, 0.03, 'ads-model Wq');
  close(search.predictedUtilisation, 0.8, 1e-9, 'search-model predicted utilisation');
  close(ads.predictedUtilisation, 0.4, 1e-9, 'ads-model predicted utilisation');
  assert.equal(search.visits + ads.visits, front.visits);
  assert.equal(r.requests.completed, r.requests.arrived);
});

test('class checks name the field: shares not summing to 1, an unknown stage in serviceScale', () => {
  try {
    simulate({
      pipeline: {
        stages: [{ id: 's', instances: 1, service: { dist: 'exponential', fixedMs: 1 } }],
        classes: [
          { id: 'a', share: 0.5 },
          { id: 'b', share: 0.4, serviceScale: { nope: 2 } },
        ],
      },
      traffic: { model: 'poisson', rateRps: 1 },
      durationS: 1,
    });
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    assert.deepEqual(
      e.problems.map((p) => p.field),
      ['pipeline.classes', 'pipeline.classes[1].serviceScale.nope'],
    );
  }
});
