import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestRates } from './request-rates';

test('a steady 50 req/s reads 50 req/s once the window is full, and 0 after it has passed', () => {
  const r = new RequestRates(0);
  // One request every 20 ms for 30 s, one drop in ten.
  for (let t = 0; t < 30_000; t += 20) r.record(t % 200 === 0 ? 'dropped' : 'served', t);
  // At a bucket's start the window holds the nine full seconds before it.
  const now = 30_000;
  const rates = r.rates(now);
  assert.equal(rates.windowS, 9);
  assert.equal(rates.servedRps, 45);
  assert.equal(rates.droppedRps, 5);
  assert.deepEqual(r.rates(now + 11_000), { windowS: 9, servedRps: 0, droppedRps: 0 });
});

test('a young deployment is averaged over its age, not the whole window', () => {
  const r = new RequestRates(1_000_000);
  for (let k = 0; k < 40; k++) r.record('served', 1_000_000 + k * 50);
  const rates = r.rates(1_002_000);
  assert.equal(rates.windowS, 2);
  assert.equal(rates.servedRps, 20);
});

test('a bucket is reused for a later second only after it is cleared', () => {
  const r = new RequestRates(0, 3000, 1000);
  for (let k = 0; k < 100; k++) r.record('served', 100);
  r.record('served', 3100); // same slot as second 0, three seconds later
  assert.equal(r.rates(3500).servedRps, 1 / 2.5);
  assert.throws(() => new RequestRates(0, 500, 1000), /bucketMs/);
});
