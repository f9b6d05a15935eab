import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionMatrixOption } from './confusion-matrix';
import { classCountsOption } from './class-counts';

describe('evaluation and data set charts', () => {
  test('confusion heatmap: one cell per (true, predicted), first true class on the top row', () => {
    const option = confusionMatrixOption(
      ['cat', 'dog'],
      [
        [5, 1],
        [2, 7],
      ],
    );
    const series = (option.series as { type: string; data: number[][] }[])[0];
    assert.equal(series.type, 'heatmap');
    // [predicted x, row y (bottom-up), count]
    assert.deepEqual(series.data, [
      [0, 1, 5],
      [1, 1, 1],
      [0, 0, 2],
      [1, 0, 7],
    ]);
    assert.deepEqual((option.yAxis as { data: string[] }).data, ['dog', 'cat']);
    assert.equal((option.visualMap as { max: number }).max, 7);
  });

  test('class counts: one bar per class in class order', () => {
    const option = classCountsOption({ dark: 16, light: 12 });
    assert.deepEqual((option.xAxis as { data: string[] }).data, ['dark', 'light']);
    assert.deepEqual((option.series as { data: number[] }[])[0].data, [16, 12]);
  });
});
