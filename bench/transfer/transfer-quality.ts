/**
 * Transfer-quality protocol of issue 4 (docs/transfer.md, docs/benchmarks/transfer.md).
 *
 * Settings (`--setting`):
 *  - `standard` (the issue's protocol): source = Fashion-MNIST classes 0-4 (train split), a small
 *    CNN pretrained on them; target = classes 5-9 relabelled 0-4, k = 10, 50, 200 per class.
 *  - `cross-domain`: the same source model; target = scikit-learn's 8x8 digits (10 classes),
 *    upsampled to 28x28, k = 10 (and 50 with `--sizes`); test = a fixed stratified 40% of digits.
 *    Clothing features for handwritten digits: negative transfer is plausible.
 *  - `related-long`: the regime nearer the papers' (a stronger, longer-pretrained source, a
 *    related target, long fine-tuning): source = classes 0,2,4,5,7 (T-shirt, pullover, coat,
 *    sandal, sneaker) pretrained 3x longer on all their images; target = 1,3,6,8,9 (trouser,
 *    dress, shirt, bag, ankle boot: shirt vs T-shirt/coat and boot vs sneaker are the
 *    fine-grained pairs), k = 10, fine-tuned 3x longer so the weights can drift from w0.
 * Methods: scratch (same CNN, random init, l2), l2, l2sp, delta, rifle, dtnh+l2sp, dtnh+delta.
 * Same seed = same few-shot sample, same head initialisation and same batch order for every
 * method. Alpha is chosen per (method, k, seed) on a stratified 25% validation split carved from
 * the k-shot training data (never the test split); the chosen value is then retrained on the full
 * k-shot set and evaluated once on the target test images.
 *
 *   node -r @swc-node/register bench/transfer/transfer-quality.ts [--setting standard|cross-domain|related-long]
 *        [--quick] [--backend wasm|cpu] [--seeds N] [--sizes 10,50,200] [--methods l2,l2sp,...]
 *        [--data DIR] [--fresh] [--report]
 *
 * Resumable and parallel-safe: the pretrained source model and every finished (k, seed, method)
 * result (one file each) are kept under bench/out/transfer/<mode>/, so the protocol can run in
 * several invocations at once (for example one per method list); the table always covers every
 * result stored for the setting. `--fresh` discards the setting's results; `--report` only prints.
 */
import * as tf from '@tensorflow/tfjs';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { BackendPreference, selectBackend } from '../../src/ml/backend';
import { Dataset } from '../../src/ml/data/dataset';
import { idxImageDataset } from '../../src/ml/data/idx';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import {
  fewShot,
  resizeDataset,
  selectClasses,
  shuffleDataset,
  stratifiedSplit,
  tabularAsImages,
} from '../../src/ml/data/transforms';
import { loadModelFromDirectory, writeModelBuffers } from '../../src/ml/io/directory';
import { saveModelToBuffers } from '../../src/ml/io/buffers';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { evaluate, predictBatches } from '../../src/ml/train/evaluate';
import { trainModel, TrainSet } from '../../src/ml/train/trainer';
import { ImageAugmenter, RandomCrop, RandomFlip } from '../../src/ml/data/augment/image-augment';
import { Rng } from '../../src/platform/core/rng';
import { finetuneConfig } from '../../src/transfer/finetune.schema';
import { parseMethod, PenaltyName } from '../../src/transfer/core/method';
import { PENALTY_DEFAULTS } from '../../src/transfer/core/finetune-config';
import { mean, pct, report, RunRecord, selectionSe } from './transfer-report';
import { finetune } from '../../src/transfer/finetune';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

const quick = flag('quick');
type SettingName = 'standard' | 'cross-domain' | 'related-long';
const settingName = (option('setting') ?? 'standard') as SettingName;
if (!['standard', 'cross-domain', 'related-long'].includes(settingName))
  throw new Error(`--setting must be standard, cross-domain or related-long`);

