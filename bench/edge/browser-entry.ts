/** The page side of bench/edge/chromium-cache-speedup.ts: the shared streams, in Chromium. */
import * as tf from '@tensorflow/tfjs';
import { compare, CONFIGS, type ComparisonRow } from './online-stream';

async function run(backend: string, seeds: number, length: number): Promise<ComparisonRow[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} is not available`);
  await tf.ready();
  const rows: ComparisonRow[] = [];
  for (const config of CONFIGS) rows.push(await compare(tf.getBackend(), config, seeds, length));
  return rows;
}

(globalThis as unknown as { edgeBench: { run: typeof run } }).edgeBench = { run };
