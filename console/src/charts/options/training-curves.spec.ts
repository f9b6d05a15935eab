import assert from 'node:assert/strict';
import { test } from 'node:test';
import { curves, trainingCurvesOption } from './training-curves';

test('training curves: loss left, accuracy right, epochs from 1, a re-reported epoch keeps its last value', () => {
  const points = [
    { name: 'loss', step: 1, value: 0.5 },
    { name: 'loss', step: 0, value: 0.9 },
    { name: 'val_accuracy', step: 0, value: 0.4 },
    { name: 'val_accuracy', step: 0, value: 0.6 },
    { name: 'fidelity', step: 0, value: 1 },
  ];
  assert.deepEqual(
    [...curves(points)],
    [
      [
        'loss',
        [
          [1, 0.9],
          [2, 0.5],
        ],
      ],
      ['val_accuracy', [[1, 0.6]]],
    ],
  );
  const option = trainingCurvesOption(points);
  const series = option.series as {
    name: string;
    yAxisIndex: number;
    lineStyle: { type: string };
  }[];
  assert.deepEqual(
    series.map((s) => [s.name, s.yAxisIndex, s.lineStyle.type]),
    [
      ['loss', 0, 'solid'],
      ['val_accuracy', 1, 'dashed'],
    ],
  );
  assert.deepEqual((option.yAxis as { min?: number; max?: number }[])[1], {
    type: 'value',
    name: 'accuracy',
    min: 0,
    max: 1,
  });
});