/** What differs between the settings (see the header). */
interface Setting {
  sourceClasses: number[];
  /** Source pretraining epochs (on `sourceImages` images of the source classes). */
  sourceEpochs: number;
  sourceImages: number;
  defaultSizes: string;
  /** Fine-tuning epochs are multiplied by this (quick mode halves them again). */
  epochFactor: number;
}
/** The source architecture (`--source`): the conv+BN ResNet of issue 21, or the old LeNet-like CNN. */
type SourceArch = 'small-resnet' | 'small-cnn';
const sourceArch = (option('source') ?? 'small-resnet') as SourceArch;
if (!['small-resnet', 'small-cnn'].includes(sourceArch))
  throw new Error(`--source must be small-resnet or small-cnn`);
/**
 * small-resnet (width 8: stem, three one-block stages of 8/16/32 channels, BN, GAP) is trained
 * 6 epochs on 20,000 images with SGD+momentum under a one-cycle schedule and fresh random crops and flips every
 * epoch; small-cnn (no BN) 4 Adam epochs without augmentation, as before issue 21.
 */
const SOURCE_EPOCHS: Record<SourceArch, number> = { 'small-resnet': 6, 'small-cnn': 4 };
const sourceEpochs = quick ? 2 : SOURCE_EPOCHS[sourceArch];
const SOURCE_IMAGES: Record<SourceArch, number> = { 'small-resnet': 20000, 'small-cnn': 30000 };
const SETTINGS: Record<SettingName, Setting> = {
  standard: {
    sourceClasses: [0, 1, 2, 3, 4],
    sourceEpochs,
    sourceImages: quick ? 6000 : SOURCE_IMAGES[sourceArch],
    defaultSizes: quick ? '10' : '10,50',
    epochFactor: 1,
  },
  'cross-domain': {
    sourceClasses: [0, 1, 2, 3, 4],
    sourceEpochs,
    sourceImages: quick ? 6000 : SOURCE_IMAGES[sourceArch],
    defaultSizes: quick ? '10' : '10,50',
    epochFactor: 1,
  },
  'related-long': {
    sourceClasses: [0, 2, 4, 5, 7],
    sourceEpochs: 3 * sourceEpochs,
    sourceImages: quick ? 6000 : 30000,
    defaultSizes: '10',
    epochFactor: 3,
  },
};
const setting = SETTINGS[settingName];

const settings = {
  backend: (option('backend') ?? 'wasm') as BackendPreference,
  seeds: Number(option('seeds') ?? (quick ? 2 : 5)),
  sizes: (option('sizes') ?? setting.defaultSizes).split(',').map(Number),
  methods: (option('methods') ?? 'l2,delta,dtnh+delta,l2sp,rifle,dtnh+l2sp').split(','),
  dataDir: option('data') ?? '/usr/share/datasets/fashion-mnist',
  /** Target test images for the Fashion-MNIST targets (5000 = all test images of 5 classes). */
  testImages: quick ? 1000 : 3000,
  /** Validation images carved from the target's training pool (fewer if the pool runs out). */
  validationImages: Number(option('validation') ?? (quick ? 500 : 2000)),
  width: sourceArch === 'small-resnet' ? 8 : 16,
  epochScale: (quick ? 0.5 : 1) * setting.epochFactor,
};
const modeDir = path.join(__dirname, '..', 'out', 'transfer', quick ? 'quick' : 'full');
const runsDir = path.join(modeDir, `${settingName}-${sourceArch}`, 'runs');
const sourceDir = path.join(
  modeDir,
  `source-${sourceArch}-${setting.sourceClasses.join('')}-${setting.sourceImages}x${setting.sourceEpochs}`,
);

/**
 * Alpha grid per penalty: the papers' defaults (PENALTY_DEFAULTS: l2sp 0.1, delta 0.01 on the
 * authors' scale) and one decade below; beta fixed at 0.01 as in the papers. One decade above
 * (l2sp 1, delta 0.1) lost 8-40 validation points on every seed of a first run, and the budget of
 * this shared machine went to seeds instead.
 */
