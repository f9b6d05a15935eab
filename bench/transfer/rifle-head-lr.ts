/**
 * RIFLE's head learning rate, side by side (docs/benchmarks/transfer.md "RIFLE: the head's
 * learning rate"): `l2`, RIFLE with the head on the run's cosine (`headLr: global`) and RIFLE
 * with the authors' cyclic head rate (`headLr: cyclic`), same seed = same sample, head init and
 * batch order. Uses the standard setting's cached source model, so run
 * bench/transfer/transfer-quality.ts first.
 *
 *   node -r @swc-node/register bench/transfer/rifle-head-lr.ts
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '../../src/ml/backend';
import { Dataset } from '../../src/ml/data/dataset';
import { idxImageDataset } from '../../src/ml/data/idx';
import { fewShot, selectClasses, shuffleDataset } from '../../src/ml/data/transforms';
import { loadModelFromDirectory } from '../../src/ml/io/directory';
import { evaluate } from '../../src/ml/train/evaluate';
import { TrainSet } from '../../src/ml/train/trainer';
import { finetuneConfig } from '../../src/transfer/finetune.schema';
import { finetune } from '../../src/transfer/finetune';

const DATA = '/usr/share/datasets/fashion-mnist';
const SOURCE = path.join(__dirname, '..', 'out', 'transfer', 'full', 'source-01234-30000x4');

function load(split: 'train' | 't10k'): Dataset {
  const file = (kind: string): string =>
    path.join(DATA, `${split}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`);
  return idxImageDataset({
    images: readFileSync(file('images')),
    labels: readFileSync(file('labels')),
    imagesFile: file('images'),
    labelsFile: file('labels'),
  });
}

function tensors(ds: Dataset): TrainSet {
  if (ds.inputs.kind !== 'image') throw new Error('image data expected');
  const flat = new Float32Array(ds.size * 784);
  ds.inputs.pixels.forEach((p, i) => flat.set(p, i * 784));
  return {
    x: tf.tensor4d(flat, [ds.size, 28, 28, 1]),
    y: tf.tensor1d(ds.labels.slice(), 'int32'),
  };
}

const VARIANTS: [string, Record<string, unknown>][] = [
  ['l2', { method: 'l2' }],
  [
    'rifle, global head rate',
    { method: 'rifle', rifle: { periods: 3, fraction: 0.5, headLr: 'global' } },
  ],
  [
    'rifle, cyclic head rate',
    { method: 'rifle', rifle: { periods: 3, fraction: 0.5, headLr: 'cyclic' } },
  ],
];

async function main(): Promise<void> {
  if (!existsSync(path.join(SOURCE, 'model.json')))
    throw new Error(`${SOURCE} missing: run bench/transfer/transfer-quality.ts first`);
  await selectBackend('wasm');
  const base = await loadModelFromDirectory(SOURCE);
  const pool = selectClasses(load('train'), [5, 6, 7, 8, 9]);
  const testDs = shuffleDataset(selectClasses(load('t10k'), [5, 6, 7, 8, 9]), 7);
  const test = tensors(testDs.select([...Array(2000).keys()]));
  console.log(`| k, seed | ${VARIANTS.map(([n]) => n).join(' | ')} |`);
  console.log(`| --- | ${VARIANTS.map(() => '---').join(' | ')} |`);
  for (const k of [10, 50]) {
    for (const seed of [k * 100, k * 100 + 1]) {
      const train = tensors(fewShot(pool, k, seed));
      const cells: string[] = [];
      for (const [, extra] of VARIANTS) {
        const config = finetuneConfig.parse({
          alpha: 1e-4,
          beta: 0.01,
          ...extra,
          epochs: k === 10 ? 30 : 15,
          batchSize: k === 10 ? 16 : 32,
          learningRate: 0.01,
          optimizer: 'momentum',
          lrSchedule: 'cosine',
          headEpochs: 3,
          seed,
        });
        const r = await finetune({ base, train, numClasses: 5, config });
        cells.push((100 * evaluate(r.model, test.x, test.y).accuracy).toFixed(1));
        r.model.dispose();
      }
      tf.dispose([train.x, train.y]);
      console.log(`| ${k}, ${seed} | ${cells.join(' | ')} |`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
