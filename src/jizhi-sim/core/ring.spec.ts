import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { ringRequest } from '../sim-specs.schema';
import { ringIterationMs, ringSpeedup, ringTable, simulateRing } from './ring';

describe('ring all-reduce training model (RSPS)', () => {
  const spec = { tCalcMs: 100, tTransmitMs: 20, tMergeMs: 10 };

  test('analytical T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge), hand-computed for n = 4', () => {
    assert.equal(ringIterationMs(1, spec), 100);
    assert.equal(ringIterationMs(4, spec), 100 + 0.75 * 50);
    assert.equal(ringSpeedup(4, spec), 400 / 137.5);
  });

  test('the max-plus ring simulation without jitter reproduces the formula exactly', () => {
    for (const n of [1, 2, 3, 8, 16]) {
      const s = simulateRing(n, spec, 5, 1);
      assert.ok(Math.abs(s.meanIterationMs - ringIterationMs(n, spec)) < 1e-9, `n=${n}`);
    }
  });

  test('with jitter, stragglers make the simulated speedup fall below the formula (max of n draws > mean)', () => {
    const s = simulateRing(8, { ...spec, jitterCv: 0.3 }, 400, 2);
    const a = ringSpeedup(8, spec);
    assert.ok(s.speedup < a && s.speedup > 0.6 * a, `${s.speedup} vs ${a}`);
  });

  test('ringTable: efficiency S(n)/n falls as (n-1)/n grows', () => {
    const rows = ringTable({ tCalcMs: 100, tTransmitMs: 20, tMergeMs: 10, gpus: [1, 2, 8] });
    assert.deepEqual(
      rows.map((r) => r.efficiency),
      [1, 100 / 125, 100 / (100 + (7 / 8) * 50)].map((x) => Number(x.toPrecision(6))),
    );
  });

  test('the request schema names bad fields as sent (a REST body)', () => {
    for (const [body, field] of [
      [{ tCalcMs: -1, tTransmitMs: 1, tMergeMs: 1, gpus: [2] }, 'tCalcMs'],
      [{ tCalcMs: 1, tTransmitMs: 1, tMergeMs: 1, gpus: [0] }, 'gpus[0]'],
      [{ tCalcMs: 1, tTransmitMs: 1, tMergeMs: 1, gpus: [] }, 'gpus'],
    ] as const) {
      assert.throws(
        () => ringRequest.parse(body, ''),
        (e: unknown) => e instanceof ValidationError && e.problems[0].field === field,
      );
    }
    assert.equal(ringRequest.parse({ ...spec, gpus: [2] }).jitterCv, 0);
  });

  test('ringTable: large rings simulate fewer iterations, still exact without jitter', () => {
    // n = 1024: ~2 n^2 = 2.1M ring steps per iteration -> 9 iterations within the 20M-step bound.
    const [row] = ringTable({ ...spec, gpus: [1024] });
    assert.equal(row.simulatedIterations, 9);
    assert.equal(row.simulatedIterationMs, row.iterationMs);
  });
});
