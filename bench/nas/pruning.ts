/**
 * Pruning search vs uniform pruning (docs/benchmarks/nas.md): the zoo small CNN pretrained on a
 * Fashion-MNIST subset, then pruned to 75 / 50 / 25 % of its FLOPs by the greedy layer-wise
 * search (smallest-L2-norm filters, least accuracy loss per FLOP saved, then a short fine-tune)
 * and by uniform pruning (the same fraction of filters from every layer, same fine-tune). Test
 * accuracy on held-out Fashion-MNIST test images; the search only sees the validation split.
 *
 *   node -r @swc-node/register bench/nas/pruning.ts [--quick] [--backend wasm|cpu] [--seeds N]
 */
import * as tf from '@tensorflow/tfjs';
import { BackendPreference, selectBackend } from '../../src/ml/backend';
import { modelCost } from '../../src/ml/cost';
import { buildZooModel } from '../../src/ml/models/zoo';
import { evaluate } from '../../src/ml/train/evaluate';
import { trainModel } from '../../src/ml/train/trainer';
import {
  preferOnValidation,
  pruneSearch,
  uniformPrune,
} from '../../src/nas/core/pruning/prune-search';
import { toTrainingData } from '../../src/nas/core/training-data';
import { flag, loadImages, mean, option } from './common';

const quick = flag('quick');
const settings = {
  backend: (option('backend') ?? 'wasm') as BackendPreference,
  seeds: Number(option('seeds') ?? (quick ? 2 : 3)),
  side: quick ? 14 : 28,
  trainSize: quick ? 3000 : 10000,
  testSize: quick ? 1000 : 5000,
  pretrainEpochs: quick ? 3 : 5,
  fineTuneEpochs: 1,
  budgets: [0.75, 0.5, 0.25],
};

async function main(): Promise<void> {
  const backend = await selectBackend(settings.backend);
  const images = await loadImages(settings.trainSize, settings.testSize, settings.side);
  const t0 = performance.now();
  const rows = new Map<
    number,
    {
      greedy: number[];
      uniform: number[];
      chosen: number[];
      allocation: string[];
      sFlops: number[];
      uFlops: number[];
      sWidths: string[];
    }
  >(
    settings.budgets.map((b) => [
      b,
      { greedy: [], uniform: [], chosen: [], allocation: [], sFlops: [], uFlops: [], sWidths: [] },
    ]),
  );
  const base: Array<{ flops: number; accuracy: number }> = [];
  for (let seed = 0; seed < settings.seeds; seed++) {
    const data = toTrainingData(images.train, { validationFraction: 0.15, seed });
    const test = toTrainingData(images.test, { validationFraction: 0.5, seed });
    const testSet = {
      x: tf.concat([test.train.x, test.validation.x]),
      y: tf.concat([test.train.y, test.validation.y]),
    };
    const model = buildZooModel('small-cnn', {
      inputShape: data.inputShape,
      numClasses: data.numClasses,
      seed,
    });
    await trainModel(model, data.train, {
      epochs: settings.pretrainEpochs,
      batchSize: 32,
      learningRate: 1e-3,
      seed,
    });
    const acc = (m: tf.LayersModel): number => evaluate(m, testSet.x, testSet.y).accuracy;
    base.push({ flops: modelCost(model).flops, accuracy: acc(model) });
    const opts = {
      train: data.train,
      validation: data.validation,
      budgets: settings.budgets,
      fineTuneEpochs: settings.fineTuneEpochs,
      seed,
    };
    // The greedy path alone, then the uniform baseline; the search's member at a budget is the
    // one pruneSearch keeps by default (compareUniform): preferOnValidation of the two.
    const r = await pruneSearch(model, { ...opts, compareUniform: false });
    for (const f of r.family) {
      const row = rows.get(f.budget) as NonNullable<ReturnType<typeof rows.get>>;
      const u = await uniformPrune(model, f.budget, opts);
      const chosen = preferOnValidation(f, u);
      row.greedy.push(acc(f.model));
      row.uniform.push(acc(u.model));
      row.chosen.push(acc(chosen.model));
      row.allocation.push(chosen.allocation);
      row.sFlops.push(f.cost.flops);
      row.uFlops.push(u.cost.flops);
      row.sWidths.push(Object.values(f.widths).join('/'));
      f.model.dispose();
      u.model.dispose();
    }
    console.error(`seed ${seed}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    model.dispose();
    tf.dispose([testSet.x, testSet.y]);
    data.dispose();
    test.dispose();
  }
  console.log(
    `\nData: ${images.name}; pretrain ${settings.trainSize} images (85% train / 15% validation) for ${settings.pretrainEpochs} epochs; test accuracy on ${settings.testSize} test images; ${settings.fineTuneEpochs} fine-tuning epoch per pruned model; ${settings.seeds} seeds; backend ${backend}.`,
  );
  console.log(
    `Unpruned zoo small CNN (conv1/conv2/fc1 = 16/32/64): ${(mean(base.map((b) => b.flops)) / 1e6).toFixed(3)} MFLOPs, test accuracy ${mean(base.map((b) => b.accuracy)).toFixed(4)}.\n`,
  );
  console.log(
    '| FLOPs budget | greedy MFLOPs | greedy test acc. | greedy widths (conv1/conv2/fc1, seed 0) | uniform MFLOPs | uniform test acc. | search (kept on validation) test acc. | kept per seed | greedy - uniform | search - uniform |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [b, r] of rows) {
    const d = (xs: number[]): string => (mean(xs) - mean(r.uniform)).toFixed(4);
    console.log(
      `| ${Math.round(b * 100)} % | ${(mean(r.sFlops) / 1e6).toFixed(3)} | ${mean(r.greedy).toFixed(4)} | ${r.sWidths[0]} | ${(mean(r.uFlops) / 1e6).toFixed(3)} | ${mean(r.uniform).toFixed(4)} | ${mean(r.chosen).toFixed(4)} | ${r.allocation.join(', ')} | ${d(r.greedy)} | ${d(r.chosen)} |`,
    );
  }
  console.log(`\nTotal time ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
