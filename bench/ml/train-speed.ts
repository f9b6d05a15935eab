/**
 * Training throughput of each zoo model on synthetic 28x28x1 data (MLP: the 784 pixels flattened;
 * text classifier: 28 token ids), per backend (wasm vs cpu), and the overhead of our training
 * loop (src/ml/train/trainer.ts) against model.fit on the same model, data, optimizer and backend.
 *
 *   node -r @swc-node/register bench/ml/train-speed.ts [--quick] [--backends wasm,cpu] [--models a,b]
 *     [--reps 2]
 *
 * Method: for each (backend, model), one warm-up batch of each method, then `reps` alternating
 * timed calls (fit, loop, fit, loop, ...) of `epochs` epochs each, so that load from other
 * processes hits both alike; samples/s = examples trained / median call time. Both use Adam
 * (lr 1e-3), batch 32, shuffling, and report training accuracy (fit: metrics ['accuracy']; the
 * loop computes it from its forward pass). The cpu backend is 10-100x slower, so it trains on
 * fewer examples per epoch (the rate is per example either way).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { buildZooModel, ZOO_MODEL_NAMES, ZooModelName, ZooOptions } from '../../src/ml/zoo/zoo';
import { trainModel } from '../../src/ml/train/trainer';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const backends = (argValue('--backends') ?? 'wasm,cpu').split(',') as Array<'wasm' | 'cpu'>;
const models = (argValue('--models')?.split(',') ?? ZOO_MODEL_NAMES) as ZooModelName[];
const reps = Number(argValue('--reps') ?? 2);
const batchSize = 32;
// cpu's conv backprop kernels are plain JS loops (seconds per batch): one batch per timed call.
const examples = (backend: string): number => (backend === 'cpu' ? 32 : quick ? 64 : 256);
const epochsFor = (backend: string): number => (backend === 'cpu' || quick ? 1 : 2);

function options(name: ZooModelName): ZooOptions {
  if (name === 'mlp') return { inputShape: [784], numClasses: 10, seed: 1 };
  if (name === 'text-classifier')
    return { inputShape: [28], numClasses: 10, vocabSize: 1000, lstmUnits: 16, seed: 1 };
  return { inputShape: [28, 28, 1], numClasses: 10, seed: 1 };
}

function data(name: ZooModelName, n: number): { x: tf.Tensor; y: tf.Tensor; yOneHot: tf.Tensor } {
  const shape = [n, ...options(name).inputShape];
  const x =
    name === 'text-classifier'
      ? tf.randomUniform(shape, 0, 1000, 'int32', 1)
      : tf.randomUniform(shape, 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 10),
    'int32',
  );
  return { x, y, yOneHot: tf.oneHot(y, 10) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length / 2;
  return s.length % 2 ? s[Math.floor(m)] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const backend of backends) {
    await selectBackend(backend);
    for (const name of models) {
      const n = examples(backend);
      const epochs = epochsFor(backend);
      const d = data(name, n);
      const warm = {
        x: d.x.slice(0, batchSize),
        y: d.y.slice(0, batchSize),
        yOneHot: d.yOneHot.slice(0, batchSize),
      };
      const fitModel = buildZooModel(name, options(name));
      fitModel.compile({
        optimizer: tf.train.adam(1e-3),
        loss: 'categoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const loopModel = buildZooModel(name, options(name));
      const fitRun = async (set: typeof d, e: number): Promise<number> => {
        const t0 = performance.now();
        await fitModel.fit(set.x, set.yOneHot, { epochs: e, batchSize, shuffle: true, verbose: 0 });
        return performance.now() - t0;
      };
      const loopRun = async (set: typeof d, e: number): Promise<number> => {
        const t0 = performance.now();
        await trainModel(
          loopModel,
          { x: set.x, y: set.y },
          { epochs: e, batchSize, learningRate: 1e-3, optimizer: { name: 'adam' } },
        );
        return performance.now() - t0;
      };
      await fitRun(warm, 1);
      await loopRun(warm, 1);
      const fitTimes: number[] = [];
      const loopTimes: number[] = [];
      for (let r = 0; r < reps; r++) {
        fitTimes.push(await fitRun(d, epochs));
        loopTimes.push(await loopRun(d, epochs));
      }
      const fitRate = ((n * epochs) / median(fitTimes)) * 1000;
      const loopRate = ((n * epochs) / median(loopTimes)) * 1000;
      rows.push(
        `| ${backend} | ${name} | ${loopModel.countParams()} | ${n} x ${epochs} | ${loopRate.toFixed(0)} | ${fitRate.toFixed(0)} | ${(fitRate / loopRate).toFixed(3)} |`,
      );
      console.error(rows[rows.length - 1]);
      tf.dispose([d.x, d.y, d.yOneHot, warm.x, warm.y, warm.yOneHot]);
      (fitModel.optimizer as tf.Optimizer).dispose();
      fitModel.dispose();
      loopModel.dispose();
    }
  }
  console.log(`batch ${batchSize}, Adam; median of ${reps} alternating calls per method\n`);
  console.log(
    '| backend | model | params | examples x epochs | our loop (samples/s) | model.fit (samples/s) | loop time / fit time |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  rows.forEach((r) => console.log(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
