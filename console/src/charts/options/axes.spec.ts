import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EChartsOption } from 'echarts';
import { edfOption } from './edf';
import { historyOption } from './history';
import { intermediateOption } from './intermediate';
import { paretoOption } from './pareto';
import { sliceOption } from './slice';
import { axisLines, renderSvg, textBoxes } from './svg-layout';

/** Lays `option` out at 480 x the page's 320 px. */
const render = (option: EChartsOption) => renderSvg(option, 480, 320);

// Values on both sides of zero, as a parameter in [-5, 5] or a negated loss gives them.
const spanning = [-4.3, 2.2, -0.5, 3.9, 1.1, -2.8];
const points = spanning.map((value, number) => ({ number, value: value * 10 }));

const charts: [string, EChartsOption][] = [
  ['history', historyOption({ points, best: points, direction: 'maximize' }, 'score')],
  [
    'slice',
    sliceOption(
      {
        name: 'x',
        distribution: { type: 'float' },
        points: spanning.map((x, i) => ({ number: i, x, value: points[i].value })),
        bins: [],
      },
      'score',
    ),
  ],
  ['edf', edfOption([{ name: 's', points: spanning.map((v, i) => ({ v, p: (i + 1) / 6 })) }])],
  [
    'intermediate',
    intermediateOption([{ number: 0, state: 'complete', steps: spanning.map((v, i) => [i, v]) }]),
  ],
  [
    'pareto',
    paretoOption({
      front: spanning.map((v, i) => ({ number: i, values: [v, -v], feasible: true })),
      others: [],
    }),
  ],
];

describe('study charts laid out by ECharts: axes at the plot edges when the data spans zero', () => {
  for (const [name, option] of charts)
    test(`${name}: the y axis runs up the plot's left edge, the x axis along its bottom`, () => {
      // ECharts draws an axis line through the other axis' zero by default; the slice plot's y
      // axis, ticks and all, ran down the middle of the plot (docs: axisLine.onZero).
      const lines = axisLines(render(option));
      const vertical = lines.find((l) => l.x1 === l.x2);
      const horizontal = lines.find((l) => l.y1 === l.y2);
      assert.ok(vertical && horizontal, `${name}: both axis lines drawn`);
      const left = Math.min(horizontal.x1, horizontal.x2);
      const bottom = Math.max(vertical.y1, vertical.y2);
      assert.ok(
        Math.abs(vertical.x1 - left) <= 1,
        `${name}: y axis at x ${vertical.x1}, plot left ${left}`,
      );
      assert.ok(
        Math.abs(horizontal.y1 - bottom) <= 1,
        `${name}: x axis at y ${horizontal.y1}, plot bottom ${bottom}`,
      );
    });
});

describe('slice of an int parameter laid out by ECharts', () => {
  test('ticks only at whole values (no 1.5 for layers in 1..4)', () => {
    const svg = render(
      sliceOption(
        {
          name: 'layers',
          distribution: { type: 'int' },
          points: [1, 2, 3, 4, 3].map((x, number) => ({ number, x, value: x * x })),
          bins: [],
        },
        'score',
      ),
    );
    // The x tick labels: the numbers along the bottom, under the plot.
    const ticks = textBoxes(svg).filter((b) => /^-?[\d.]+$/.test(b.text));
    const bottom = Math.max(...ticks.map((b) => b.top));
    const xTicks = ticks.filter((b) => b.top === bottom).map((b) => Number(b.text));
    assert.ok(xTicks.length >= 2, `x ticks ${xTicks}`);
    assert.deepEqual(
      xTicks.filter((v) => !Number.isInteger(v)),
      [],
      `x ticks ${xTicks}`,
    );
  });
});