export const ALPHA_GRID: Record<PenaltyName, number[]> = {
  l2: [1e-4, 1e-3],
  l2sp: [0.01, 0.1],
  delta: [0.001, 0.01],
};

/**
 * The validation grid of a method: its penalty's alphas. RIFLE runs at the authors' schedule
 * (re-initialisations at 25/50/75% of training, TRANSFER_DEFAULTS.rifle) with its penalty's
 * default alpha: one candidate, nothing to choose.
 */
export function grid(method: string): number[] {
  if (method === 'scratch') return ALPHA_GRID.l2;
  const plan = parseMethod(method);
  if (plan.rifle) return [PENALTY_DEFAULTS[plan.penalty].alpha];
  return ALPHA_GRID[plan.penalty];
}

/**
 * DTNH changes how the gradient of the regulariser it wraps is applied, not the regulariser: it
 * runs at the alpha validation chose for that regulariser on the same sample, so `dtnh+X - X` is
 * DTNH's effect alone (and costs one run, not a grid). Undefined when X has not run yet.
 */
function dtnhAlpha(method: string, k: number, seed: number): number[] | undefined {
  if (method === 'scratch') return undefined;
  const plan = parseMethod(method);
  if (!plan.dtnh || plan.rifle) return undefined;
  const file = recordFile(k, seed, plan.penalty);
  if (!existsSync(file)) return undefined;
  return [(JSON.parse(readFileSync(file, 'utf8')) as RunRecord).alpha];
}

/**
 * Fine-tuning budget: about 120 optimizer steps whatever k and the number of classes (batch 16
 * at k <= 10, else 32), so the near (5 classes) and cross-domain (10 classes) targets train as
 * long: 30 / 15 epochs at k = 10 / 50 on 5 classes, 17 / 8 on 10.
 */
function budget(k: number, numClasses: number): { epochs: number; batchSize: number } {
  const batchSize = k <= 10 ? 16 : 32;
  const stepsPerEpoch = Math.ceil((k * numClasses) / batchSize);
  const epochs = Math.max(2, Math.round((120 * settings.epochScale) / stepsPerEpoch));
  return { epochs, batchSize };
}

function load(split: 'train' | 't10k'): Dataset {
  const file = (kind: string): string =>
    path.join(settings.dataDir, `${split}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`);
  const imagesFile = file('images');
  if (!existsSync(imagesFile)) {
    throw new Error(
      `${imagesFile} not found: run scripts/install-bench-data.sh (Debian dataset-fashion-mnist)`,
    );
  }
  return idxImageDataset({
    images: readFileSync(imagesFile),
    labels: readFileSync(file('labels')),
    imagesFile,
    labelsFile: file('labels'),
  });
}

function toTensors(ds: Dataset): TrainSet {
  if (ds.inputs.kind !== 'image') throw new Error('image data expected');
  const { height, width, channels } = ds.inputs.shape;
  const len = height * width * channels;
  const flat = new Float32Array(ds.size * len);
  ds.inputs.pixels.forEach((p, i) => flat.set(p, i * len));
  return {
    x: tf.tensor4d(flat, [ds.size, height, width, channels]),
    y: tf.tensor1d(ds.labels.slice(), 'int32'),
  };
}

function free(set: TrainSet): void {
  tf.dispose([set.x, set.y]);
}

/** 1 where the model's top class is the label, per example (for paired differences). */
function correctness(model: tf.LayersModel, set: TrainSet): Uint8Array {
  const predicted = tf.tidy(() => tf.argMax(predictBatches(model, set.x, 256), -1).dataSync());
  const truth = set.y.dataSync();
  return Uint8Array.from(truth, (t, i) => (t === predicted[i] ? 1 : 0));
}

