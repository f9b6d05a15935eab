import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normLimeBarsOption } from './normlime-bars';

test('NormLIME bars: the top-ranked feature is the top bar, at most `top` bars', () => {
  const ranking = [
    { feature: 'petal', importance: 0.6 },
    { feature: 'sepal', importance: 0.3 },
    { feature: 'stem', importance: 0.1 },
  ];
  const option = normLimeBarsOption(ranking, 'NormLIME: setosa', 2);
  const y = option.yAxis as { data: string[] };
  const [bars] = option.series as { data: number[] }[];
  // Category axes run bottom-up, so the last entry is drawn on top.
  assert.deepEqual(y.data, ['sepal', 'petal']);
  assert.deepEqual(bars.data, [0.3, 0.6]);
  assert.equal((option.title as { text: string }).text, 'NormLIME: setosa');
  assert.deepEqual(ranking[0].feature, 'petal', 'the input is not reordered');
});
