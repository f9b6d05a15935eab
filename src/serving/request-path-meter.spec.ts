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