interface CandidateRun {
  validation: Uint8Array;
  test: number;
  conflictRate?: number;
  hookLayers?: string[];
  attention?: number[][];
}

/**
 * One fine-tuning run on the whole k-shot sample, evaluated on the validation images (to choose
 * alpha) and on the test images (reported for the chosen alpha only). `attention`: DELTA's
 * attention of an earlier run of the same seed (scored once per sample, see finetune's input).
 */
async function runCandidate(
  method: string,
  base: tf.LayersModel,
  data: { train: TrainSet; validation: TrainSet; test: TrainSet },
  k: number,
  alpha: number,
  seed: number,
  numClasses: number,
  attention?: number[][],
): Promise<CandidateRun> {
  const scratch = method === 'scratch';
  const model = scratch
    ? buildZooModel(sourceArch, {
        inputShape: [28, 28, 1],
        numClasses,
        width: settings.width,
        seed: 1000 + seed,
      })
    : base;
  const config = finetuneConfig.parse({
    method: scratch ? 'l2' : method,
    alpha,
    beta: 0.01,
    ...budget(k, numClasses),
    learningRate: 0.01,
    optimizer: 'momentum',
    lrSchedule: 'cosine',
    seed,
  });
  const result = await finetune({
    base: model,
    train: data.train,
    numClasses,
    config,
    attention,
  });
  const run: CandidateRun = {
    validation: correctness(result.model, data.validation),
    test: evaluate(result.model, data.test.x, data.test.y).accuracy,
    hookLayers: result.hookLayers,
    attention: result.attention,
  };
  const rates = result.history.flatMap((m) =>
    m.dtnhConflictRate === undefined ? [] : [m.dtnhConflictRate],
  );
  if (rates.length) run.conflictRate = mean(rates);
  result.model.dispose();
  if (scratch) model.dispose();
  return run;
}

/**
 * The k-shot sample (k per class, seeded) and a validation split of up to `size` further images
 * of the same training pool (disjoint from the sample, seeded, not stratified): the validation
 * images come from the target's training data, never from its test split.
 */
function sampleWithValidation(
  pool: Dataset,
  k: number,
  size: number,
  seed: number,
): { shots: Dataset; validation: Dataset } {
  const shots = fewShot(pool, k, seed);
  const rng = new Rng(seed).fork('validation');
  // fewShot draws from a fresh Rng(seed): redo its draw to know which indices it took.
  const taken = new Set<number>();
  const draw = new Rng(seed);
  for (const idx of pool.indicesByClass())
    draw
      .shuffle(idx)
      .slice(0, k)
      .forEach((i) => taken.add(i));
  const rest = rng.shuffle(
    Array.from({ length: pool.size }, (_, i) => i).filter((i) => !taken.has(i)),
  );
  return { shots, validation: pool.select(rest.slice(0, size)) };
}

interface Target {
  pool: Dataset;
  test: Dataset;
  numClasses: number;
  description: string;
}

/** The target domain of the setting: the pool few-shot samples are drawn from, and its test set. */
async function loadTarget(train: Dataset, test: Dataset): Promise<Target> {
  if (settingName === 'cross-domain') {
    const digits = resizeDataset(
      tabularAsImages(
        (await loadPackagedDataset('sklearn-digits')).train,
        { height: 8, width: 8, channels: 1 },
        16,
      ),
      { height: 28, width: 28 },
      'bilinear',
    );
    const split = stratifiedSplit(digits, { train: 0.6, validation: 0, test: 0.4 }, 7);
    return {
      pool: split.train,
      test: split.test,
      numClasses: 10,
      description: `scikit-learn digits upsampled to 28x28, ${split.test.size} test images (fixed stratified 40%)`,
    };
  }
  const targetClasses = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(
    (c) => !setting.sourceClasses.includes(c),
  );
  // selectClasses relabels the kept classes 0..n-1 in the order given.
  const targetTest = shuffleDataset(selectClasses(test, targetClasses), 7);
  const n = Math.min(settings.testImages, targetTest.size);
  return {
    pool: selectClasses(train, targetClasses),
    test: targetTest.select(Array.from({ length: n }, (_, i) => i)),
    numClasses: targetClasses.length,
    description: `Fashion-MNIST classes ${targetClasses.join(',')}, ${n} test images`,
  };
}

