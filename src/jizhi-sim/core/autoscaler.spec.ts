import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { tuneSpec } from '../sim-specs.schema';
import { type SimulationInput, simulate as simulateInput } from './prepare-simulation';
import { tune } from './tune/tuner';

const simulate = (input: object) => simulateInput(input as SimulationInput);

const autoscaled = (traffic: object, durationS: number) =>
  simulate({
    pipeline: {
      stages: [
        {
          id: 'dnn',
          instances: 2,
          pricePerHour: 3,
          service: { dist: 'exponential', fixedMs: 10 },
          autoscale: { min: 1, max: 12, targetUtilisation: 0.8, intervalS: 5, cooldownS: 10 },
        },
      ],
    },
    traffic,
    durationS,
    warmupS: 100,
    seed: 12,
    samplePoints: 0,
  });

test('autoscaling to a target utilisation under steady Poisson load settles where lambda / (mu n) is at the target', () => {
  // 400 req/s of 10 ms work = 4 busy instances on average; at a 0.8 target the policy asks for
  // 4 / 0.8 = 5, where the utilisation is the target (within the 10% tolerance, so it stays).
  // It starts from 2, which alone would be unstable, and is at 5 long before the window.
  const r = autoscaled({ model: 'poisson', rateRps: 400 }, 3000);
  const st = r.stages[0];
  assert.ok(
    st.meanInstances >= 4.95 && st.meanInstances <= 5.2,
    `mean instances ${st.meanInstances}`,
  );
  assert.ok(Math.abs(st.utilisation - 0.8) <= 0.02 * 0.8, `utilisation ${st.utilisation}`);
  // Work conservation: utilisation = lambda E[S] / mean instances (within 2%).
  const expected = 4 / st.meanInstances;
  assert.ok(
    Math.abs(st.utilisation - expected) <= 0.02 * expected,
    `${st.utilisation} vs ${expected}`,
  );
  assert.ok(st.scaleEvents >= 1);
  assert.equal(r.cost.perHour, Number((3 * st.meanInstances).toPrecision(6)));
  assert.equal(r.requests.dropped, 0);
});

test('under diurnal traffic the autoscaler follows the load: fewer instance-hours than sized for the peak, bounded latency', () => {
  // Mean 400 req/s swinging +-75% over 600 s: the peak needs ceil(7 / 0.8) = 9 instances.
  const r = autoscaled({ model: 'diurnal', meanRps: 400, amplitude: 0.75, periodS: 600 }, 3000);
  const st = r.stages[0];
  assert.ok(st.scaleEvents >= 10, `scale events ${st.scaleEvents}`);
  assert.ok(st.meanInstances < 8, `mean instances ${st.meanInstances}`);
  assert.ok(st.meanInstances > 4, `mean instances ${st.meanInstances}`);
  assert.ok(r.latencyMs.p99 < 1000, `p99 ${r.latencyMs.p99} ms`);
  assert.ok(r.littleLaw.relativeError < 0.01);
});

test('the tuner tunes the autoscaler: a higher target utilisation costs fewer simulated instance-hours; the best config meets the p99 SLO', async () => {
  const r = await tune(
    tuneSpec.parse(
      {
        pipeline: {
          stages: [
            {
              id: 'dnn',
              instances: 6,
              pricePerHour: 3,
              service: { dist: 'exponential', fixedMs: 10 },
              autoscale: { min: 1, max: 12, targetUtilisation: 0.5, intervalS: 5, cooldownS: 10 },
            },
          ],
        },
        traffic: { model: 'diurnal', meanRps: 400, amplitude: 0.5, periodS: 300 },
        slo: { p99Ms: 80 },
        space: [
          { stage: 'dnn', param: 'autoscale.targetUtilisation', values: [0.5, 0.7, 0.9] },
          { stage: 'dnn', param: 'autoscale.cooldownS', values: [10, 60] },
        ],
        budget: { trials: 6 },
        sampler: 'grid',
        seeds: 1,
        durationS: 900,
        warmupS: 60,
      },
      '',
    ),
  );
  assert.equal(r.trials, 6);
  const cost = (target: number, cooldown: number) =>
    r.history.find(
      (h) =>
        h.params['dnn.autoscale.targetUtilisation'] === target &&
        h.params['dnn.autoscale.cooldownS'] === cooldown,
    )?.cost ?? NaN;
  assert.ok(cost(0.9, 10) < cost(0.5, 10), `${cost(0.9, 10)} vs ${cost(0.5, 10)}`);
  assert.ok(r.best && r.best.feasible && r.best.p99Ms <= 80, JSON.stringify(r.best));
  // The cost is simulated (mean instances x 3/h), not the starting 6 x 3/h.
  assert.notEqual(r.current.cost, 18);
});

test('autoscale checks name the field: start outside min..max, max below min', () => {
  try {
    simulate({
      pipeline: {
        stages: [
          {
            id: 's',
            instances: 5,
            service: { dist: 'exponential', fixedMs: 1 },
            autoscale: { min: 2, max: 1, targetUtilisation: 0.5 },
          },
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
      ['pipeline.stages[0].autoscale.max', 'pipeline.stages[0].instances'],
    );
  }
});
