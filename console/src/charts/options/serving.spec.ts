import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchSizesOption,
  liveLatencyOption,
  liveThroughputOption,
  profileOption,
  tuningOption,
} from './serving';

type Series = { name: string; type: string; data: unknown[]; stack?: string; yAxisIndex?: number };
const series = (o: { series?: unknown }) => o.series as Series[];

const sample = (t: number, served: number) => ({
  t,
  servedRps: served,
  droppedRps: 0,
  p50Ms: 3,
  p95Ms: 8,
  p99Ms: 12,
  queueLength: 2,
  busyInstances: 1,
});

test('live charts: one line per quantity over wall time', () => {
  const samples = [sample(1000, 10), sample(3000, 20)];
  const rps = series(liveThroughputOption(samples));
  assert.deepEqual(
    rps.map((s) => s.name),
    ['served', 'dropped'],
  );
  assert.deepEqual(rps[0].data, [
    [1000, 10],
    [3000, 20],
  ]);
  assert.deepEqual(
    series(liveLatencyOption(samples)).map((s) => [s.name, (s.data[1] as number[])[1]]),
    [
      ['p50', 3],
      ['p95', 8],
      ['p99', 12],
    ],
  );
  const bars = batchSizesOption([
    [1, 5],
    [8, 2],
  ]);
  assert.deepEqual((bars.xAxis as { data: string[] }).data, ['1', '8']);
  assert.deepEqual(series(bars)[0].data, [5, 2]);
});

test('profile: p50/mean/p99 per batch size, the p99 CI band stacked from its low end, throughput b/mean', () => {
  const o = profileOption([
    { batchSize: 1, meanMs: 2, p50Ms: 1.9, p99Ms: 4, p99RelCi: 0.05 },
    { batchSize: 8, meanMs: 8, p50Ms: 7.5, p99Ms: 10, p99RelCi: 0.1 },
  ]);
  const byName = new Map(series(o).map((s) => [s.name, s]));
  assert.deepEqual(byName.get('p99')?.data, [4, 10]);
  // CI of +-5% around 4 ms and +-10% around 10 ms: [3.8, 4.2] and [9, 11].
  assert.deepEqual(byName.get('ci-base')?.data, [3.8, 9]);
  const width = byName.get('p99 95% CI')?.data as number[];
  assert.ok(Math.abs(width[0] - 0.4) < 1e-12 && Math.abs(width[1] - 2) < 1e-12);
  assert.equal(byName.get('p99 95% CI')?.stack, byName.get('ci-base')?.stack);
  assert.deepEqual(byName.get('req/s per instance')?.data, [500, 1000]);
  // A CI wider than the p99 starts at 0 ms, not below the axis.
  const wide = profileOption([{ batchSize: 1, meanMs: 2, p50Ms: 2, p99Ms: 10, p99RelCi: 1.5 }]);
  const wideSeries = new Map(series(wide).map((s) => [s.name, s.data]));
  assert.deepEqual(wideSeries.get('ci-base'), [0]);
  assert.deepEqual(wideSeries.get('p99 95% CI'), [25]);
  assert.equal(byName.get('req/s per instance')?.yAxisIndex, 1);
});

test('tuning: feasible configs at (instances, p99), the chosen one apart, the SLO as a line', () => {
  const chosen = { instances: 1, maxSize: 8, maxDelayMs: 2, p99Ms: 30 };
  const o = tuningOption({
    feasible: [chosen, { instances: 2, maxSize: 4, maxDelayMs: 0, p99Ms: 12 }],
    chosen,
    sloMs: 40,
  });
  const [feasible, picked] = series(o);
  assert.deepEqual(
    feasible.data.map((d) => (d as { value: number[] }).value),
    [
      [1, 30],
      [2, 12],
    ],
  );
  assert.deepEqual((picked.data[0] as { value: number[] }).value, [1, 30]);
  const yMax = (o.yAxis as { max: (v: { max: number }) => number }).max;
  assert.equal(yMax({ max: 30 }), 44); // the SLO (40 ms) in view above every config
  assert.equal(yMax({ max: 100 }), 110);
  const mark = (feasible as unknown as { markLine: { data: { yAxis: number }[] } }).markLine;
  assert.equal(mark.data[0].yAxis, 40);
  assert.equal(series(tuningOption({ feasible: [], chosen: null, sloMs: 40 }))[1].data.length, 0);
});
