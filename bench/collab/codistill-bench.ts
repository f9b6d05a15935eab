/**
 * Distillation: sites with different architectures (small-cnn and mobilenet, width 8) train with
 * `codistill` (multi-structure collaborative online distillation, ICASSP 2019): every round each
 * site shares its logits on a public unlabeled set and adds T^2 KL(teacher || its own soft labels)
 * to its loss, the teacher being the accuracy-weighted ensemble of the sites (core/codistill.ts).
 * The baseline is the same site, architecture, initial weights, data order and epochs with
 * distillation weight 0 -- the architecture trained alone on its site's data. Paired by seed; each
 * site's own model is evaluated on the same held-out slice of Fashion-MNIST's official test split.
 * Sites hold an IID share of a seeded subsample of the training split; the public set is a
 * disjoint subsample whose labels are never read. The alone run is made once per seed and every
 * variant is compared with it.
 *
 *   nice -n 10 node -r @swc-node/register bench/collab/codistill-bench.ts [--quick]
 *     [--train 1000] [--public 500] [--test 1000] [--epochs 8] [--seeds 3] [--first-seed 0]
 *     [--architectures small-cnn,mobilenet] [--lr 0.01] [--min-lr 0.0005]
 *     [--variants w1,w0.3:t1,w1:u2:r3,w1:e1]   (w<weight>, :t<temperature> (3), :u<warmup
 *                                 rounds> (1), :r<ramp rounds> (1), :e1 the ensemble teacher
 *                                 (every site, itself included) instead of the peers)
 *   --min-lr: each round one cosine from --lr down to it, for the alone runs too.
 *   --no-alone: skip the alone run (deterministic per seed; pair with another run's alone line).
 *
 * Besides the sites' accuracies, each run reports `ensemble`: the test accuracy of the mean of
 * the final models' probabilities; stderr logs each share's and each teacher's accuracy on the
 * public set's labels per round (bench-only: the federation never reads them).
 *
 * --quick: 2 seeds, 600 training examples, public 300, test 500, 6 epochs (a smoke run).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import type { Dataset } from '../../src/ml/data';
import { Rng } from '../../src/platform/core/rng';
import { makeAlgorithm } from '../../src/collab/core/algorithms';
import { softmaxRows, type CodistillTeacher } from '../../src/collab/core/codistill';
import type { RoundAggregate, SiteShare } from '../../src/collab/core/federated-algorithm';
import { datasetTensors } from '../../src/registry/core/encode';
import { splitSites } from '../../src/collab/core/splitters';
import { runFederationLoop } from '../../src/collab/federation-run';
import { LocalPlacement, sharedImageContract } from '../../src/collab/local-placement';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const archArg = argv.indexOf('--architectures');
const ARCHITECTURES = (archArg >= 0 ? argv[archArg + 1] : 'small-cnn,mobilenet').split(',');
const QUICK = argv.includes('--quick');
const TRAIN = arg('train', QUICK ? 600 : 1000);
const PUBLIC = arg('public', QUICK ? 300 : 500);
const TEST = arg('test', QUICK ? 500 : 1000);
const EPOCHS = arg('epochs', QUICK ? 6 : 8);
const SEEDS = arg('seeds', QUICK ? 2 : 3);
const FIRST_SEED = arg('first-seed', 0);
const LR = arg('lr', 0.01);
/** A cosine from --lr down to this over each round, for the alone runs too (absent: constant). */
const MIN_LR = argv.includes('--min-lr') ? arg('min-lr', 0) : undefined;
const variantArg = argv.indexOf('--variants');
/** Skip the alone run (deterministic per seed): pair with another process's alone line. */
const NO_ALONE = argv.includes('--no-alone');

interface Variant {
  label: string;
  weight: number;
  temperature: number;
  warmupRounds: number;
  rampRounds: number;
  teacher: CodistillTeacher;
}

