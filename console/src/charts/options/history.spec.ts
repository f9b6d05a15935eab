import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { historyOption } from './history';
import { axisLines, overlaps, renderSvg, textBoxes } from './svg-layout';

describe('optimisation history laid out by ECharts', () => {
  test('the legend sits above the plot, clear of every label and of the zoom slider under the axis', () => {
    // Rendered server-side to SVG by the console's own ECharts build at the study page's
    // 320 px. ECharts 6 puts a legend at the bottom by default, where this chart's zoom slider
    // is: "loss" and "best so far" were drawn over it.
    const values = [5.6, 29, 37, 24, 2.2, 26, 25, 6.7, 31, 0.25, 1.4, 0.14, 0.003, 0.003];
    const points = values.map((value, number) => ({ number, value }));
    let best = Infinity;
    const bestSoFar = points.map((p) => ({
      number: p.number,
      value: (best = Math.min(best, p.value)),
    }));
    for (const width of [480, 960]) {
      const svg = renderSvg(
        historyOption({ points, best: bestSoFar, direction: 'minimize' }, 'loss'),
        width,
        320,
      );
      // The plot's left edge: where the x axis line starts.
      const xAxis = axisLines(svg).find((l) => l.y1 === l.y2);
      assert.ok(xAxis, `width ${width}: the x axis is drawn`);
      const plotLeft = Math.min(xAxis.x1, xAxis.x2);
      const boxes = textBoxes(svg);
      // The legend's entries: "best so far" and, beside it, the series' "loss" (the y axis is
      // named "loss" too).
      const bestEntry = boxes.find((b) => b.text === 'best so far');
      assert.ok(bestEntry, `width ${width}: the legend is drawn`);
      const nearest = (b: { left: number }) => Math.abs(b.left - bestEntry.left);
      const lossEntry = boxes
        .filter((b) => b.text === 'loss')
        .sort((a, b) => nearest(a) - nearest(b))[0];
      const legend = [bestEntry, lossEntry];
      const others = boxes.filter((b) => !legend.includes(b));
      // The y axis' tick labels, left of the plot: the highest marks the plot's top.
      const yTicks = others.filter((b) => /^\d+$/.test(b.text) && b.right <= plotLeft);
      assert.ok(yTicks.length >= 3, `width ${width}: y tick labels found`);
      const plotTop = Math.min(...yTicks.map((b) => b.top));
      for (const l of legend) {
        assert.ok(
          l.bottom <= plotTop,
          `width ${width}: legend "${l.text}" at ${l.bottom}, plot top ${plotTop}`,
        );
        assert.deepEqual(
          others.filter((b) => overlaps(b, l)).map((b) => b.text),
          [],
          `width ${width}`,
        );
      }
    }
  });
});
