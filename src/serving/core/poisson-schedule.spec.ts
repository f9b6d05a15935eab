import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poissonSchedule } from './poisson-schedule';

test('Poisson schedule: exponential gaps of mean 1/rate, CV 1, and Kolmogorov-Smirnov against 1 - e^(-rate t)', () => {
  const rate = 200;
  const s = poissonSchedule(rate, 300, 42);
  // Count in [0, 300 s) is Poisson(60000): within 4 standard deviations (245).
  assert.ok(Math.abs(s.length - 60_000) < 4 * Math.sqrt(60_000), `count ${s.length}`);
  const gaps = Float64Array.from(s, (t, i) => (i === 0 ? t : t - s[i - 1]));
  const n = gaps.length;
  const mean = gaps.reduce((a, x) => a + x, 0) / n;
  const sd = Math.sqrt(gaps.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  assert.ok(Math.abs(mean - 5) < 0.1, `mean gap ${mean} ms`);
  assert.ok(Math.abs(sd / mean - 1) < 0.02, `CV ${sd / mean}`);
  // KS: sup |F_n - F| against the exponential CDF; the 1% critical value is 1.628 / sqrt(n).
  const sorted = gaps.slice().sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = 1 - Math.exp(-(rate / 1000) * sorted[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  assert.ok(d < 1.628 / Math.sqrt(n), `KS D = ${d}`);
  for (let i = 1; i < n; i++) assert.ok(s[i] > s[i - 1]);
  assert.ok(s[n - 1] < 300_000);
});

test('Poisson schedule: the same seed gives the same schedule, another seed another; bad input names the argument', () => {
  assert.deepEqual(poissonSchedule(50, 2, 1), poissonSchedule(50, 2, 1));
  assert.notDeepEqual(poissonSchedule(50, 2, 1), poissonSchedule(50, 2, 2));
  assert.throws(() => poissonSchedule(0, 1), /rate must be a positive number/);
  assert.throws(() => poissonSchedule(10, -1), /duration must be a positive/);
  assert.throws(() => poissonSchedule(1e6, 100), /at most 10,000,000/);
});