/** `w1:t3:u1:r1:e1` -> weight 1, T 3, 1 burn-in round, ramp over 1 round. */
function parseVariant(label: string): Variant {
  const v: Variant = {
    label,
    weight: 1,
    temperature: 3,
    warmupRounds: 1,
    rampRounds: 1,
    teacher: 'peers',
  };
  for (const part of label.split(':')) {
    const x = Number(part.slice(1));
    if (!Number.isFinite(x)) throw new Error(`bad variant part ${part} in ${label}`);
    if (part[0] === 'w') v.weight = x;
    else if (part[0] === 't') v.temperature = x;
    else if (part[0] === 'u') v.warmupRounds = x;
    else if (part[0] === 'r') v.rampRounds = x;
    else if (part[0] === 'e') v.teacher = x === 1 ? 'ensemble' : 'peers';
    else throw new Error(`bad variant part ${part} in ${label}`);
  }
  return v;
}
const VARIANTS = (variantArg >= 0 ? argv[variantArg + 1] : 'w1').split(',').map(parseVariant);

async function run(
  sites: { name: string; architecture: string; train: Dataset; test: Dataset }[],
  publicSet: Dataset,
  v: Variant,
  seed: number,
): Promise<Record<string, number>> {
  const { contract, classNames } = sharedImageContract(sites);
  const algorithm = makeAlgorithm({
    algorithm: 'codistill',
    localEpochs: 1,
    learningRate: LR,
    period: 1,
    minLr: 0,
    mixupAlpha: 0.4,
    temperature: v.temperature,
    distillationWeight: v.weight,
    warmupRounds: v.warmupRounds,
    rampRounds: v.rampRounds,
    teacher: v.teacher,
    roundMinLr: MIN_LR,
    numClasses: classNames.length,
  });
  // Bench-only diagnostics: each share's and each teacher's accuracy on the public set's labels
  // (which the federation never reads), so a teacher no better than its student shows.
  const k = classNames.length;
  const aggregate = algorithm.aggregate.bind(algorithm);
  let round = 0;
  algorithm.aggregate = (shares: readonly SiteShare[], global?: Float32Array[]): RoundAggregate => {
    const agg = aggregate(shares, global);
    const acc = (p: Float32Array) => argmaxAccuracy(p, publicSet.labels, k);
    const own = shares.map((sh) => `${sh.site} ${acc(softmaxRows(sh.logits!, k)).toFixed(3)}`);
    const taught =
      agg.kind === 'predictions'
        ? [...agg.teachers].map(([site, t]) => `${site}'s teacher ${acc(t).toFixed(3)}`)
        : [];
    process.stderr.write(`${v.label} round ${++round} public: ${[...own, ...taught].join(', ')}\n`);
    return agg;
  };
  const placement = new LocalPlacement(
    sites,
    {
      contract,
      numClasses: classNames.length,
      width: 8,
      seed,
      batchSize: 32,
      optimizer: 'adam',
      dp: null,
      publicSet,
      shouldStop: () => false,
    },
    false,
  );
  try {
    await runFederationLoop(
      {
        algorithm,
        placement,
        rounds: algorithm.rounds(EPOCHS),
        screening: { normFactor: 10, maxRelativeNorm: 10, quorum: sites.length },
        roundRetries: 0,
        seed,
        logitsLength: publicSet.size * classNames.length,
      },
      {
        round: async () => undefined,
        log: async (m) => void process.stderr.write(`${m}\n`),
        cancelled: () => false,
      },
    );
    const out: Record<string, number> = Object.fromEntries(
      placement.evaluateOwn().map((e) => [e.site, e.accuracy]),
    );
    out.ensemble = ensembleAccuracy(
      sites.map((s) => placement.siteModel(s.name)),
      sites[0].test,
      contract,
      k,
    );
    return out;
  } finally {
    placement.dispose();
  }
}

function argmaxAccuracy(p: Float32Array, labels: readonly number[], k: number): number {
  let right = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[r * k + c] > p[r * k + best]) best = c;
    if (best === labels[r]) right++;
  }
  return right / labels.length;
}