async function pretrainedSource(
  train: Dataset,
): Promise<{ base: tf.LayersModel; seconds: number }> {
  if (existsSync(path.join(sourceDir, 'model.json')))
    return { base: await loadModelFromDirectory(sourceDir), seconds: 0 };
  const t0 = Date.now();
  const source = shuffleDataset(selectClasses(train, setting.sourceClasses), 7);
  const sourceSet = toTensors(
    source.select(Array.from({ length: Math.min(setting.sourceImages, source.size) }, (_, i) => i)),
  );
  const base = buildZooModel(sourceArch, {
    inputShape: [28, 28, 1],
    numClasses: setting.sourceClasses.length,
    width: settings.width,
    seed: 1,
  });
  if (sourceArch === 'small-cnn') {
    await trainModel(base, sourceSet, {
      epochs: setting.sourceEpochs,
      batchSize: 64,
      learningRate: 1e-3,
      optimizer: { name: 'adam' },
      seed: 1,
    });
  } else {
    // Fresh random crops (2-pixel padding on 28x28) and horizontal flips every epoch: one call
    // per epoch, stopped after it; `initialEpoch` keeps the one-cycle schedule and the batch
    // order on the global step (the momentum buffer restarts each epoch, 1 step in 470).
    const augmenter = new ImageAugmenter([new RandomCrop({ padding: 2 }), new RandomFlip()]);
    const augmentRng = new Rng(1).fork('source-augment');
    for (let epoch = 0; epoch < setting.sourceEpochs; epoch++) {
      const shape = { height: 28, width: 28, channels: 1 };
      const flat = sourceSet.x.dataSync() as Float32Array;
      const len = 28 * 28;
      const out = new Float32Array(flat.length);
      for (let i = 0; i < flat.length / len; i++)
        out.set(augmenter.apply(flat.subarray(i * len, (i + 1) * len), shape, augmentRng), i * len);
      const x = tf.tensor4d(out, sourceSet.x.shape as [number, number, number, number]);
      await trainModel(
        base,
        { x, y: sourceSet.y },
        {
          epochs: setting.sourceEpochs,
          initialEpoch: epoch,
          batchSize: 64,
          learningRate: 0.05,
          optimizer: { name: 'momentum' },
          schedule: { kind: 'onecycle' },
          seed: 1,
          callbacks: [{ onEpochEnd: (_m, stop) => stop('early-stopping') }],
        },
      );
      x.dispose();
      process.stderr.write(`source epoch ${epoch + 1}/${setting.sourceEpochs} done\n`);
    }
  }
  free(sourceSet);
  // Written to a temporary directory and renamed, so a parallel invocation never reads half a model.
  const tmp = `${sourceDir}.tmp-${process.pid}`;
  await writeModelBuffers(tmp, await saveModelToBuffers(base));
  if (!existsSync(sourceDir)) renameSync(tmp, sourceDir);
  else rmSync(tmp, { recursive: true, force: true });
  return { base, seconds: (Date.now() - t0) / 1000 };
}

function readRecords(): RunRecord[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(runsDir, f), 'utf8')) as RunRecord);
}

const recordFile = (k: number, seed: number, method: string): string =>
  path.join(runsDir, `k${k}-seed${seed}-${method.replace('+', '_')}.json`);

