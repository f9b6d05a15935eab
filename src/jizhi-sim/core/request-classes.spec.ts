import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';

const simulate = (input: object) => simulateInput(input as SimulationInput);

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.abs(expected),
    `${what}: ${actual} vs ${expected} (tolerance ${rel * 100}%)`,
  );
}

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
