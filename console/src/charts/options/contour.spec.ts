import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contourOption, type ContourData } from './contour';
import { overlaps, renderSvg, textBoxes } from './svg-layout';

describe('contour laid out by ECharts', () => {
  test('no label touches another or leaves the canvas: axis names clear of the colour scale', () => {
    // Rendered server-side to SVG by the console's own ECharts build at the study page's 320 px,
    // an int parameter (4 columns) against a float one (25 rows), as the API bins them. The
    // x axis' name sat at the axis' right end, under the colour scale's "-35".
    const floats = Array.from({ length: 25 }, (_, i) => -4.8 + 0.4 * i);
    const data: ContourData = {
      x: { name: 'layers', ticks: [1, 2, 3, 4] },
      y: { name: 'x', ticks: floats },
      direction: 'maximize',
      cells: [
        { x: 0, y: 3, n: 1, value: -35 },
        { x: 2, y: 12, n: 2, value: 5 },
        { x: 3, y: 20, n: 1, value: -3.25 },
      ],
    };
    for (const width of [480, 960]) {
      const boxes = textBoxes(renderSvg(contourOption(data), width, 320));
      for (const name of ['layers', 'x'])
        assert.ok(
          boxes.some((b) => b.text === name),
          name,
        );
      const touching = boxes.flatMap((a, i) =>
        boxes
          .slice(i + 1)
          .filter((b) => overlaps(a, b))
          .map((b) => `${a.text} / ${b.text}`),
      );
      assert.deepEqual(touching, [], `width ${width}`);
      const outside = boxes.filter(
        (b) => b.top < 0 || b.bottom > 320 || b.left < 0 || b.right > width,
      );
      assert.deepEqual(
        outside.map((b) => b.text),
        [],
        `width ${width}: labels off the canvas`,
      );
    }
  });
});
