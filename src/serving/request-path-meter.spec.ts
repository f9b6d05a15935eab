import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestPathMeter } from './request-path-meter';

test('request-path meter: not armed until a deployment is hosted, disarmed when none is', () => {
  const meter = new RequestPathMeter();
  // A process that hosts nothing reads no /proc schedstat and runs no timer.
  assert.equal(meter.armed, false);
  meter.arm(true);
  assert.equal(meter.armed, true);
  meter.arm(true); // idempotent: still one timer
  assert.equal(meter.armed, true);
  meter.arm(false);
  assert.equal(meter.armed, false);
  meter.arm(true);
  meter.onModuleDestroy();
  assert.equal(meter.armed, false);
  assert.equal(meter.measurement(), null);
});

// The hand traces of request-path-calibration.spec.ts (ms): A and B arrive in one loop turn at
// 1.0 and are submitted at 1.6 and 2.0, one batch of 2 ends at 4.6 (enqueued + queue + service),
// both resume at 5.0, answers written at 5.1 and 5.2. On-path loop union: [1.0, 2.0] and
// [4.6, 5.2] = 1.6 ms for 2 requests = 0.8 ms each; the reply [4.6, 5.0] = 0.4 ms for 1 batch.
// Five such pairs 10 ms apart: the same per request and per batch, as the bench's calibration.
test('request-path meter: the on-path loop time from the API stamps equals the traced calibration (hand case)', () => {
  const meter = new RequestPathMeter();
  meter.arm(true);
  try {
    for (let k = 0; k < 5; k++) {
      const t = 10 * k;
      const rows = (queueMs: number) => [{ queueMs, serviceMs: 1, batchSize: 2 }];
      meter.path({
        arrived: t + 1,
        enqueued: t + 1.6,
        resolved: t + 5,
        written: t + 5.1,
        rows: rows(2),
      });
      meter.path({
        arrived: t + 1,
        enqueued: t + 2,
        resolved: t + 5,
        written: t + 5.2,
        rows: rows(1.6),
      });
      meter.served(2);
    }
    meter.closeWindow();
    const m = meter.measurement();
    assert.ok(m?.onPath);
    const close = (a: number, b: number, what: string) =>
      assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
    close(m.onPath.eventLoopMs, 0.8, 'per request');
    close(m.onPath.perBatchMs, 0.4, 'per batch');
    close(m.onPath.batchSize, 2, 'batch size');
    assert.equal(m.onPath.requests, 10);
  } finally {
    meter.arm(false);
  }
});