/** Test accuracy of the mean of the sites' class probabilities (the ensemble a teacher is made of). */
function ensembleAccuracy(
  models: tf.LayersModel[],
  test: Dataset,
  contract: Parameters<typeof datasetTensors>[1],
  k: number,
): number {
  const { x, y } = datasetTensors(test, contract);
  const mean = tf.tidy(() =>
    tf.div(
      tf.addN(models.map((m) => m.predict(x, { batchSize: 256 }) as tf.Tensor)),
      models.length,
    ),
  );
  const p = Float32Array.from(mean.dataSync());
  tf.dispose([x, y, mean]);
  return argmaxAccuracy(p, test.labels, k);
}

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  const fm = await loadPackagedDataset('fashion-mnist');
  const t0 = Date.now();
  const alone = parseVariant('w0');
  // per variant and architecture: [alone, codistill] per seed
  const table = new Map<string, Map<string, [number, number][]>>();
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    const rng = new Rng(seed);
    const order = rng.shuffle([...Array(fm.train.size).keys()]);
    const train = fm.train.select(order.slice(0, TRAIN));
    const publicSet = fm.train.select(order.slice(TRAIN, TRAIN + PUBLIC));
    const testSet = fm.test as Dataset;
    const test = testSet.select(rng.shuffle([...Array(testSet.size).keys()]).slice(0, TEST));
    const parts = splitSites(train.labels, ARCHITECTURES.length, { kind: 'iid' }, seed);
    const sites = ARCHITECTURES.map((architecture, i) => ({
      name: `${architecture}@s${i}`,
      architecture,
      train: train.select(parts[i]),
      test,
    }));
    let t = Date.now();
    const base = NO_ALONE ? null : await run(sites, publicSet, alone, seed);
    if (base)
      process.stdout.write(
        JSON.stringify({
          seed,
          variant: 'alone',
          s: Math.round((Date.now() - t) / 1000),
          ...base,
        }) + '\n',
      );
    for (const v of VARIANTS) {
      t = Date.now();
      const got = await run(sites, publicSet, v, seed);
      process.stdout.write(
        JSON.stringify({ seed, variant: v.label, s: Math.round((Date.now() - t) / 1000), ...got }) +
          '\n',
      );
      if (!base) continue;
      const byArch = table.get(v.label) ?? new Map<string, [number, number][]>();
      table.set(v.label, byArch);
      // the ensemble of the final models (mean probabilities) beside the sites: a member that
      // is not below it has nothing to learn from it
      for (const [key, name] of [
        ...sites.map((s) => [s.architecture, s.name]),
        ['ensemble', 'ensemble'],
      ]) {
        const rows = byArch.get(key) ?? [];
        byArch.set(key, rows);
        rows.push([base[name], got[name]]);
      }
    }
  }
  const m = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  const sd = (xs: number[]) =>
    xs.length < 2
      ? Number.NaN
      : Math.sqrt(xs.reduce((a, x) => a + (x - m(xs)) ** 2, 0) / (xs.length - 1));
  for (const [label, byArch] of table)
    for (const [architecture, rows] of byArch) {
      const gains = rows.map(([a, c]) => (c - a) * 100);
      // paired t = mean / (sd / sqrt(n)); |t| > 2.78 (4 df) / 2.26 (9 df) is p < 0.05, two-sided
      const t = m(gains) / (sd(gains) / Math.sqrt(gains.length));
      process.stdout.write(
        `${label} ${architecture}: alone ${m(rows.map((r) => r[0])).toFixed(4)}, codistill ${m(rows.map((r) => r[1])).toFixed(4)}, gain ${m(gains).toFixed(2)} +- ${sd(gains).toFixed(2)} points (sd; paired t ${t.toFixed(2)}, ${gains.filter((g) => g > 0).length}/${gains.length} seeds up; per seed ${gains.map((x) => x.toFixed(1)).join(', ')})\n`,
      );
    }
  process.stdout.write(
    `backend ${backend}; ${ARCHITECTURES.length} sites of ${TRAIN / ARCHITECTURES.length} examples (IID), public set ${PUBLIC}, test ${TEST}, ${EPOCHS} rounds of 1 epoch, adam lr ${LR}${MIN_LR === undefined ? '' : ` cosine to ${MIN_LR} each round`}, width 8, seeds ${FIRST_SEED}-${FIRST_SEED + SEEDS - 1}; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
  tf.disposeVariables();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
