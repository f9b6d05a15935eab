import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricLinesOption, seriesByName, splitSingleSteps } from './metric-lines';

test('seriesByName: per name, sorted by step, last value of a repeated step wins', () => {
  const series = seriesByName([
    { name: 'loss', step: 2, value: 0.5 },
    { name: 'acc', step: 0, value: 0.1 },
    { name: 'loss', step: 0, value: 2 },
    { name: 'loss', step: 2, value: 0.4 },
  ]);
  assert.deepEqual([...series.keys()], ['acc', 'loss']);
  assert.deepEqual(series.get('loss'), [
    [0, 2],
    [2, 0.4],
  ]);
});

test('metricLinesOption: one line series over the steps, titled by the metric', () => {
  const option = metricLinesOption('loss', [
    [0, 2],
    [1, 1],
  ]);
  const series = option.series as { type: string; data: number[][]; showSymbol: boolean }[];
  assert.equal(series.length, 1);
  assert.equal(series[0].type, 'line');
  assert.deepEqual(series[0].data, [
    [0, 2],
    [1, 1],
  ]);
  assert.equal(series[0].showSymbol, true);
  assert.deepEqual((option.title as { text: string }).text, 'loss');
  assert.equal((option.xAxis as { name: string }).name, 'step');
});

test('splitSingleSteps: metrics of one step are values, the rest curves, in name order', () => {
  const { curves, values } = splitSingleSteps(
    seriesByName([
      { name: 'throughputRps', step: 0, value: 1499.3 },
      { name: 'loss', step: 0, value: 2 },
      { name: 'loss', step: 1, value: 1 },
      { name: 'dropRate', step: 3, value: 0 },
    ]),
  );
  assert.deepEqual([...curves.keys()], ['loss']);
  assert.deepEqual(values, [
    { name: 'dropRate', step: 3, value: 0 },
    { name: 'throughputRps', step: 0, value: 1499.3 },
  ]);
});