async function main(): Promise<void> {
  const backend = await selectBackend(settings.backend);
  const t0 = Date.now();
  const train = load('train');
  const test = load('t10k');
  if (flag('fresh')) rmSync(path.dirname(runsDir), { recursive: true, force: true });
  mkdirSync(runsDir, { recursive: true });

  // Pretraining on the source domain ("cloud pretraining on public data"), cached per source.
  const { base, seconds: pretrainSeconds } = await pretrainedSource(train);
  const sourceTestSet = toTensors(selectClasses(test, setting.sourceClasses));
  const sourceAcc = evaluate(base, sourceTestSet.x, sourceTestSet.y).accuracy;
  free(sourceTestSet);
  if (flag('pretrain-only')) {
    console.log(
      `source ${sourceArch}: test accuracy ${pct(sourceAcc)}% (${pretrainSeconds.toFixed(0)} s)`,
    );
    base.dispose();
    return;
  }
  const target = await loadTarget(train, test);

  const testSet = toTensors(target.test);
  // Seeds outermost: a run cut short still covers every k with fewer seeds.
  for (let s = 0; s < (flag('report') ? 0 : settings.seeds); s++) {
    for (const k of settings.sizes) {
      const seed = 100 * k + s;
      const todo = settings.methods.filter((m) => !existsSync(recordFile(k, seed, m)));
      if (todo.length === 0) continue;
      const { shots, validation } = sampleWithValidation(
        target.pool,
        k,
        settings.validationImages,
        seed,
      );
      const data = { train: toTensors(shots), validation: toTensors(validation), test: testSet };
      let attention: number[][] | undefined;
      for (const method of todo) {
        // Another invocation may have finished it meanwhile.
        if (existsSync(recordFile(k, seed, method))) continue;
        const started = Date.now();
        const alphas = dtnhAlpha(method, k, seed) ?? grid(method);
        const usesDelta = method !== 'scratch' && parseMethod(method).penalty === 'delta';
        const runs: CandidateRun[] = [];
        for (const alpha of alphas) {
          const run = await runCandidate(
            method,
            base,
            data,
            k,
            alpha,
            seed,
            target.numClasses,
            usesDelta ? attention : undefined,
          );
          if (usesDelta) attention ??= run.attention;
          runs.push(run);
        }
        const accuracies = runs.map((r) => mean(r.validation));
        // Ties go to the first candidate (smallest alpha).
        const best = accuracies.indexOf(Math.max(...accuracies));
        const record: RunRecord = {
          k,
          seed,
          method,
          alpha: alphas[best],
          alphas,
          validation: accuracies,
          validationSize: validation.size,
          selectionSe: selectionSe(
            runs.map((r) => r.validation),
            best,
          ),
          test: runs[best].test,
          tests: runs.map((r) => r.test),
          conflictRate: runs[best].conflictRate,
          hookLayers: runs[best].hookLayers,
          seconds: (Date.now() - started) / 1000,
        };
        const file = recordFile(k, seed, method);
        writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 1));
        renameSync(`${file}.tmp`, file);
        process.stderr.write(
          `${settingName} k=${k} seed=${seed} ${method}: alpha ${record.alpha} val ${accuracies.map(pct).join('/')} test=${pct(record.test)}% (${record.seconds.toFixed(0)} s)\n`,
        );
      }
      free(data.train);
      free(data.validation);
    }
  }
  free(testSet);

  base.dispose();
  console.log(
    report(readRecords(), {
      setting: settingName,
      header:
        `setting ${settingName}; backend ${backend}; source: ${sourceArch} (width ${settings.width}) on ` +
        `${setting.sourceImages} images of Fashion-MNIST classes ${setting.sourceClasses.join(',')}, ` +
        `${setting.sourceEpochs} epochs, source test accuracy ${pct(sourceAcc)}%` +
        `${pretrainSeconds > 0 ? ` (pretrained in ${pretrainSeconds.toFixed(0)} s)` : ' (cached)'}; ` +
        `fine-tuning epochs x${settings.epochScale}; target: ${target.description}.`,
    }),
  );
  console.log(`\nthis invocation: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
