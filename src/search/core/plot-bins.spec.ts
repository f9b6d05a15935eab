import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { binCenter, binTicks, plotBins } from './plot-bins';

describe('plot bins (one per choice, one per value of a small int range, else equal ranges)', () => {
  test('a categorical parameter: its choices, whatever the bins asked for', () => {
    const bins = plotBins({ type: 'categorical', choices: ['a', 1, null] }, 25);
    assert.deepEqual(binTicks(bins), ['a', 1, null]);
  });

  test('an int in 1..4: four bins at 1, 2, 3, 4 (Optuna plots int parameters at their values)', () => {
    const bins = plotBins({ type: 'int', low: 1, high: 4, log: false, step: 1 }, 25);
    assert.deepEqual(bins, { kind: 'values', count: 4, low: 1, step: 1 });
    assert.deepEqual(binTicks(bins), [1, 2, 3, 4]);
  });

  test('an int with a step, and a float with a step: a bin per grid value', () => {
    assert.deepEqual(
      binTicks(plotBins({ type: 'int', low: 0, high: 8, log: false, step: 2 }, 25)),
      [0, 2, 4, 6, 8],
    );
    const q = plotBins({ type: 'float', low: 0, high: 0.3, log: false, step: 0.1 }, 25);
    assert.equal(
      q.count,
      4,
      '(0.3 - 0) / 0.1 is 2.9999999999999996 in floating point: still 4 values',
    );
    assert.deepEqual(
      (binTicks(q) as number[]).map((v) => Number(v.toFixed(10))),
      [0, 0.1, 0.2, 0.3],
    );
  });

  test('more values than bins: equal ranges, centred (hand-computed)', () => {
    const bins = plotBins({ type: 'int', low: 0, high: 100, log: false, step: 1 }, 25);
    assert.equal(bins.kind, 'ranges');
    assert.equal(binCenter(bins, 1), 2);
    assert.equal(binCenter(bins, 25), 98);
  });

  test('a log float: equal ranges of ln values, the first centred at 1e-4 * 10^(0.5 * 4 / 4)', () => {
    const bins = plotBins({ type: 'float', low: 1e-4, high: 1, log: true }, 4);
    assert.ok(Math.abs((binCenter(bins, 1) as number) - 1e-4 * 10 ** 0.5) < 1e-12);
    assert.ok(Math.abs((binCenter(bins, 4) as number) - 10 ** -0.5) < 1e-12);
  });
});
