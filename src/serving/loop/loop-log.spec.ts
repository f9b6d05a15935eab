import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentTuning } from '../core/tune-deployment';
import { profileRowLine, tuneChoiceLines, tuneStartLine } from './loop-log';

const row = {
  batchSize: 4,
  latenciesMs: Array(300).fill(2),
  meanMs: 2.5,
  p50Ms: 2.25,
  p99Ms: 4.125,
  p99RelCi: 0.031,
  converged: true,
};

test('a profiled batch size: its sample count, p50, p99 and the CI against the target', () => {
  const line = profileRowLine(row, 0.05);
  assert.equal(
    line,
    'batch 4: 300 samples, mean 2.5 ms, p50 2.25 ms, p99 4.13 ms ±3.1% (95% bootstrap CI, within the ±5.0% target)',
  );
  assert.match(profileRowLine({ ...row, converged: false, p99RelCi: 0.2 }, 0.05), /NOT within/);
});

const tuning: DeploymentTuning = {
  config: {
    instances: 2,
    batch: { maxSize: 8, maxDelayMs: 2 },
    queue: { capacity: 40, timeoutMs: 0 },
  },
  predicted: { p50Ms: 6.1, p99Ms: 18.4, dropRate: 0, throughputRps: 399.6 },
  slo: { p99Ms: 25, maxDropRate: 0.001 },
  traffic: { model: 'poisson', rateRps: 400 },
  trials: 30,
  simulations: 30,
  feasible: [
    {
      config: {
        instances: 2,
        batch: { maxSize: 8, maxDelayMs: 2 },
        queue: { capacity: 0, timeoutMs: 0 },
      },
      p99Ms: 18,
      dropRate: 0,
    },
    {
      config: {
        instances: 3,
        batch: { maxSize: 4, maxDelayMs: 0 },
        queue: { capacity: 0, timeoutMs: 0 },
      },
      p99Ms: 9.5,
      dropRate: 0,
    },
  ],
};

test('the tuner’s choice says why: cheapest feasible, the promised p99 against the SLO', () => {
  const lines = tuneChoiceLines(tuning, 9.5);
  assert.equal(lines[0], '30 simulations over 30 trials, 2 config(s) met the SLO');
  assert.match(
    lines[1],
    /^chosen: 2 instance\(s\), maxSize 8, maxDelayMs 2, queue capacity 40: the cheapest feasible/,
  );
  assert.equal(
    lines[2],
    'promised: p50 6.1 ms, p99 18.4 ms (SLO 25 ms), drops 0.0%, throughput 400 req/s',
  );
  assert.equal(lines[3], 'next cheapest: 3 instance(s) for p99 9.5 ms');
});

test('no feasible config: the lowest p99 seen and what to change', () => {
  const lines = tuneChoiceLines({ ...tuning, config: null, predicted: null, feasible: [] }, 31.2);
  assert.equal(lines.length, 2);
  assert.match(
    lines[1],
    /no configuration met p99 <= 25 ms with drops <= 0.1%; the lowest p99 simulated was 31.2 ms/,
  );
  assert.match(
    tuneStartLine({
      traffic: tuning.traffic,
      slo: tuning.slo,
      maxInstances: 4,
      batchSizes: [1, 2],
      delaysMs: [0, 2],
      profileId: 'p',
    }),
    /^tuning for Poisson 400 req\/s against p99 <= 25 ms and drops <= 0.1%: instances 1-4, maxSize in \{1, 2\}, maxDelayMs in \{0, 2\}/,
  );
});
