/**
 * Interpretability benchmarks on the zoo models (issue 5, Benchmarks): LIME explanations per
 * second (tabular, text, image) at 1000 and 5000 perturbation samples, NormLIME wall time over
 * 500 instances, and AOPC of LIME's order against random orders, all in one run so the numbers
 * are side by side under the same machine load.
 *
 *   node -r @swc-node/register bench/interpret/interpret-bench.ts [--quick]
 *
 * Models (trained here with the project's training loop, wasm backend, seeded): small-cnn on a
 * class-balanced Fashion-MNIST subset, mlp on standardised breast cancer, text-classifier
 * (embedding + global average pooling) on synthetic hotel reviews (bench/interpret/data.ts).
 * Hidden Fashion-MNIST superpixels are painted black, the images' background: the mean-colour
 * baseline would leave a nearly uniform superpixel almost unchanged. Full runs also
 * write the documentation pictures docs/img/interpret-heatmap.png and docs/img/interpret-normlime.png.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/ml/backend';
import { Vocabulary, wordTokens } from '../../src/ml/data/vocabulary';
import { barsHeight, barsOption, chartPng } from '../../src/platform/charts/chart-images';
import { heatmapOverlay } from '../../src/platform/images/heatmap-overlay';
import { Rng } from '../../src/platform/core/rng';
import { faithfulness } from '../../src/interpret/core/faithfulness';
import { ImageLimeExplainer, type ImageLimeOptions } from '../../src/interpret/core/image-lime';
import { imageNormLime, normLime, rankByImportance } from '../../src/interpret/core/normlime';
import { TabularLimeExplainer } from '../../src/interpret/core/tabular-lime';
import { TextLimeExplainer } from '../../src/interpret/core/text-lime';
import type {
  Explanation,
  ImageExplanation,
  PredictFn,
  RgbImage,
  TextExplanation,
} from '../../src/interpret/core/types';
import {
  breastCancer,
  fashionSubset,
  fmtMeanSd,
  greyToRgb,
  imagePredict,
  imageTensor,
  reviews,
  rowPredict,
  textPredict,
  textTensor,
  timed,
  trainZoo,
} from './data';

const quick = process.argv.includes('--quick');
const docsImg = join(__dirname, '..', '..', 'docs', 'img');
const SEGMENTS = 40;

function accuracy(probs: number[][], labels: readonly number[]): number {
  return probs.filter((p, i) => p.indexOf(Math.max(...p)) === labels[i]).length / labels.length;
}

function imageLime(
  numSamples: number,
  seed: number,
  extra: ImageLimeOptions = {},
): ImageLimeExplainer {
  return new ImageLimeExplainer({
    numSamples,
    seed,
    slic: { nSegments: SEGMENTS },
    baseline: [0, 0, 0],
    batchSize: 250,
    ...extra,
  });
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  const t0 = performance.now();
  console.log(`# interpret benchmarks (${quick ? 'quick' : 'full'}, backend ${tf.getBackend()})\n`);

  // Models.
  console.log('## Models\n');
  console.log('| model | data | training | test accuracy | train s |');
  console.log('| --- | --- | --- | ---: | ---: |');
  let s = performance.now();
  const perClass = quick ? 100 : 300;
  const cnnEpochs = quick ? 2 : 3;
  const fTrain = await fashionSubset('train', perClass, 1);
  const fTest = await fashionSubset('test', 50, 1);
  const xTrain = imageTensor(fTrain.pixels);
  const cnn = await trainZoo(
    'small-cnn',
    { inputShape: [28, 28, 1], numClasses: 10, seed: 1 },
    xTrain,
    fTrain.labels,
    { epochs: cnnEpochs, batchSize: 64, learningRate: 0.002, seed: 1 },
  );
  xTrain.dispose();
  const cnnPredict = imagePredict(cnn);
  const images = fTest.pixels.map(greyToRgb);
  console.log(
    `| small-cnn (width 16) | Fashion-MNIST, ${perClass * 10} train / ${images.length} test images | ${cnnEpochs} epochs, Adam 0.002, batch 64 | ${accuracy(await cnnPredict(images), fTest.labels).toFixed(3)} | ${((performance.now() - s) / 1000).toFixed(1)} |`,
  );

  s = performance.now();
  const bc = await breastCancer();
  const bcRng = new Rng(2);
  const bcOrder = bcRng.shuffle(bc.rows.map((_, i) => i));
  const bcTrain = bcOrder.slice(0, 455);
  const bcTest = bcOrder.slice(455);
  const xBc = tf.tensor2d(bcTrain.map((i) => bc.rows[i]));
  const mlp = await trainZoo(
    'mlp',
    { inputShape: [30], numClasses: 2, seed: 2 },
    xBc,
    bcTrain.map((i) => bc.labels[i]),
    { epochs: 30, batchSize: 32, learningRate: 0.003, seed: 2 },
  );
  xBc.dispose();
  const mlpPredict = rowPredict(mlp);
  const trainRows = bcTrain.map((i) => bc.rows[i]);
  const testRows = bcTest.map((i) => bc.rows[i]);
  console.log(
    `| mlp [64, 32] | breast cancer (standardised), 455 train / ${bcTest.length} test rows | 30 epochs, Adam 0.003, batch 32 | ${accuracy(
      await mlpPredict(testRows),
      bcTest.map((i) => bc.labels[i]),
    ).toFixed(3)} | ${((performance.now() - s) / 1000).toFixed(1)} |`,
  );

  s = performance.now();
  const rvTrain = reviews(3000, 3);
  const rvTest = reviews(600, 4);
  const vocab = Vocabulary.build(rvTrain.texts);
  const xText = textTensor(vocab, rvTrain.texts);
  const textModel = await trainZoo(
    'text-classifier',
    {
      inputShape: [xText.shape[1]],
      numClasses: 2,
      seed: 3,
      vocabSize: vocab.size,
      embeddingDim: 16,
    },
    xText,
    rvTrain.labels,
    { epochs: 12, batchSize: 32, learningRate: 0.01, seed: 3 },
  );
  xText.dispose();
  const txtPredict = textPredict(textModel, vocab);
  const meanWords = Math.round(
    rvTest.texts.reduce((a, t) => a + wordTokens(t).length, 0) / rvTest.texts.length,
  );
  console.log(
    `| text-classifier (embedding 16 + average pooling) | synthetic hotel reviews (${vocab.words.length} words), 3000 train / 600 test | 12 epochs, Adam 0.01, batch 32 | ${accuracy(
      await txtPredict(rvTest.texts),
      rvTest.labels,
    ).toFixed(3)} | ${((performance.now() - s) / 1000).toFixed(1)} |`,
  );

  // 1. Throughput, every kind and sample size in this one run.
  console.log('\n## LIME throughput\n');
  console.log(
    '| input | model | samples | explanations | explanations/s | ms/explanation | share of time in predict |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const numSamples of quick ? [1000] : [1000, 5000]) {
    const scale = numSamples === 1000 ? 1 : 0.4;
    const count = (n: number): number => Math.max(2, Math.round((quick ? n / 4 : n) * scale));
    const tb = timed(mlpPredict);
    const tabLime = new TabularLimeExplainer({
      trainingData: trainRows,
      featureNames: bc.featureNames,
      numSamples,
      seed: 1,
    });
    const tt = timed(txtPredict);
    const textLime = new TextLimeExplainer({ numSamples, seed: 1 });
    const ti = timed(cnnPredict);
    const imgLime = imageLime(numSamples, 1);
    const cases = [
      {
        input: 'tabular (30 features)',
        model: 'mlp',
        n: count(40),
        run: (i: number) => tabLime.explain(testRows[i % testRows.length], tb.predict),
        t: tb,
      },
      {
        input: `text (~${meanWords} words)`,
        model: 'text-classifier',
        n: count(40),
        run: (i: number) => textLime.explain(rvTest.texts[i], tt.predict),
        t: tt,
      },
      {
        input: `image 28x28 (${SEGMENTS} superpixels)`,
        model: 'small-cnn',
        n: count(20),
        run: (i: number) => imgLime.explain(images[i], ti.predict),
        t: ti,
      },
    ];
    for (const c of cases) {
      c.t.reset();
      const start = performance.now();
      for (let i = 0; i < c.n; i++) await c.run(i);
      const ms = performance.now() - start;
      console.log(
        `| ${c.input} | ${c.model} | ${numSamples} | ${c.n} | ${((c.n * 1000) / ms).toFixed(2)} | ${(ms / c.n).toFixed(0)} | ${((100 * c.t.ms()) / ms).toFixed(0)}% |`,
      );
    }
  }

  // 2. NormLIME over many instances (local explanations + aggregation).
  const nNorm = quick ? 60 : 500;
  // Image LIME costs ~10x a tabular explanation (see the throughput table): 100 images keep the
  // full run under 15 minutes on the shared machine; instances/s gives the 500-image time.
  const nNormImage = quick ? 20 : 100;
  const normSamples = 1000;
  console.log(`\n## NormLIME (${normSamples} samples per local explanation)\n`);
  console.log(
    '| input | model | instances | LIME wall time (s) | NormLIME aggregation (ms) | instances/s |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  const tabNorm = new TabularLimeExplainer({
    trainingData: trainRows,
    featureNames: bc.featureNames,
    numSamples: normSamples,
    seed: 7,
  });
  s = performance.now();
  const tabLocal: Explanation[] = [];
  for (let i = 0; i < nNorm; i++)
    tabLocal.push(await tabNorm.explain(bc.rows[i % bc.rows.length], mlpPredict));
  let explainMs = performance.now() - s;
  s = performance.now();
  const tabNl = normLime(tabLocal, 2, bc.featureNames.length);
  let aggMs = performance.now() - s;
  const normRow = (input: string, model: string, n: number): void =>
    console.log(
      `| ${input} | ${model} | ${n} | ${(explainMs / 1000).toFixed(1)} | ${aggMs.toFixed(1)} | ${((n * 1000) / explainMs).toFixed(1)} |`,
    );
  normRow('tabular (breast cancer)', 'mlp', nNorm);

  const textNorm = new TextLimeExplainer({ numSamples: normSamples, seed: 7 });
  const textPool = reviews(nNorm, 5).texts;
  s = performance.now();
  const textLocal: TextExplanation[] = [];
  for (const t of textPool) textLocal.push(await textNorm.explain(t, txtPredict));
  explainMs = performance.now() - s;
  s = performance.now();
  // Text NormLIME features are the union vocabulary; a word's weights are matched by string.
  const words = [...new Set(textLocal.flatMap((e) => e.featureNames))];
  const wordIndex = new Map(words.map((w, j) => [w, j]));
  const textNl = normLime(
    textLocal.map((e) => {
      const w = new Array<number>(words.length).fill(0);
      e.featureNames.forEach((name, j) => (w[wordIndex.get(name) as number] = e.weights[j]));
      return { label: e.label, weights: w };
    }),
    2,
    words.length,
  );
  aggMs = performance.now() - s;
  normRow('text (reviews)', 'text-classifier', nNorm);

  const imgNorm = imageLime(normSamples, 7);
  const normImages = (await fashionSubset('test', Math.ceil(nNormImage / 10), 7)).pixels.map(
    greyToRgb,
  );
  s = performance.now();
  const imgLocal: { image: RgbImage; explanation: ImageExplanation }[] = [];
  for (const image of normImages.slice(0, nNormImage))
    imgLocal.push({ image, explanation: await imgNorm.explain(image, cnnPredict) });
  explainMs = performance.now() - s;
  s = performance.now();
  const imgNl = imageNormLime(imgLocal, { numClasses: 10, numClusters: 10, rng: new Rng(7) });
  aggMs = performance.now() - s;
  normRow('image (Fashion-MNIST, 10 concepts)', 'small-cnn', imgLocal.length);

  console.log('\n| input | class | instances | top 5 features by NormLIME importance |');
  console.log('| --- | --- | ---: | --- |');
  tabNl.importance.forEach((row, y) => {
    const top = rankByImportance(row)
      .slice(0, 5)
      .map((j) => `${bc.featureNames[j]} (${row[j].toFixed(3)})`);
    console.log(`| tabular | ${bc.classNames[y]} | ${tabNl.counts[y]} | ${top.join(', ')} |`);
  });
  textNl.importance.forEach((row, y) => {
    const top = rankByImportance(row)
      .slice(0, 5)
      .map((j) => `${words[j]} (${row[j].toFixed(3)})`);
    console.log(
      `| text | ${y === 1 ? 'positive' : 'negative'} | ${textNl.counts[y]} | ${top.join(', ')} |`,
    );
  });
  const busiest = imgNl.counts.indexOf(Math.max(...imgNl.counts));
  console.log(
    `| image | ${fTest.classNames[busiest]} | ${imgNl.counts[busiest]} | ${rankByImportance(
      imgNl.importance[busiest],
    )
      .slice(0, 5)
      .map((j) => `concept ${j} (${imgNl.importance[busiest][j].toFixed(3)})`)
      .join(', ')} |`,
  );
  const topM = rankByImportance(tabNl.importance[0]).slice(0, 12);
  // The documentation pictures come from full runs only, like the committed tables.
  if (!quick)
    writeFileSync(
      join(docsImg, 'interpret-normlime.png'),
      chartPng(
        barsOption({
          title: `NormLIME: ${bc.classNames[0]} (breast cancer, zoo mlp)`,
          labels: topM.map((j) => bc.featureNames[j]),
          values: topM.map((j) => tabNl.importance[0][j]),
          valueLabel: `importance I(j, ${bc.classNames[0]})`,
        }),
        { width: 640, height: barsHeight(topM.length) },
      ),
    );

  // 3. AOPC: LIME order vs random orders.
  const repeats = 10;
  console.log(
    `\n## Faithfulness: AOPC of LIME order vs random order (${repeats} random orders per instance, 1000 samples)\n`,
  );
  console.log('| input | model | instances | AOPC LIME | AOPC random | ratio | LIME > random |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  const aopcRows: {
    input: string;
    model: string;
    n: number;
    explain: (i: number) => Promise<{ e: Explanation; masker: (k: Uint8Array) => unknown }>;
    predict: PredictFn<unknown>;
  }[] = [
    {
      input: 'tabular (breast cancer)',
      model: 'mlp',
      n: quick ? 15 : 60,
      explain: async (i) => {
        const lime = new TabularLimeExplainer({
          trainingData: trainRows,
          featureNames: bc.featureNames,
          numSamples: 1000,
          numFeatures: 30,
          featureSelection: 'none',
          seed: i,
        });
        const x = testRows[i % testRows.length];
        return { e: await lime.explain(x, mlpPredict), masker: lime.masker(x) };
      },
      predict: mlpPredict as PredictFn<unknown>,
    },
    {
      input: 'text (reviews)',
      model: 'text-classifier',
      n: quick ? 15 : 60,
      explain: async (i) => {
        const lime = new TextLimeExplainer({
          numSamples: 1000,
          numFeatures: 40,
          featureSelection: 'none',
          seed: i,
        });
        const t = rvTest.texts[i];
        const e = await lime.explain(t, txtPredict);
        return { e, masker: lime.masker(t, e) };
      },
      predict: txtPredict as PredictFn<unknown>,
    },
    {
      input: 'image (Fashion-MNIST 28x28)',
      model: 'small-cnn',
      n: quick ? 5 : 30,
      explain: async (i) => {
        const lime = imageLime(1000, i, { numFeatures: 60, featureSelection: 'none' });
        const img = images[(i * 7) % images.length];
        const e = await lime.explain(img, cnnPredict);
        return { e, masker: lime.masker(img, e) };
      },
      predict: cnnPredict as PredictFn<unknown>,
    },
  ];
  for (const row of aopcRows) {
    const lime: number[] = [];
    const rnd: number[] = [];
    for (let i = 0; i < row.n; i++) {
      const { e, masker } = await row.explain(i);
      const f = await faithfulness(
        { predict: row.predict, masker, numFeatures: e.weights.length, label: e.label },
        e.contributions,
        new Rng(i),
        repeats,
      );
      lime.push(f.aopc);
      rnd.push(f.randomAopc);
    }
    const wins = lime.filter((v, i) => v > rnd[i]).length;
    const ml = lime.reduce((a, v) => a + v, 0) / lime.length;
    const mr = rnd.reduce((a, v) => a + v, 0) / rnd.length;
    console.log(
      `| ${row.input} | ${row.model} | ${row.n} | ${fmtMeanSd(lime)} | ${fmtMeanSd(rnd)} | ${(ml / mr).toFixed(2)} | ${wins}/${row.n} |`,
    );
  }
  {
    const idx = 3;
    const e = await imageLime(1000, 3, { numFeatures: 60, featureSelection: 'none' }).explain(
      images[idx],
      cnnPredict,
    );
    if (!quick)
      writeFileSync(
        join(docsImg, 'interpret-heatmap.png'),
        heatmapOverlay({
          width: 28,
          height: 28,
          rgb: images[idx].data,
          weights: e.heatmap,
          scale: 8,
        }),
      );
    console.log(
      `\n(${quick ? 'heatmap' : 'docs/img/interpret-heatmap.png'}: ${fTest.classNames[fTest.labels[idx]]}, predicted ${fTest.classNames[e.label]}, p = ${e.probabilities[e.label].toFixed(3)}, fidelity R^2 = ${e.score.toFixed(3)})`,
    );
  }
  cnn.dispose();
  mlp.dispose();
  textModel.dispose();
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
