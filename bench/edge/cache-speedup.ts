/**
 * The inference-training cache of packages/edge (AutLearn's cache), measured on Node: online
 * learning over a stream (predict, then feedback with the true label) with the cache vs without
 * it (cacheBytes 0: feedback recomputes the backbone's forward pass from the input).
 *
 *   nice -n 10 node -r @swc-node/register bench/edge/cache-speedup.ts [--backends wasm,cpu]
 *     [--seeds 3] [--stream 64] [--json out.json]
 *
 * Method (bench/edge/online-stream.ts): for each backend, model and head size (the last K layers
 * trainable), and each seed, both modes run on the same seeded base model and the same stream of
 * random inputs, in alternating order (seed 0: cache first, seed 1: recompute first, ...), so
 * machine load hits both alike. The first 4 items warm up and are not timed. Reported: the median
 * time of one feedback (the training step, plus the backbone pass when recomputing),
 * predict+feedback throughput (items/s over the timed stream), and the ratios, side by side.
 * The same streams in Chromium: bench/edge/chromium-cache-speedup.ts.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { compare, CONFIGS, describeRow, type ComparisonRow } from './online-stream';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

async function main(): Promise<void> {
  const rows: ComparisonRow[] = [];
  for (const backend of arg('--backends', 'wasm,cpu').split(',') as ('wasm' | 'cpu')[]) {
    await selectBackend(backend);
    for (const config of CONFIGS) {
      const row = await compare(
        tf.getBackend(),
        config,
        Number(arg('--seeds', '3')),
        Number(arg('--stream', '64')),
      );
      rows.push(row);
      process.stdout.write(`${describeRow(row)}\n`);
    }
  }
  const out = arg('--json', '');
  if (out) fs.writeFileSync(out, JSON.stringify(rows, null, 2) + '\n');
}

void main();
