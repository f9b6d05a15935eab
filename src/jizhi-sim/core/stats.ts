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

/** Linear-interpolation quantile of sorted data (Hyndman & Fan type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const x = q * (n - 1);
  const i = Math.floor(x);
  return i + 1 < n ? sorted[i] + (x - i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

/** Latency summary (ms) and a histogram on 40 log-spaced bins between min and max. */
export function summariseLatencies(sortedS: Float64Array): {
  summary: LatencySummary;
  histogram: { edgesMs: number[]; counts: number[] };
} {
  const n = sortedS.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sortedS[i];
  const ms = (x: number): number => sig(1000 * x);
  const summary: LatencySummary = {
    count: n,
    mean: n > 0 ? ms(sum / n) : 0,
    p50: ms(quantileSorted(sortedS, 0.5)),
    p90: ms(quantileSorted(sortedS, 0.9)),
    p99: ms(quantileSorted(sortedS, 0.99)),
    p999: ms(quantileSorted(sortedS, 0.999)),
    max: n > 0 ? ms(sortedS[n - 1]) : 0,
  };
  if (n === 0) return { summary, histogram: { edgesMs: [], counts: [] } };
  const bins = 40;
  const lo = Math.max(sortedS[0], 1e-6);
  const hi = Math.max(sortedS[n - 1], lo * 1.000001);
  const ratio = Math.log(hi / lo) / bins;
  const edges: number[] = [];
  for (let b = 0; b <= bins; b++) edges.push(lo * Math.exp(ratio * b));
  const counts = new Array<number>(bins).fill(0);
  let b = 0;
  for (let i = 0; i < n; i++) {
    while (b < bins - 1 && sortedS[i] >= edges[b + 1]) b++;
    counts[b]++;
  }
  return { summary, histogram: { edgesMs: edges.map(ms), counts } };
}
