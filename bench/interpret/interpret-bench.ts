/**
 * Interpretability benchmarks: LIME throughput (tabular, text, image) at 1000 and 5000
 * perturbation samples, NormLIME wall time over 500 instances, AOPC of LIME against random
 * orderings, and precision@k of mislabel detection with 5% / 10% flipped labels.
 *
 *   node -r @swc-node/register bench/interpret/interpret-bench.ts [--quick]
 *
 * Models are tiny TF.js networks trained here (wasm backend) on the CSV data sets packaged by
 * Debian's python3-sklearn (breast cancer, digits) and on synthetic reviews. Hidden digit
 * superpixels are painted black (the digits' background): with the mean-colour baseline a
 * superpixel of an upscaled 8x8 digit is nearly uniform, so hiding it would change nothing. Also writes the
 * documentation pictures docs/img/interpret-heatmap.png and docs/img/interpret-normlime.png.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChart, heatmapOverlay } from '../../src/platform/charts';
import { Rng } from '../../src/platform/core/rng';
import { faithfulness } from '../../src/interpret/core/faithfulness';
import { ImageLimeExplainer } from '../../src/interpret/core/image-lime';
import { normLime, rankByImportance } from '../../src/interpret/core/normlime';
import {
  precisionAtK,
  rankSuspects,
  type DynamicsMethod,
  type SampleDynamics,
} from '../../src/interpret/core/dynamics';
import { TabularLimeExplainer } from '../../src/interpret/core/tabular-lime';
import { TextLimeExplainer } from '../../src/interpret/core/text-lime';
import type { Explanation, PredictFn, RgbImage } from '../../src/interpret/core/types';
import {
  bagOfWords,
  breastCancer,
  digitImage,
  digits,
  mlp,
  probabilities,
  reviews,
  timed,
  train,
  VOCAB,
} from './data';

const quick = process.argv.includes('--quick');
const docsImg = join(__dirname, '..', '..', 'docs', 'img');

function meanStd(v: number[]): string {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, v.length - 1));
  return `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const t0 = performance.now();
  console.log(`# interpret benchmarks (${quick ? 'quick' : 'full'}, backend ${tf.getBackend()})\n`);

  // Models.
  const bc = breastCancer();
  const bcModel = mlp(30, 16, 2, 1);
  await train(bcModel, bc.x, bc.y, 2, 30, 1);
  const bcPredict = probabilities(bcModel);

  const rv = reviews(2000, 2);
  const textModel = mlp(VOCAB.length, 0, 2, 3);
  await train(textModel, rv.texts.map(bagOfWords), rv.y, 2, 20, 3);
  const textRows = probabilities(textModel);
  const textPredict: PredictFn<string> = (batch) => textRows(batch.map(bagOfWords));

  const dg = digits();
  const digitModel = mlp(32 * 32 * 3, 32, 10, 5);
  const images = dg.x.map(digitImage);
  await train(
    digitModel,
    images.map((im) => Array.from(im.data)),
    dg.y,
    10,
    10,
    5,
  );
  const digitRows = probabilities(digitModel);
  const imagePredict: PredictFn<RgbImage> = (batch) =>
    digitRows(batch.map((im) => Array.from(im.data)));
  console.log(`models trained in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  // 1. Throughput.
  console.log('## LIME throughput\n');
  console.log(
    '| input | model | samples | explanations | explanations/s | ms/explanation | share of time in predict |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const numSamples of quick ? [1000] : [1000, 5000]) {
    const scale = numSamples === 1000 ? 1 : 0.4;
    const cases: {
      input: string;
      model: string;
      n: number;
      run: (i: number) => Promise<unknown>;
      t: { ms: () => number; reset: () => void };
    }[] = [];
    const tb = timed(bcPredict);
    const tabLime = new TabularLimeExplainer({
      trainingData: bc.x,
      featureNames: bc.featureNames,
      numSamples,
      seed: 1,
    });
    cases.push({
      input: 'tabular (30 features)',
      model: 'MLP 30-16-2',
      n: Math.round((quick ? 10 : 40) * scale),
      run: (i) => tabLime.explain(bc.x[i], tb.predict),
      t: tb,
    });
    const tt = timed(textPredict);
    const textLime = new TextLimeExplainer({ numSamples, seed: 1 });
    cases.push({
      input: 'text (~17 words)',
      model: `BoW logistic (${VOCAB.length} words)`,
      n: Math.round((quick ? 10 : 40) * scale),
      run: (i) => textLime.explain(rv.texts[i], tt.predict),
      t: tt,
    });
    const ti = timed(imagePredict);
    const imgLime = new ImageLimeExplainer({
      numSamples,
      seed: 1,
      slic: { nSegments: 40 },
      baseline: [0, 0, 0],
      batchSize: 100,
    });
    cases.push({
      input: 'image 32x32 (~40 superpixels)',
      model: 'MLP 3072-32-10',
      n: Math.max(1, Math.round((quick ? 2 : 5) * scale)),
      run: (i) => imgLime.explain(images[i], ti.predict),
      t: ti,
    });
    for (const c of cases) {
      c.t.reset();
      const s = performance.now();
      for (let i = 0; i < c.n; i++) await c.run(i);
      const ms = performance.now() - s;
      console.log(
        `| ${c.input} | ${c.model} | ${numSamples} | ${c.n} | ${((c.n * 1000) / ms).toFixed(2)} | ${(ms / c.n).toFixed(0)} | ${((100 * c.t.ms()) / ms).toFixed(0)}% |`,
      );
    }
  }

  // 2. NormLIME over many instances.
  const nNorm = quick ? 100 : 500;
  const normSamples = quick ? 500 : 1000;
  console.log(`\n## NormLIME (breast cancer, ${nNorm} instances, ${normSamples} samples each)\n`);
  const normLimeExplainer = new TabularLimeExplainer({
    trainingData: bc.x,
    featureNames: bc.featureNames,
    numSamples: normSamples,
    numFeatures: 10,
    seed: 7,
  });
  const sNorm = performance.now();
  const local: Explanation[] = [];
  for (let i = 0; i < nNorm; i++)
    local.push(await normLimeExplainer.explain(bc.x[i % bc.x.length], bcPredict));
  const explainMs = performance.now() - sNorm;
  const sAgg = performance.now();
  const nl = normLime(local, 2, 30);
  const aggMs = performance.now() - sAgg;
  console.log(
    '| instances | samples each | LIME wall time (s) | NormLIME aggregation (ms) | instances/s |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${nNorm} | ${normSamples} | ${(explainMs / 1000).toFixed(1)} | ${aggMs.toFixed(2)} | ${((nNorm * 1000) / explainMs).toFixed(1)} |`,
  );
  console.log('\n| class | instances | top 5 features by NormLIME importance |');
  console.log('| --- | ---: | --- |');
  nl.importance.forEach((row, y) => {
    const top = rankByImportance(row)
      .slice(0, 5)
      .map((j) => `${bc.featureNames[j]} (${row[j].toFixed(3)})`);
    console.log(`| ${bc.classNames[y]} | ${nl.counts[y]} | ${top.join(', ')} |`);
  });
  mkdirSync(docsImg, { recursive: true });
  const topM = rankByImportance(nl.importance[0]).slice(0, 12);
  writeFileSync(
    join(docsImg, 'interpret-normlime.png'),
    barChart({
      title: 'NormLIME: malignant (breast cancer MLP)',
      labels: topM.map((j) => bc.featureNames[j]),
      values: topM.map((j) => nl.importance[0][j]),
      valueLabel: 'importance I(j, malignant)',
    }),
  );

  // 3. AOPC: LIME vs random orderings.
  console.log(
    '\n## Faithfulness: AOPC of LIME order vs random order (10 random orders per instance)\n',
  );
  console.log('| input | instances | samples | AOPC LIME | AOPC random | ratio | LIME > random |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const aopcRows: {
    input: string;
    n: number;
    explain: (i: number) => Promise<{ e: Explanation; masker: (k: Uint8Array) => unknown }>;
    predict: PredictFn<unknown>;
  }[] = [
    {
      input: 'tabular (breast cancer)',
      n: quick ? 20 : 60,
      explain: async (i) => {
        const lime = new TabularLimeExplainer({
          trainingData: bc.x,
          featureNames: bc.featureNames,
          numSamples: 1000,
          numFeatures: 30,
          featureSelection: 'none',
          seed: i,
        });
        const x = bc.x[(i * 7) % bc.x.length];
        return { e: await lime.explain(x, bcPredict), masker: lime.masker(x) };
      },
      predict: bcPredict as PredictFn<unknown>,
    },
    {
      input: 'text (reviews)',
      n: quick ? 20 : 60,
      explain: async (i) => {
        const lime = new TextLimeExplainer({
          numSamples: 1000,
          numFeatures: 30,
          featureSelection: 'none',
          seed: i,
        });
        const t = rv.texts[i];
        const e = await lime.explain(t, textPredict);
        return { e, masker: lime.masker(t, e) };
      },
      predict: textPredict as PredictFn<unknown>,
    },
    {
      input: 'image (digits 32x32)',
      n: quick ? 5 : 10,
      explain: async (i) => {
        const lime = new ImageLimeExplainer({
          numSamples: 1000,
          numFeatures: 60,
          featureSelection: 'none',
          slic: { nSegments: 40 },
          baseline: [0, 0, 0],
          batchSize: 100,
          seed: i,
        });
        const img = images[i * 13];
        const e = await lime.explain(img, imagePredict);
        return { e, masker: lime.masker(img, e) };
      },
      predict: imagePredict as PredictFn<unknown>,
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
        10,
      );
      lime.push(f.aopc);
      rnd.push(f.randomAopc);
    }
    const wins = lime.filter((v, i) => v > rnd[i]).length;
    const ml = lime.reduce((s, v) => s + v, 0) / lime.length;
    const mr = rnd.reduce((s, v) => s + v, 0) / rnd.length;
    console.log(
      `| ${row.input} | ${row.n} | 1000 | ${meanStd(lime)} | ${meanStd(rnd)} | ${(ml / mr).toFixed(2)} | ${wins}/${row.n} |`,
    );
  }
  {
    const idx = 13 * 3;
    const lime = new ImageLimeExplainer({
      numSamples: 1000,
      numFeatures: 60,
      featureSelection: 'none',
      slic: { nSegments: 40 },
      baseline: [0, 0, 0],
      batchSize: 100,
      seed: 3,
    });
    const e = await lime.explain(images[idx], imagePredict);
    writeFileSync(
      join(docsImg, 'interpret-heatmap.png'),
      heatmapOverlay({
        width: 32,
        height: 32,
        rgb: images[idx].data,
        weights: e.heatmap,
        scale: 8,
      }),
    );
    console.log(
      `\n(docs/img/interpret-heatmap.png: digit ${dg.y[idx]}, predicted ${e.label}, p = ${e.probabilities[e.label].toFixed(3)}, fidelity R^2 = ${e.score.toFixed(3)})`,
    );
  }

  // 4. Mislabel detection from training dynamics.
  const epochs = quick ? 8 : 20;
  console.log(
    `\n## Suspected mislabels (digits, MLP 64-32-10, ${epochs} epochs, k = number of flipped labels)\n`,
  );
  console.log(
    '| flipped | k | AUM p@k | forgetting p@k | mean loss p@k | combined p@k | AUM p@k/2 | random p@k |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const fraction of [0.05, 0.1]) {
    const rng = new Rng(100 + fraction * 100);
    const y = dg.y.slice();
    const flipped = new Set<string>();
    for (const i of rng.shuffle(y.map((_, i) => i)).slice(0, Math.round(y.length * fraction))) {
      y[i] = (y[i] + rng.int(1, 9)) % 10;
      flipped.add(String(i));
    }
    const samples: SampleDynamics[] = y.map((_, i) => ({ id: String(i), epochs: [] }));
    const model = mlp(64, 32, 10, 11);
    await train(model, dg.x, y, 10, epochs, 11, (epoch, logits) => {
      logits.forEach((z, i) => {
        const m = Math.max(...z);
        const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
        const other = Math.max(...z.filter((_, k) => k !== y[i]));
        (samples[i].epochs as unknown[]).push({
          epoch,
          loss: lse - z[y[i]],
          assignedLogit: z[y[i]],
          largestOtherLogit: other,
          correct: z[y[i]] > other,
        });
      });
    });
    const k = flipped.size;
    const p = (m: DynamicsMethod, kk = k): string =>
      precisionAtK(rankSuspects(samples, m), flipped, kk).toFixed(3);
    console.log(
      `| ${fraction * 100}% | ${k} | ${p('aum')} | ${p('forgetting')} | ${p('loss')} | ${p('combined')} | ${p('aum', Math.round(k / 2))} | ${fraction.toFixed(3)} |`,
    );
    model.dispose();
  }
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
