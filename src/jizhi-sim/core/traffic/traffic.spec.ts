import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../platform/core/rng';
import { SimRandom } from '../sim-random';
import { DiurnalTraffic } from './diurnal';
import { MmppTraffic } from './mmpp';
import { ReplayTraffic, parseTraceCsv } from './replay';
import { TrafficModel } from './traffic-model';

function countArrivals(m: TrafficModel, until: number, seed: number): number[] {
  const rng = new SimRandom(new Rng(seed));
  const ts: number[] = [];
  for (let t = m.next(0, rng); t < until; t = m.next(t, rng)) ts.push(t);
  return ts;
}

describe('traffic models', () => {
  test('MMPP long-run rate is sum(rate_k dwell_k) / sum(dwell_k) (stationary phase law) within 2%', () => {
    // Short phases (50 000 cycles) keep the sampling noise of the time spent per phase near 0.5%.
    const m = new MmppTraffic([100, 1000], [0.08, 0.02]);
    assert.ok(Math.abs(m.meanRate() - 280) < 1e-9);
    const n = countArrivals(m, 5000, 3).length;
    assert.ok(Math.abs(n / 5000 - 280) / 280 < 0.02, `rate ${n / 5000}`);
  });

  test('MMPP is burstier than Poisson: index of dispersion of counts per second > 1', () => {
    const ts = countArrivals(new MmppTraffic([100, 1000], [4, 1]), 2000, 4);
    const counts = new Array<number>(2000).fill(0);
    for (const t of ts) counts[Math.floor(t)]++;
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    const v = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / counts.length;
    assert.ok(v / mean > 10, `dispersion ${v / mean}`);
  });

  test('diurnal thinning: arrivals in the peak and trough quarters follow the integral of the rate', () => {
    // rate(t) = 100 (1 + 0.8 sin(2 pi t / 100)); over [0, 50) the integral is 100 (50 + 0.8 * 100 / pi).
    const m = new DiurnalTraffic(100, 0.8, 100);
    const ts = countArrivals(m, 100 * 40, 9);
    const firstHalf = ts.filter((t) => t % 100 < 50).length / 40;
    const expected = 100 * (50 + (0.8 * 100) / Math.PI);
    assert.ok(Math.abs(firstHalf - expected) / expected < 0.02, `${firstHalf} vs ${expected}`);
  });

  test('replay returns the trace, loops with period last + mean gap, and parses CSV with a header', () => {
    assert.deepEqual(parseTraceCsv('timestamp,user\n0.5,a\n1.0,b\n\n2.5,c\n'), [0.5, 1, 2.5]);
    assert.throws(() => parseTraceCsv('t\n1\nx\n'), /line 3/);
    const m = new ReplayTraffic([0, 1, 2], true);
    const got = [0, 1, 2, 3, 4].map(() => m.next());
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.throws(() => new ReplayTraffic([1, 0.5]), /ascending/);
  });
});
