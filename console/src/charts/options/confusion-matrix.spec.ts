import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionMatrixHeight, confusionMatrixOption } from './confusion-matrix';
import { classCountsOption } from './class-counts';
import { overlaps, renderSvg, textBoxes } from './svg-layout';

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

  test('confusion heatmap laid out by ECharts: no label overlaps the axis name "predicted"', () => {
    // Rendered server-side to SVG by the console's own ECharts build, at the height the model
    // page gives it. The colour scale's handle labels sit under the axis name; with the grid's
    // old bottom margin (72 px) its max label was drawn over "predicted".
    for (const n of [2, 3, 10, 20]) {
      const names = Array.from({ length: n }, (_, i) => `class ${i}`);
      const confusion = names.map((_, t) => names.map((_, p) => (t === p ? 1932 : t + p)));
      const svg = renderSvg(confusionMatrixOption(names, confusion), 800, confusionMatrixHeight(n));
      const boxes = textBoxes(svg);
      const predicted = boxes.find((b) => b.text === 'predicted');
      assert.ok(predicted, 'the axis name is drawn');
      const overlapping = boxes.filter((b) => b !== predicted && overlaps(b, predicted));
      assert.deepEqual(
        overlapping.map((b) => b.text),
        [],
        `${n} classes`,
      );
    }
  });

  test('class counts: one bar per class in class order', () => {
    const option = classCountsOption({ dark: 16, light: 12 });
    assert.deepEqual((option.xAxis as { data: string[] }).data, ['dark', 'light']);
    assert.deepEqual((option.series as { data: number[] }[])[0].data, [16, 12]);
  });
});
