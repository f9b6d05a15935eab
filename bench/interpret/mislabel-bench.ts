/**
 * Mislabel detection from training dynamics on Fashion-MNIST (issue 5, Benchmarks): flip 5% and
 * 10% of the labels of a class-balanced training subset (seeded; the new label is uniform over
 * the 9 other classes), train the zoo small-cnn on the wasm backend, evaluate the whole training
 * set after every epoch (inference mode, batches of 500) and record per sample and epoch {loss,
 * assignedLogit, largestOtherLogit, correct} with the service's recorder
 * (src/transfer/core/dynamics-recorder.ts: log-probabilities stand in for the logits; margins
 * and argmax are identical).
 * Then rank with rankSuspects ('aum', 'forgetting', 'loss', 'combined') and report precision@k
 * with k = number of flipped labels, over several seeds, beside chance (= the flipped fraction).
 *
 *   node -r @swc-node/register bench/interpret/mislabel-bench.ts [--quick]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { Rng } from '../../src/platform/core/rng';
import { dynamicsRecords } from '../../src/transfer/core/dynamics-recorder';
import {
  DYNAMICS_METHODS,
  precisionAtK,
  rankSuspects,
  type DynamicsMethod,
  type EpochRecord,
} from '../../src/interpret/core/training-dynamics';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { trainModel } from '../../src/ml/train/trainer';
import { fashionSubset, fmtMeanSd, imageTensor, probabilities } from './data';

const quick = process.argv.includes('--quick');
/** Training images per class (x10 classes), epochs, seeds. */
const PER_CLASS = quick ? 150 : 300;
const EPOCHS = quick ? 4 : 8;
const SEEDS = quick ? [1] : [1, 2, 3];
const FRACTIONS = [0.05, 0.1];
/** small-cnn's base width: 8 instead of the default 16 keeps 6 training runs within budget. */
const WIDTH = 8;

interface RunResult {
  seed: number;
  fraction: number;
  k: number;
  precision: Record<DynamicsMethod, number>;
  aumTopHalf: number;
  trainAccuracyClean: number;
  /** Share of flipped samples the final model predicts with their (wrong) assigned label. */
  memorised: number;
  testAccuracy: number;
}

async function run(seed: number, fraction: number): Promise<RunResult> {
  const set = await fashionSubset('train', PER_CLASS, seed);
  const n = set.labels.length;
  const rng = new Rng(1000 * seed + Math.round(fraction * 100));
  const labels = set.labels.slice();
  const flipped = new Set<string>();
  for (const i of rng.shuffle(labels.map((_, i) => i)).slice(0, Math.round(n * fraction))) {
    labels[i] = (labels[i] + rng.int(1, 9)) % 10;
    flipped.add(String(i));
  }
  const history: EpochRecord[][] = [];
  const x = imageTensor(set.pixels);
  const model = buildZooModel('small-cnn', {
    inputShape: [28, 28, 1],
    numClasses: 10,
    seed,
    width: WIDTH,
  });
  const y = tf.tensor1d(labels, 'int32');
  await trainModel(
    model,
    { x, y },
    {
      epochs: EPOCHS,
      batchSize: 64,
      learningRate: 0.002,
      seed,
      onEpochEnd: async (m) => {
        history.push(dynamicsRecords(await probabilities(model, x), labels, m.epoch));
      },
    },
  );
  y.dispose();
  const finalProbs = await probabilities(model, x);
  x.dispose();
  const argmax = (p: number[]): number => p.indexOf(Math.max(...p));
  const clean = set.labels.filter((_, i) => !flipped.has(String(i)));
  const trainAccuracyClean =
    set.labels.filter((y, i) => !flipped.has(String(i)) && argmax(finalProbs[i]) === y).length /
    clean.length;
  const memorised =
    [...flipped].filter((id) => argmax(finalProbs[Number(id)]) === labels[Number(id)]).length /
    flipped.size;
  const test = await fashionSubset('test', 100, seed);
  const xt = imageTensor(test.pixels);
  const testProbs = await probabilities(model, xt);
  xt.dispose();
  model.dispose();
  const testAccuracy =
    test.labels.filter((y, i) => argmax(testProbs[i]) === y).length / test.labels.length;

  const samples = labels.map((_, i) => ({ id: String(i), epochs: history.map((h) => h[i]) }));
  const k = flipped.size;
  const precision = {} as Record<DynamicsMethod, number>;
  for (const m of DYNAMICS_METHODS)
    precision[m] = precisionAtK(rankSuspects(samples, m), flipped, k);
  const aumTopHalf = precisionAtK(rankSuspects(samples, 'aum'), flipped, Math.round(k / 2));
  return { seed, fraction, k, precision, aumTopHalf, trainAccuracyClean, memorised, testAccuracy };
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  const t0 = performance.now();
  console.log(
    `# Mislabel detection on Fashion-MNIST (${quick ? 'quick' : 'full'}, backend ${tf.getBackend()})\n`,
  );
  console.log(
    `small-cnn (width ${WIDTH}), ${PER_CLASS * 10} training images (${PER_CLASS} per class), ` +
      `${EPOCHS} epochs, Adam lr 0.002, batch 64, seeds ${SEEDS.join(', ')}; k = number of flipped labels\n`,
  );
  const results: RunResult[] = [];
  console.log(
    '| flipped | seed | k | AUM p@k | forgetting p@k | mean loss p@k | combined p@k | AUM p@(k/2) | chance | flipped memorised | clean train acc | test acc | s |',
  );
  console.log(
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const fraction of FRACTIONS) {
    for (const seed of SEEDS) {
      const s = performance.now();
      const r = await run(seed, fraction);
      results.push(r);
      const p = r.precision;
      console.log(
        `| ${fraction * 100}% | ${seed} | ${r.k} | ${p.aum.toFixed(3)} | ${p.forgetting.toFixed(3)} | ${p.loss.toFixed(3)} | ${p.combined.toFixed(3)} | ${r.aumTopHalf.toFixed(3)} | ${fraction.toFixed(3)} | ${r.memorised.toFixed(3)} | ${r.trainAccuracyClean.toFixed(3)} | ${r.testAccuracy.toFixed(3)} | ${((performance.now() - s) / 1000).toFixed(0)} |`,
      );
    }
  }
  console.log(`\n### Mean ± sd over ${SEEDS.length} seed(s)\n`);
  console.log(
    '| flipped | k | AUM p@k | forgetting p@k | mean loss p@k | combined p@k | AUM p@(k/2) | chance |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const fraction of FRACTIONS) {
    const rs = results.filter((r) => r.fraction === fraction);
    const col = (f: (r: RunResult) => number): string => fmtMeanSd(rs.map(f));
    console.log(
      `| ${fraction * 100}% | ${rs[0].k} | ${col((r) => r.precision.aum)} | ${col((r) => r.precision.forgetting)} | ${col((r) => r.precision.loss)} | ${col((r) => r.precision.combined)} | ${col((r) => r.aumTopHalf)} | ${fraction.toFixed(3)} |`,
    );
  }
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
