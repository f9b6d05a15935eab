import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contourOption } from './contour';
import { edfOption } from './edf';
import { historyOption } from './history';
import { importanceOption } from './importance';
import { intermediateOption } from './intermediate';
import { paretoOption } from './pareto';
import { parallelOption } from './parallel';
import { sliceOption } from './slice';
import { timelineOption } from './timeline';

type Series = { name?: string; type?: string; data: unknown[]; lineStyle?: { type?: string } };
const series = (o: { series?: unknown }) => o.series as Series[];

test('history: one dot per point, best-so-far as a step line', () => {
  const o = historyOption({
    direction: 'minimize',
    points: [
      { number: 0, value: 3 },
      { number: 1, value: 1 },
      { number: 2, value: 2 },
    ],
    best: [
      { number: 0, value: 3 },
      { number: 1, value: 1 },
      { number: 2, value: 1 },
    ],
  });
  assert.deepEqual(series(o)[0].data, [
    [0, 3],
    [1, 1],
    [2, 2],
  ]);
  assert.deepEqual(series(o)[1].data, [
    [0, 3],
    [1, 1],
    [2, 1],
  ]);
  assert.equal((series(o)[1] as { step?: string }).step, 'end');
  assert.equal((series(o)[0] as { large?: boolean }).large, false, 'few dots: one element each');
  const many = Array.from({ length: 1000 }, (_, i) => ({ number: i, value: i % 7 }));
  const big = historyOption({ direction: 'minimize', points: many, best: many });
  assert.equal((series(big)[0] as { large?: boolean }).large, true, 'many dots: one path');
  assert.equal(series(big)[0].data.length, 1000);
});

test('edf, importance, contour, slice, pareto, parallel, intermediate, timeline map fixed data', () => {
  assert.deepEqual(
    series(
      edfOption([
        {
          name: 's',
          points: [
            { v: 1, p: 0.5 },
            { v: 2, p: 1 },
          ],
        },
      ]),
    )[0].data,
    [
      [1, 0.5],
      [2, 1],
    ],
  );
  const imp = importanceOption({ a: 0.7, b: 0.3 });
  assert.deepEqual((imp.yAxis as { data: string[] }).data, ['b', 'a']);
  const c = contourOption({
    x: { name: 'x', ticks: [0.5, 1.5] },
    y: { name: 'o', ticks: ['a', 'b'] },
    direction: 'minimize',
    cells: [{ x: 0, y: 1, n: 2, value: 4 }],
  });
  assert.deepEqual(series(c)[0].data, [[0, 1, 4]]);
  assert.deepEqual((c.yAxis as { data: string[] }).data, ['a', 'b']);
  const binned = sliceOption({
    name: 'x',
    distribution: { type: 'float' },
    points: null,
    bins: [{ x: 1, n: 3, lo: 0, hi: 2, mean: 1 }],
  });
  assert.deepEqual(
    series(binned).map((s) => s.data),
    [[[1, 0]], [[1, 1]], [[1, 2]]],
  );
  const p = paretoOption({
    front: [{ number: 1, values: [1, 2], feasible: true }],
    others: [
      { number: 2, values: [3, 3], feasible: false },
      { number: 3, values: [2, 4], feasible: true },
    ],
  });
  assert.deepEqual(
    series(p).map((s) => s.data.length),
    [1, 1, 1],
  );
  assert.equal(series(p)[2].name, 'infeasible');
  const par = parallelOption({
    params: { x: { type: 'float' }, o: { type: 'categorical', choices: ['a', 'b'] } },
    trials: [{ number: 0, values: [5], top: true, params: { x: 1, o: 'b' } }],
  });
  assert.deepEqual(series(par)[1].data, [[1, 'b', 5]]);
  const im = intermediateOption([{ number: 4, state: 'pruned', steps: [[0, 1]] }]);
  assert.equal(series(im)[0].lineStyle?.type, 'dashed');
  assert.equal(series(im)[0].name, 'trial 4 (pruned)');
  const tl = timelineOption(
    [
      {
        number: 0,
        state: 'complete',
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:00:01Z',
      },
    ],
    0,
  );
  assert.deepEqual(series(tl)[0].data, [
    [Date.parse('2026-01-01T00:00:00Z'), 0],
    [Date.parse('2026-01-01T00:00:01Z'), 0],
    [null, null],
  ]);
});
