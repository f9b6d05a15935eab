/**
 * The inference-training cache of packages/edge (AutLearn's cache), measured: online learning
 * over a stream (predict, then feedback with the true label) with the cache vs without it
 * (cacheBytes 0: feedback recomputes the backbone's forward pass from the input).
 *
 *   nice -n 10 node -r @swc-node/register bench/edge/cache-speedup.ts [--backends wasm,cpu]
 *     [--seeds 3] [--stream 48] [--json out.json]
 *
 * Method: for each backend, model and head size (the last K layers trainable), and each seed,
 * both modes run on the same seeded base model and the same stream of random inputs, in
 * alternating order (seed 0: cache first, seed 1: recompute first, ...), so machine load hits
 * both alike. The first 4 stream items warm up and are not timed. Reported: the median time of
 * one feedback (the training step, plus the backbone pass when recomputing), predict+feedback
 * throughput (items/s over the timed stream), and the ratio without/with, side by side.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { EdgeModel } from '../../packages/edge/src';
import { Rng } from '../../packages/edge/src/rng';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const backends = arg('--backends', 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];
const seeds = Number(arg('--seeds', '3'));
const streamLength = Number(arg('--stream', '48'));
const WARMUP = 4;
// Earlier labelled items replayed with each feedback: 0 by default, so both modes train on the
// same one-example batch (with replay the recompute mode would have nothing to replay).
const replay = Number(arg('--replay', '0'));
const CLASSES = 10;

interface Config {
  model: 'small-cnn' | 'mobilenet';
  inputShape: number[];
  headLayers: number;
  what: string;
}

const CONFIGS: Config[] = [
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

interface Run {
  feedbackMs: number;
  itemsPerSecond: number;
  backbonePasses: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length / 2;
  return s.length % 2 ? s[Math.floor(m)] : (s[m - 1] + s[m]) / 2;
}

function stream(config: Config, seed: number): { input: Float32Array; label: number }[] {
  const rng = new Rng(1000 + seed);
  const size = config.inputShape.reduce((a, b) => a * b, 1);
  return Array.from({ length: streamLength }, (_, i) => ({
    input: Float32Array.from({ length: size }, () => rng.float()),
    label: i % CLASSES,
  }));
}

async function runOnce(config: Config, seed: number, cached: boolean): Promise<Run> {
  const base = buildZooModel(config.model, {
    inputShape: config.inputShape,
    numClasses: CLASSES,
    seed: seed + 1,
  });
  const labels = Array.from({ length: CLASSES }, (_, k) => `c${k}`);
  const model = new EdgeModel(
    base,
    {
      id: config.model,
      labels,
      input: { kind: 'image', shape: config.inputShape, featureNames: null, preprocessing: {} },
    },
    { headLayers: config.headLayers, cacheBytes: cached ? 64 * 1024 * 1024 : 0, replay },
  );
  const items = stream(config, seed);
  const feedbackMs: number[] = [];
  let started = 0;
  for (const [i, item] of items.entries()) {
    if (i === WARMUP) started = performance.now();
    const p = await model.predict(item.input);
    const t = performance.now();
    await model.feedback(p.id, item.label, cached ? undefined : item.input);
    if (i >= WARMUP) feedbackMs.push(performance.now() - t);
  }
  const elapsed = (performance.now() - started) / 1000;
  const passes = model.stats.backbonePasses;
  model.dispose();
  return {
    feedbackMs: median(feedbackMs),
    itemsPerSecond: (streamLength - WARMUP) / elapsed,
    backbonePasses: passes,
  };
}

async function main(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const backend of backends) {
    await selectBackend(backend);
    for (const config of CONFIGS) {
      const withCache: Run[] = [];
      const without: Run[] = [];
      for (let seed = 0; seed < seeds; seed++) {
        const order = seed % 2 === 0 ? [true, false] : [false, true];
        for (const cached of order)
          (cached ? withCache : without).push(await runOnce(config, seed, cached));
      }
      const m = (runs: Run[], f: (r: Run) => number) => median(runs.map(f));
      const row = {
        backend: tf.getBackend(),
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
        throughputRatio:
          m(withCache, (r) => r.itemsPerSecond) / m(without, (r) => r.itemsPerSecond),
        backbonePassesCached: withCache[0].backbonePasses,
        backbonePassesRecompute: without[0].backbonePasses,
        perSeedSpeedup: withCache.map((w, k) => +(without[k].feedbackMs / w.feedbackMs).toFixed(2)),
      };
      rows.push(row);
      process.stdout.write(
        `${row.backend} ${row.model} K=${row.headLayers}: feedback ${row.feedbackMsCached.toFixed(2)} ms ` +
          `vs ${row.feedbackMsRecompute.toFixed(2)} ms (x${row.feedbackSpeedup.toFixed(2)}, seeds ` +
          `${row.perSeedSpeedup.join('/')}); predict+feedback ${row.throughputCached.toFixed(1)} vs ` +
          `${row.throughputRecompute.toFixed(1)} items/s (x${row.throughputRatio.toFixed(2)}); ` +
          `backbone passes ${row.backbonePassesCached} vs ${row.backbonePassesRecompute}\n`,
      );
    }
  }
  const out = arg('--json', '');
  if (out) fs.writeFileSync(out, JSON.stringify(rows, null, 2) + '\n');
}

void main();
