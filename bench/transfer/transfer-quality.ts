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
import { evaluate } from '../../src/ml/train/evaluate';
import { trainModel, TrainSet } from '../../src/ml/train/trainer';
import { finetuneConfig } from '../../src/transfer/finetune.schema';
import { parseMethod, PenaltyName } from '../../src/transfer/core/method';
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
const SETTINGS: Record<SettingName, Setting> = {
  standard: {
    sourceClasses: [0, 1, 2, 3, 4],
    sourceEpochs: quick ? 2 : 4,
    sourceImages: quick ? 6000 : 30000,
    defaultSizes: quick ? '10' : '10,50,200',
    epochFactor: 1,
  },
  'cross-domain': {
    sourceClasses: [0, 1, 2, 3, 4],
    sourceEpochs: quick ? 2 : 4,
    sourceImages: quick ? 6000 : 30000,
    defaultSizes: '10',
    epochFactor: 1,
  },
  'related-long': {
    sourceClasses: [0, 2, 4, 5, 7],
    sourceEpochs: quick ? 4 : 12,
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
  methods: (option('methods') ?? 'scratch,l2,l2sp,delta,rifle,dtnh+l2sp,dtnh+delta').split(','),
  dataDir: option('data') ?? '/usr/share/datasets/fashion-mnist',
  /** Target test images for the Fashion-MNIST targets (5000 = all test images of 5 classes). */
  testImages: quick ? 1000 : 5000,
  width: 16,
  epochScale: (quick ? 0.5 : 1) * setting.epochFactor,
};
const modeDir = path.join(__dirname, '..', 'out', 'transfer', quick ? 'quick' : 'full');
const runsDir = path.join(modeDir, settingName, 'runs');
const sourceDir = path.join(
  modeDir,
  `source-${setting.sourceClasses.join('')}-${setting.sourceImages}x${setting.sourceEpochs}`,
);

/** Alpha grid per penalty, searched on the validation split (beta fixed at 0.01 as in the papers). */
const ALPHA_GRID: Record<PenaltyName, number[]> = {
  l2: [1e-4, 1e-3, 1e-2],
  l2sp: [1e-3, 1e-2, 1e-1],
  delta: [1e-2, 1e-1, 1],
};

interface Candidate {
  alpha: number;
  rifleFraction?: number;
}

/**
 * The validation grid of a method: its penalty's alphas; for RIFLE (whose weight decay barely
 * matters) the share of training over which the head is re-initialised instead.
 */
function grid(method: string): Candidate[] {
  if (method === 'scratch') return ALPHA_GRID.l2.map((alpha) => ({ alpha }));
  const plan = parseMethod(method);
  if (plan.rifle)
    return [1 / 3, 1 / 2, 2 / 3].map((f) => ({
      alpha: ALPHA_GRID[plan.penalty][0],
      rifleFraction: f,
    }));
  return ALPHA_GRID[plan.penalty].map((alpha) => ({ alpha }));
}

/** Fine-tuning budget per k: roughly the same number of optimizer steps for every k. */
function budget(k: number): { epochs: number; batchSize: number } {
  const scaled = (e: number): number => Math.max(2, Math.round(e * settings.epochScale));
  if (k <= 10) return { epochs: scaled(30), batchSize: 16 };
  if (k <= 50) return { epochs: scaled(15), batchSize: 32 };
  return { epochs: scaled(8), batchSize: 32 };
}

interface RunRecord {
  k: number;
  seed: number;
  method: string;
  alpha: number;
  rifleFraction?: number;
  /** Validation accuracy of each candidate of the grid, in grid order. */
  validation: number[];
  test: number;
  /** DTNH: mean share of steps whose penalty gradient conflicted with the task gradient. */
  conflictRate?: number;
  /** Wall-clock of the grid and final run; contention varies, so costs come from method-cost.ts. */
  seconds: number;
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

async function runMethod(
  method: string,
  base: tf.LayersModel,
  train: TrainSet,
  evalSet: TrainSet,
  k: number,
  candidate: Candidate,
  seed: number,
  numClasses: number,
): Promise<{ accuracy: number; conflictRate?: number }> {
  const scratch = method === 'scratch';
  const model = scratch
    ? buildZooModel('small-cnn', {
        inputShape: [28, 28, 1],
        numClasses,
        width: settings.width,
        seed: 1000 + seed,
      })
    : base;
  const config = finetuneConfig.parse({
    method: scratch ? 'l2' : method,
    alpha: candidate.alpha,
    beta: 0.01,
    ...(candidate.rifleFraction
      ? { rifle: { periods: 3, fraction: candidate.rifleFraction } }
      : {}),
    ...budget(k),
    learningRate: 0.01,
    optimizer: 'momentum',
    lrSchedule: 'cosine',
    headEpochs: 3,
    seed,
  });
  const result = await finetune({ base: model, train, numClasses, config });
  const accuracy = evaluate(result.model, evalSet.x, evalSet.y).accuracy;
  const rates = result.history.flatMap((m) =>
    m.dtnhConflictRate === undefined ? [] : [m.dtnhConflictRate],
  );
  result.model.dispose();
  if (scratch) model.dispose();
  return { accuracy, conflictRate: rates.length ? meanStd(rates).mean : undefined };
}

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std =
    xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

const pct = (v: number): string => (100 * v).toFixed(1);

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
  const base = buildZooModel('small-cnn', {
    inputShape: [28, 28, 1],
    numClasses: setting.sourceClasses.length,
    width: settings.width,
    seed: 1,
  });
  await trainModel(base, sourceSet, {
    epochs: setting.sourceEpochs,
    batchSize: 64,
    learningRate: 1e-3,
    optimizer: { name: 'adam' },
    seed: 1,
  });
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
  const target = await loadTarget(train, test);

  const testSet = toTensors(target.test);
  for (const k of flag('report') ? [] : settings.sizes) {
    for (let s = 0; s < settings.seeds; s++) {
      const seed = 100 * k + s;
      const todo = settings.methods.filter((m) => !existsSync(recordFile(k, seed, m)));
      if (todo.length === 0) continue;
      const shots = fewShot(target.pool, k, seed);
      const split = stratifiedSplit(shots, { train: 0.75, validation: 0.25, test: 0 }, seed);
      const full = toTensors(shots);
      const fit = toTensors(split.train);
      const val = toTensors(split.validation);
      for (const method of todo) {
        // Another invocation may have finished it meanwhile.
        if (existsSync(recordFile(k, seed, method))) continue;
        const started = Date.now();
        const candidates = grid(method);
        const validation: number[] = [];
        const run = (set: TrainSet, evalSet: TrainSet, c: Candidate) =>
          runMethod(method, base, set, evalSet, k, c, seed, target.numClasses);
        for (const c of candidates) validation.push((await run(fit, val, c)).accuracy);
        // Ties go to the first candidate (smallest alpha / fraction).
        const best = candidates[validation.indexOf(Math.max(...validation))];
        const { accuracy, conflictRate } = await run(full, testSet, best);
        const seconds = (Date.now() - started) / 1000;
        const record: RunRecord = {
          k,
          seed,
          method,
          ...best,
          validation,
          test: accuracy,
          conflictRate,
          seconds,
        };
        const file = recordFile(k, seed, method);
        writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 1));
        renameSync(`${file}.tmp`, file);
        process.stderr.write(
          `${settingName} k=${k} seed=${seed} ${method}: ${JSON.stringify(best)} test=${pct(accuracy)}% (${seconds.toFixed(0)} s)\n`,
        );
      }
      [full, fit, val].forEach(free);
    }
  }
  free(testSet);

  base.dispose();
  console.log(report(readRecords(), sourceAcc, pretrainSeconds, backend, target.description));
  console.log(`\nthis invocation: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

function conflicts(runs: RunRecord[]): string {
  const rates = runs.flatMap((r) => (r.conflictRate === undefined ? [] : [r.conflictRate]));
  return rates.length ? pct(meanStd(rates).mean) : '-';
}

/** Markdown tables over every stored record; paired differences only where l2 ran on the same seed. */
function report(
  records: RunRecord[],
  sourceAcc: number,
  pretrainSeconds: number,
  backend: string,
  targetDescription: string,
): string {
  const sizes = [...new Set(records.map((r) => r.k))].sort((a, b) => a - b);
  const order = ['scratch', 'l2', 'l2sp', 'delta', 'rifle', 'dtnh+l2sp', 'dtnh+delta'];
  const methods = [...new Set(records.map((r) => r.method))].sort(
    (a, b) => order.indexOf(a) - order.indexOf(b),
  );
  const lines: string[] = [];
  lines.push(
    `setting ${settingName}; backend ${backend}; source: small-cnn (width ${settings.width}) on ` +
      `${setting.sourceImages} images of Fashion-MNIST classes ${setting.sourceClasses.join(',')}, ` +
      `${setting.sourceEpochs} epochs, source test accuracy ${pct(sourceAcc)}%` +
      `${pretrainSeconds > 0 ? ` (pretrained in ${pretrainSeconds.toFixed(0)} s)` : ' (cached)'}; ` +
      `fine-tuning epochs x${settings.epochScale}; target: ${targetDescription}.`,
  );
  lines.push('');
  lines.push(
    '| k/class | method | seeds | test acc % (mean +- std) | diff vs l2 (pp, mean +- std) | wins/paired seeds | chosen on validation (per seed) | DTNH conflict steps % |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const k of sizes) {
    const l2 = new Map(
      records.filter((r) => r.k === k && r.method === 'l2').map((r) => [r.seed, r.test]),
    );
    for (const method of methods) {
      const runs = records
        .filter((r) => r.k === k && r.method === method)
        .sort((a, b) => a.seed - b.seed);
      if (runs.length === 0) continue;
      const { mean, std } = meanStd(runs.map((r) => r.test));
      let diff = '-';
      let wins = '-';
      const paired = runs.filter((r) => l2.has(r.seed));
      if (method !== 'l2' && paired.length > 0) {
        const d = paired.map((r) => r.test - (l2.get(r.seed) ?? NaN));
        const ms = meanStd(d);
        diff = `${(100 * ms.mean).toFixed(1)} +- ${(100 * ms.std).toFixed(1)}`;
        wins = `${d.filter((v) => v > 0).length}/${d.length}`;
      }
      lines.push(
        `| ${k} | ${method} | ${runs.length} | ${pct(mean)} +- ${pct(std)} | ${diff} | ${wins} | ${runs.map((r) => (r.rifleFraction ? `fraction ${r.rifleFraction.toFixed(2)}` : r.alpha)).join(', ')} | ${conflicts(runs)} |`,
      );
    }
  }
  lines.push('');
  lines.push(dtnhTable(records, sizes));
  lines.push('');
  lines.push(gridTable(records, sizes, methods));
  return lines.join('\n');
}

/** Mean validation accuracy of each grid value: how flat the selection landscape is. */
function gridTable(records: RunRecord[], sizes: number[], methods: string[]): string {
  const lines = [
    '| k/class | method | validation acc % per grid value (mean over seeds) |',
    '| --- | --- | --- |',
  ];
  for (const k of sizes) {
    for (const method of methods) {
      const runs = records.filter((r) => r.k === k && r.method === method);
      if (runs.length === 0) continue;
      const cells = grid(method).map((c, i) => {
        const label = c.rifleFraction ? `f=${c.rifleFraction.toFixed(2)}` : `a=${c.alpha}`;
        return `${label}: ${pct(meanStd(runs.map((r) => r.validation[i])).mean)}`;
      });
      lines.push(`| ${k} | ${method} | ${cells.join(', ')} |`);
    }
  }
  return lines.join('\n');
}

/**
 * DTNH's promise is relative to the regulariser it wraps: `dtnh+X` - `X` per seed (same sample,
 * head and batch order), with the seed-to-seed std of `X` - `l2` as the noise it is judged against.
 */
function dtnhTable(records: RunRecord[], sizes: number[]): string {
  const lines = [
    '| k/class | pair | paired seeds | diff (pp, mean +- std) | better / equal / worse | noise: std of X - l2 (pp) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const byMethod = (k: number, m: string): Map<number, number> =>
    new Map(records.filter((r) => r.k === k && r.method === m).map((r) => [r.seed, r.test]));
  for (const k of sizes) {
    const l2 = byMethod(k, 'l2');
    for (const wrapped of ['l2sp', 'delta']) {
      const plain = byMethod(k, wrapped);
      const dtnh = byMethod(k, `dtnh+${wrapped}`);
      const d = [...dtnh]
        .filter(([seed]) => plain.has(seed))
        .map(([seed, v]) => v - (plain.get(seed) as number));
      if (d.length === 0) continue;
      const noise = [...plain]
        .filter(([seed]) => l2.has(seed))
        .map(([seed, v]) => v - (l2.get(seed) as number));
      const ms = meanStd(d);
      const eps = 1e-9;
      lines.push(
        `| ${k} | dtnh+${wrapped} vs ${wrapped} | ${d.length} | ${(100 * ms.mean).toFixed(2)} +- ${(100 * ms.std).toFixed(2)} | ` +
          `${d.filter((v) => v > eps).length} / ${d.filter((v) => Math.abs(v) <= eps).length} / ${d.filter((v) => v < -eps).length} | ` +
          `${noise.length > 1 ? (100 * meanStd(noise).std).toFixed(2) : '-'} |`,
      );
    }
  }
  return lines.join('\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
