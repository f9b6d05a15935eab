import { LatencySketch } from './latency-sketch';

/** Round to 6 significant digits: readable JSON, and still deterministic. */
export function sig(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(6));
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Latency summary (ms) and a histogram on 40 log-spaced bins between min and max, from the run's
 * sketch: count, mean and max exact, percentiles within its relative accuracy (0.1%).
 */
export function summariseLatencies(sketch: LatencySketch): {
  summary: LatencySummary;
  histogram: { edgesMs: number[]; counts: number[] };
} {
  const n = sketch.count;
  const ms = (x: number): number => sig(1000 * x);
  const summary: LatencySummary = {
    count: n,
    mean: n > 0 ? ms(sketch.sum / n) : 0,
    p50: ms(sketch.quantile(0.5)),
    p90: ms(sketch.quantile(0.9)),
    p99: ms(sketch.quantile(0.99)),
    p999: ms(sketch.quantile(0.999)),
    max: n > 0 ? ms(sketch.max) : 0,
  };
  if (n === 0) return { summary, histogram: { edgesMs: [], counts: [] } };
  const bins = 40;
  const lo = Math.max(sketch.min, 1e-6);
  const hi = Math.max(sketch.max, lo * 1.000001);
  const ratio = Math.log(hi / lo) / bins;
  const edges: number[] = [];
  for (let b = 0; b <= bins; b++) edges.push(lo * Math.exp(ratio * b));
  const counts = new Array<number>(bins).fill(0);
  let b = 0;
  sketch.forEachBucket((value, count) => {
    while (b < bins - 1 && value >= edges[b + 1]) b++;
    counts[b] += count;
  });
  return { summary, histogram: { edgesMs: edges.map(ms), counts } };
}
