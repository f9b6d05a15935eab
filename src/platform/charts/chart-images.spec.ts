import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import {
  barsOption,
  chartPng,
  chartSvg,
  latencyCdfOption,
  nasFrontData,
  nasFrontOption,
  tuningParetoOption,
} from './chart-images';

/** Golden tests on the chart definitions (data in -> option / SVG structure out), not on pixels. */

interface SeriesLike {
  type: string;
  name: string;
  data: unknown[];
  markLine?: { data: { name: string; xAxis?: number; yAxis?: number }[] };
}
const seriesOf = (o: { series?: unknown }): SeriesLike[] => o.series as SeriesLike[];
const axisName = (a: unknown): string => (a as { name: string }).name;

const cdf = {
  pipeline: 'ocr',
  edgesMs: [1, 2, 4, 8, 16],
  counts: [10, 60, 25, 5],
  p99Ms: 12,
  sloMs: 10,
};

const config = (cost: number, p99Ms: number, feasible = true, unstable = false) => ({
  cost,
  p99Ms,
  feasible,
  unstable,
});

describe('chart definitions', () => {
  test('latency CDF: one step series, histogram edges -> cumulative shares ending at 1, p99 and SLO marked', () => {
    const o = latencyCdfOption(cdf);
    const s = seriesOf(o);
    assert.equal(s.length, 1);
    assert.deepEqual(s[0].data, [
      [1, 0],
      [2, 0.1],
      [4, 0.7],
      [8, 0.95],
      [16, 1],
    ]);
    assert.deepEqual(
      s[0].markLine?.data.map((m) => [m.name, m.xAxis]),
      [
        ['p99', 12],
        ['SLO', 10],
      ],
    );
    assert.equal(axisName(o.xAxis), 'latency (ms)');
    assert.equal(axisName(o.yAxis), 'fraction of requests');
  });

  test('tuning Pareto: feasible/infeasible/front/chosen series, SLO as a horizontal markLine, overloaded configs left out', () => {
    const front = [config(2, 30), config(4, 12)];
    const history = [
      ...front,
      config(3, 35),
      config(1, 80, false),
      config(1, 900, false),
      config(9, Infinity, false, true),
    ];
    const o = tuningParetoOption({ history, front, chosen: front[0], sloMs: 40 });
    const s = seriesOf(o);
    assert.deepEqual(
      s.map((x) => [x.name, x.data.length]),
      [
        ['feasible', 3],
        ['infeasible', 1],
        ['Pareto front', 2],
        ['chosen', 1],
      ],
    );
    assert.deepEqual(s[2].markLine?.data, [{ name: 'SLO', yAxis: 40 }]);
    assert.deepEqual(s[3].data, [[2, 30]]);
    assert.match((o.title as { text: string }).text, /1 slower configs not shown/);
    assert.equal(axisName(o.yAxis), 'p99 (ms)');
  });

  test('NAS front: trials, infeasible and the given front sorted by cost', () => {
    const o = nasFrontOption({
      title: 'NAS',
      xLabel: 'MFLOPs',
      yLabel: 'validation accuracy',
      points: [
        { x: 3, y: 0.8, id: 0 },
        { x: 1, y: 0.6, id: 1 },
        { x: 2, y: 0.5, id: 2 },
      ],
      infeasible: [{ x: 9, y: 0.9, id: 3 }],
      front: [
        { x: 3, y: 0.8, id: 0 },
        { x: 1, y: 0.6, id: 1 },
      ],
    });
    const s = seriesOf(o);
    assert.deepEqual(
      s.map((x) => [x.name, x.data.length]),
      [
        ['trials', 3],
        ['infeasible', 1],
        ['Pareto front', 2],
      ],
    );
    assert.deepEqual(s[2].data, [
      { value: [1, 0.6], name: '#1' },
      { value: [3, 0.8], name: '#0' },
    ]);
  });

  test('NAS front data from trial summaries: complete trials with the cost, infeasible apart, scaled', () => {
    const t = (
      number: number,
      flops: number,
      feasible = true,
      state = 'complete',
      latencyMs?: number,
    ) => ({
      number,
      state,
      accuracy: 0.5 + number / 10,
      params: 1000 * number,
      flops,
      feasible,
      ...(latencyMs !== undefined && { latencyMs }),
    });
    const trials = [
      t(0, 2e6),
      t(1, 3e6, false),
      t(2, 1e6, true, 'failed'),
      t(3, 4e6, true, 'complete', 7),
    ];
    const d = nasFrontData('mlp', 'flops', trials, [trials[0], trials[3]]);
    assert.deepEqual(
      d.points.map((p) => [p.id, p.x]),
      [
        [0, 2],
        [3, 4],
      ],
    );
    assert.deepEqual(
      d.infeasible?.map((p) => p.id),
      [1],
    );
    assert.equal(d.xLabel, 'MFLOPs');
    const lat = nasFrontData('mlp', 'latencyMs', trials, [trials[0], trials[3]]);
    assert.deepEqual(
      lat.points.map((p) => [p.id, p.x]),
      [[3, 7]],
    );
    assert.deepEqual(
      lat.front.map((p) => p.id),
      [3],
    );
  });

  test('bars: tiny values are shown in units of a power of ten named on the axis, and render', () => {
    const o = barsOption({
      title: 't',
      labels: ['a', 'b'],
      values: [1e-20, -2e-20],
      valueLabel: 'w',
    });
    assert.equal(axisName(o.xAxis), 'w (x 1e-20)');
    assert.deepEqual(
      seriesOf(o)[0].data.map((b) => (b as { value: number }).value),
      [1, -2],
    );
    assert.match(chartSvg(o), /w \(x 1e-20\)/);
  });

  test('bars reject mismatched values', () => {
    assert.throws(
      () => barsOption({ title: 't', labels: ['a'], values: [], valueLabel: 'v' }),
      /one entry per label/,
    );
  });

  test('SVG: ECharts SSR draws the title, axis names, one bar per label and the SLO line', () => {
    const bars = chartSvg(
      barsOption({
        title: 'NormLIME: cat',
        labels: ['ears', 'whiskers', 'tail'],
        values: [0.5, 0.3, -0.1],
        valueLabel: 'importance',
      }),
    );
    assert.match(bars, /^<svg[^>]*width="640"[^>]*height="400"/);
    for (const text of ['NormLIME: cat', 'ears', 'whiskers', 'tail', 'importance'])
      assert.ok(bars.includes(`>${text}<`), text);
    const pareto = chartSvg(
      tuningParetoOption({ history: [config(2, 30)], front: [config(2, 30)], sloMs: 40 }),
    );
    assert.ok(pareto.includes('>SLO 40 ms<'));
    assert.ok(pareto.includes('>p99 (ms)<'));
  });

  test('PNG smoke: valid signature, requested size, same definition -> same bytes', () => {
    const option = latencyCdfOption(cdf);
    const png = chartPng(option, { width: 480, height: 300 });
    assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    const decoded = PNG.sync.read(png);
    assert.deepEqual([decoded.width, decoded.height], [480, 300]);
    assert.ok(chartPng(option, { width: 480, height: 300 }).equals(png));
    assert.throws(() => chartPng(option, { width: 10, height: 300 }), /width must be/);
  });
});
