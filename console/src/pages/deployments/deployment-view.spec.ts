import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, DeploymentMetrics } from '../../api/deployments';
import {
  appendPoint,
  batchSizesOf,
  batchSizeRows,
  livePoint,
  patchBody,
  problemsByField,
  configForm,
} from './deployment-view';

function deployment(
  served: number,
  dropped: number,
  rates = { windowS: 10, servedRps: 7, droppedRps: 1 },
): Deployment {
  const metrics: DeploymentMetrics = {
    queueLength: 3,
    instances: 2,
    busyInstances: 1,
    requests: { served, dropped },
    drops: { queue_full: dropped, timeout: 0, deadline: 0, stopped: 0 },
    batchSizes: { '8': 2, '1': 5 },
    serviceMsByBatchSize: {},
    latencyMs: { count: served, mean: 4, p50: 3, p95: 8, p99: 12, max: 20 },
    queueMs: { mean: 1, p99: 2 },
    backend: 'wasm',
  };
  return {
    id: 'd',
    name: 'cnn',
    model: { id: 'm', name: 'base' },
    instances: 2,
    batch: { maxSize: 8, maxDelayMs: 2 },
    queue: { capacity: 64, timeoutMs: 30000 },
    generation: 1,
    createdAt: '',
    updatedAt: '',
    endpoints: { predict: '', serve: '' },
    status: { state: 'running', generation: 1, metrics, rates },
  };
}

test('live rates: the counters’ change over the interval; the server’s window first and after a reset', () => {
  const first = livePoint(deployment(100, 4), 10_000, null);
  assert.ok(first);
  assert.equal(first.point.servedRps, 7); // status.rates: no previous sample
  assert.equal(first.point.p99Ms, 12);
  const second = livePoint(deployment(150, 6), 12_000, first.counters);
  assert.ok(second);
  assert.equal(second.point.servedRps, 25); // 50 requests in 2 s
  assert.equal(second.point.droppedRps, 1);
  // The API process restarted: counters back to small numbers, no negative rate.
  const reset = livePoint(deployment(3, 0), 14_000, second.counters);
  assert.equal(reset?.point.servedRps, 7);
  const noMetrics = deployment(0, 0);
  delete noMetrics.status.metrics;
  assert.equal(livePoint(noMetrics, 1, null), null);
});

test('the live series keeps the newest points', () => {
  let s = appendPoint([], livePoint(deployment(1, 0), 0, null)!.point, 3);
  for (let t = 1; t <= 4; t++) s = appendPoint(s, { ...s[0], t }, 3);
  assert.deepEqual(
    s.map((p) => p.t),
    [2, 3, 4],
  );
});

test('PATCH body: only what changed, numbers as typed so the server names a bad one', () => {
  const d = deployment(0, 0);
  assert.equal(patchBody(d, configForm(d)), null);
  assert.deepEqual(patchBody(d, { ...configForm(d), instances: '3', maxDelayMs: '5' }), {
    instances: 3,
    batch: { maxDelayMs: 5 },
  });
  assert.deepEqual(patchBody(d, { ...configForm(d), instances: 'two', capacity: ' 128 ' }), {
    instances: 'two',
    queue: { capacity: 128 },
  });
  assert.deepEqual(batchSizesOf('1, 2  4,x'), [1, 2, 4, 'x']);
  assert.deepEqual(batchSizeRows({ '8': 2, '1': 5, '16': 1 }), [
    [1, 5],
    [8, 2],
    [16, 1],
  ]);
});

test('problem+json field problems land on their field; a problem without fields on the form', () => {
  assert.deepEqual(
    problemsByField(
      [
        { field: 'instances', message: 'must be >= 1' },
        { field: '/batch/maxSize', message: 'must be <= 1024' },
      ],
      'invalid body',
    ),
    { instances: ['must be >= 1'], 'batch.maxSize': ['must be <= 1024'] },
  );
  assert.deepEqual(problemsByField(undefined, 'deployment loop has no profile yet'), {
    '': ['deployment loop has no profile yet'],
  });
});
