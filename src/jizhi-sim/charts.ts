import { barChart, lineChart, scatterChart } from '../platform/charts';
import { SimulationResult } from './core/simulator';
import { TuneResult } from './tune/tuner';

/** Empirical latency CDF from the result's log-spaced histogram (upper bin edge, cumulative share). */
export function latencyCdfPng(r: SimulationResult): Buffer {
  const { edgesMs, counts } = r.latencyHistogram;
  const total = counts.reduce((a, b) => a + b, 0);
  const points = [{ x: edgesMs[0] ?? 0, y: 0 }];
  let acc = 0;
  counts.forEach((c, i) => {
    acc += c;
    points.push({ x: edgesMs[i + 1], y: total > 0 ? acc / total : 0 });
  });
  return lineChart({
    title: `Latency CDF (p99 ${r.latencyMs.p99} ms)`,
    xLabel: 'latency (ms)',
    yLabel: 'fraction of requests',
    series: [{ name: r.pipeline, points }],
  });
}

export function utilisationPng(r: SimulationResult): Buffer {
  return barChart({
    title: 'Utilisation per stage',
    labels: r.stages.map((s) => s.id),
    values: r.stages.map((s) => s.utilisation),
    valueLabel: 'busy fraction of instances',
  });
}

/**
 * Simulated configurations on (cost, p99) with the Pareto front drawn through. Points above 3x
 * the front's worst p99 (overloaded configs whose queues time out) are left out so that they do
 * not flatten the interesting region.
 */
export function paretoPng(t: TuneResult): Buffer {
  const worstFront = Math.max(0, ...t.paretoFront.map((f) => f.p99Ms));
  const cap = worstFront > 0 ? 3 * worstFront : Infinity;
  const shown = t.history.filter((h) => !h.unstable && h.p99Ms <= cap);
  const hidden = t.history.filter((h) => !h.unstable).length - shown.length;
  const points = shown.map((h) => ({ x: h.cost, y: h.p99Ms }));
  return scatterChart({
    title:
      hidden > 0
        ? `Cost vs p99 latency (${hidden} slower configs not shown)`
        : 'Cost vs p99 latency',
    xLabel: 'cost (per hour, or instances)',
    yLabel: 'p99 (ms)',
    points,
    front: t.paretoFront.map((f) => ({ x: f.cost, y: f.p99Ms })),
    frontLabel: 'Pareto front',
  });
}
