/**
 * One online-learning stream of bench/edge (Node and Chromium alike): predict each item, then
 * feedback with its label, with the inference-training cache or without it (cacheBytes 0: the
 * feedback recomputes the backbone pass from the input). Pure TF.js: runs in a page too.
 */
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { EdgeModel } from '../../packages/edge/src';
import { Rng } from '../../packages/edge/src/rng';

export const CLASSES = 10;
/** Stream items not timed (kernel set-up, first allocations). */
export const WARMUP = 4;

export interface StreamConfig {
  model: 'small-cnn' | 'mobilenet';
  inputShape: number[];
  headLayers: number;
  what: string;
}

export const CONFIGS: StreamConfig[] = [
  { model: 'small-cnn', inputShape: [28, 28, 1], headLayers: 1, what: 'dense head (650 params)' },
  { model: 'small-cnn', inputShape: [28, 28, 1], headLayers: 2, what: 'fc1 + head (101k params)' },
  { model: 'mobilenet', inputShape: [64, 64, 3], headLayers: 1, what: 'dense head' },
  {
    model: 'mobilenet',
    inputShape: [64, 64, 3],
    headLayers: 5,
    what: 'last pointwise conv + BN + ReLU + pool + head',
  },
];

export interface StreamRun {
  feedbackMs: number;
  itemsPerSecond: number;
  backbonePasses: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length / 2;
  return s.length % 2 ? s[Math.floor(m)] : (s[m - 1] + s[m]) / 2;
}

function items(config: StreamConfig, seed: number, length: number) {
  const rng = new Rng(1000 + seed);
  const size = config.inputShape.reduce((a, b) => a * b, 1);
  return Array.from({ length }, (_, i) => ({
    input: Float32Array.from({ length: size }, () => rng.float()),
    label: i % CLASSES,
  }));
}

/**
 * Earlier labelled items replayed with each feedback: 0, so both modes train on the same
 * one-example batch (without the cache there is nothing to replay).
 */
export async function runStream(
  config: StreamConfig,
  seed: number,
  cached: boolean,
  length: number,
): Promise<StreamRun> {
  const base = buildZooModel(config.model, {
    inputShape: config.inputShape,
    numClasses: CLASSES,
    seed: seed + 1,
  });
  const model = new EdgeModel(
    base,
    {
      id: config.model,
      labels: Array.from({ length: CLASSES }, (_, k) => `c${k}`),
      input: { kind: 'image', shape: config.inputShape, featureNames: null, preprocessing: {} },
    },
    { headLayers: config.headLayers, cacheBytes: cached ? 64 * 1024 * 1024 : 0, replay: 0 },
  );
  const feedbackMs: number[] = [];
  let started = 0;
  for (const [i, item] of items(config, seed, length).entries()) {
    if (i === WARMUP) started = performance.now();
    const p = await model.predict(item.input);
    const t = performance.now();
    await model.feedback(p.id, item.label, cached ? undefined : item.input);
    if (i >= WARMUP) feedbackMs.push(performance.now() - t);
  }
  const elapsed = (performance.now() - started) / 1000;
  const backbonePasses = model.stats.backbonePasses;
  model.dispose();
  return {
    feedbackMs: median(feedbackMs),
    itemsPerSecond: (length - WARMUP) / elapsed,
    backbonePasses,
  };
}

export interface ComparisonRow {
  backend: string;
  model: string;
  input: string;
  headLayers: number;
  head: string;
  seeds: number;
  feedbackMsCached: number;
  feedbackMsRecompute: number;
  feedbackSpeedup: number;
  throughputCached: number;
  throughputRecompute: number;
  throughputRatio: number;
  backbonePassesCached: number;
  backbonePassesRecompute: number;
  perSeedSpeedup: number[];
}

/**
 * Both modes over `seeds` seeds, alternating which goes first, summarised by medians (of the
 * per-run medians).
 */
export async function compare(
  backend: string,
  config: StreamConfig,
  seeds: number,
  length: number,
): Promise<ComparisonRow> {
  const withCache: StreamRun[] = [];
  const without: StreamRun[] = [];
  // An untimed short stream of each mode first: kernel (and WebGL shader) compilation of the
  // model's forward and training passes is paid here, not by whichever mode comes first.
  for (const cached of [true, false]) await runStream(config, 99, cached, WARMUP + 2);
  for (let seed = 0; seed < seeds; seed++) {
    const order = seed % 2 === 0 ? [true, false] : [false, true];
    for (const cached of order)
      (cached ? withCache : without).push(await runStream(config, seed, cached, length));
  }
  const m = (runs: StreamRun[], f: (r: StreamRun) => number) => median(runs.map(f));
  return {
    backend,
    model: config.model,
    input: config.inputShape.join('x'),
    headLayers: config.headLayers,
    head: config.what,
    seeds,
    feedbackMsCached: m(withCache, (r) => r.feedbackMs),
    feedbackMsRecompute: m(without, (r) => r.feedbackMs),
    feedbackSpeedup: m(without, (r) => r.feedbackMs) / m(withCache, (r) => r.feedbackMs),
    throughputCached: m(withCache, (r) => r.itemsPerSecond),
    throughputRecompute: m(without, (r) => r.itemsPerSecond),
    throughputRatio: m(withCache, (r) => r.itemsPerSecond) / m(without, (r) => r.itemsPerSecond),
    backbonePassesCached: withCache[0].backbonePasses,
    backbonePassesRecompute: without[0].backbonePasses,
    perSeedSpeedup: withCache.map((w, k) => +(without[k].feedbackMs / w.feedbackMs).toFixed(2)),
  };
}

export function describeRow(row: ComparisonRow): string {
  return (
    `${row.backend} ${row.model} K=${row.headLayers}: feedback ${row.feedbackMsCached.toFixed(2)} ms ` +
    `vs ${row.feedbackMsRecompute.toFixed(2)} ms (x${row.feedbackSpeedup.toFixed(2)}, seeds ` +
    `${row.perSeedSpeedup.join('/')}); predict+feedback ${row.throughputCached.toFixed(1)} vs ` +
    `${row.throughputRecompute.toFixed(1)} items/s (x${row.throughputRatio.toFixed(2)}); ` +
    `backbone passes ${row.backbonePassesCached} vs ${row.backbonePassesRecompute}`
  );
}
