/**
 * Collaborative ≈ pooled, and bytes: Fashion-MNIST (Debian dataset-fashion-mnist) split into 4
 * sites, IID and Dirichlet(0.5) label skew (Hsu et al. 2019); esp-clr (arXiv 1810.06877) vs
 * fedavg vs pooled training of the same small-cnn for the same local epochs, paired by seed
 * (same sites, same initial weights). The coordinator loop and the local placement are the
 * service's own (src/collab); accuracy is on a held-out slice of the official test split.
 *
 *   nice -n 10 node -r @swc-node/register bench/collab/collab-bench.ts \
 *     [--train 2000] [--test 1000] [--epochs 8] [--period 4] [--seeds 3] [--backend wasm|cpu]
 *     [--optimizer adam|momentum|sgd] [--lr 0.02] [--first-seed 0]
 *     [--splits iid,dirichlet-0.5,dirichlet-0.1] [--variants pooled,fedavg,esp] (variants.ts)
 *     [--public 2000] [--diagnose] [--width 8]
 *   `:f<steps>` variants (FedDF) distill on --public images of the official train split that are
 *   in no site (the next ones of the seed's shuffle), labels discarded. `:g<G>` variants give
 *   every site the first G of those images with their labels (the shared labelled set).
 *   --quick: 1 seed, 1,000 examples, 8 epochs (a smoke run of the same code path)
 */
import * as tf from '@tensorflow/tfjs';
import { BackendPreference, selectBackend } from '../../src/ml/backend';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import type { Dataset } from '../../src/ml/data';
import { Rng } from '../../src/platform/core/rng';
import { makeAlgorithm, type AlgorithmSettings } from '../../src/collab/core/algorithms';
import { splitSites, type SplitSpec } from '../../src/collab/core/splitters';
import { pooledEvaluation, runFederationLoop } from '../../src/collab/federation-run';
import { LocalPlacement, sharedImageContract } from '../../src/collab/local-placement';
import { readWeights } from '../../src/collab/site-training';
import { sharedWarmup } from '../../src/collab/shared-warmup';
import { scheduleOf, parseVariant, variantSettings } from './variants';
import {
  serverDistillationSettings,
  type Fuser,
} from '../../src/collab/core/ensemble-distillation';
import { fuser, TfDistillationStudent } from '../../src/collab/server-distillation';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { datasetTensors, type InputContract } from '../../src/registry/core/encode';
import {
  headCalibrationSettings,
  headLoss,
  retrainHead,
} from '../../src/collab/core/classifier-calibration';
import { headStudy } from './head-study';
import { HeadFeatures } from '../../src/collab/head-calibration';
import { averagingStartRound, WeightAverage } from '../../src/collab/core/weight-average';
import { simplexEtf } from '../../src/collab/core/simplex-etf';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const backendArg = argv.indexOf('--backend');
const backendPref = (backendArg >= 0 ? argv[backendArg + 1] : 'wasm') as BackendPreference;
const QUICK = argv.includes('--quick');
const TRAIN = arg('train', QUICK ? 1000 : 2000);
const TEST = arg('test', 1000);
/** FedDF variants: the coordinator's unlabeled public set (train-split images in no site). */
const PUBLIC = arg('public', 2000);
/** FedDF variants: log the teacher's, the average's and the distilled model's test accuracy. */
const DIAGNOSE = argv.includes('--diagnose');
const EPOCHS = arg('epochs', 8);
const PERIOD = arg('period', 4);
const SEEDS = arg('seeds', QUICK ? 1 : 3);
/** The first seed (seeds FIRST_SEED .. FIRST_SEED + SEEDS - 1), to add seeds to an earlier run. */
const FIRST_SEED = arg('first-seed', 0);
const SITES = 4;
/**
 * small-cnn's base width for every model of the run (sites, pooled, FedDF student): 8 is the
 * bench's historical setting (fast); the zoo's default, what a federation gets, is 16.
 */
const WIDTH = arg('width', 8);
const strArg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
/** Which splits to run (comma-separated names: iid, dirichlet-<alpha> such as dirichlet-0.5). */
const SPLITS = strArg('splits', 'iid,dirichlet-0.5').split(',');
/**
 * The federations to run per split and seed, comma-separated (variants.ts:
 * `<kind>[:p<period>][:e<epochs>][:m<server momentum>][:d<peak decay>][:x<proximal mu>]`; mcl:
 * mixup alpha 0.4, E = 1). Default: pooled, fedavg and esp-clr at --epochs / --period (the
 * original table). Example for the non-IID study: `pooled,fedavg,esp,esp:d0.5,esp:x0.1`.
 */
const VARIANTS = strArg('variants', 'pooled,fedavg,esp').split(',');
const LR = arg('lr', 0.02);
/**
 * --swa 0.25,0.5: for every federated variant also evaluate the mean of the global models of the
 * last 25 % / 50 % of its rounds (server-side SWA, core/weight-average.ts), reported as
 * `<variant>.swa25` etc. beside the plain final model; the federation itself is unchanged.
 */
const SWA = strArg('swa', '')
  .split(',')
  .filter((x) => x !== '')
  .map(Number);
const optimizerArg = argv.indexOf('--optimizer');
const OPTIMIZER = (optimizerArg >= 0 ? argv[optimizerArg + 1] : 'adam') as
  'adam' | 'momentum' | 'sgd';

interface Outcome {
  accuracy: number;
  bytes: number;
  rounds: number;
  curve: { round: number; accuracy: number | null; bytes: number }[];
  /** Per round: the sites' disagreement sqrt(sum_i p_i ||y_i - ybar||^2) (client drift). */
  drift: number[];
  /** FedDF: per round, the steps kept / taken, and the coordinator CPU seconds in all. */
  fusion: string[];
  fusionCpu: number;
  /** `:h1`: accuracy of the final global model after each head calibration (and its bytes). */
  heads: Record<string, number>;
}

/** What a run adds to the plain federation, each absent when the variant does not use it. */
interface FederationExtras {
  /** FedDF (`:f`): steps per round on the public set (`--diagnose`: log test accuracies). */
  fusion?: { steps: number; publicSet: Dataset; diagnose?: Dataset };
  /** `:g`: the shared labelled set every site trains on. */
  sharedSet?: Dataset;
  /** `:h1` / `:h2`: the head calibration study on the final (or every) global model. */
  study?: { test: Dataset; everyRound: boolean };
  /** `:w`: epochs of Zhao et al.'s warm-up on the shared set. */
  warmupEpochs?: number;
  /** `--swa`: the fractions of the last rounds whose global models are averaged too. */
  swaFractions?: readonly number[];
  /** `:q`: the fraction of the shared set each site draws per round. */
  sharedFraction?: number;
  /** `:o1`: every site keeps its optimizer across rounds. */
  carryOptimizer?: boolean;
  /** `:a1`: with `:o1`, the sites' adam moments averaged at every round's start. */
  averageOptimizer?: boolean;
  /** `:t1`: the initial global head is a simplex ETF, bias 0 (FedETF). */
  etfHead?: boolean;
}

/** `:t1`: `weights` with a simplex ETF head (seeded from the run's seed) and a zero bias. */
function etfHeaded(
  weights: Float32Array[],
  placement: LocalPlacement,
  etf: boolean,
  seed: number,
): Float32Array[] {
  if (!etf) return weights;
  const hf = new HeadFeatures(placement.workingModel());
  return hf.withHead(weights, {
    kernel: simplexEtf(hf.dim, hf.classes, (seed ^ 0x5e7f) >>> 0),
    bias: new Float32Array(hf.classes),
  });
}

async function federate(
  settings: AlgorithmSettings,
  epochs: number,
  siteData: { train: Dataset; test: Dataset }[],
  seed: number,
  sitesNamed: string[],
  extras: FederationExtras = {},
): Promise<Outcome> {
  const {
    fusion,
    sharedSet,
    study,
    warmupEpochs = 0,
    swaFractions = [],
    sharedFraction = 1,
    carryOptimizer = false,
    averageOptimizer = false,
    etfHead = false,
  } = extras;
  const data = siteData.map((d, i) => ({ name: sitesNamed[i], architecture: 'small-cnn', ...d }));
  const { contract, classNames } = sharedImageContract(data);
  const algorithm = makeAlgorithm({ ...settings, numClasses: classNames.length });
  const placement = new LocalPlacement(
    data,
    {
      contract,
      numClasses: classNames.length,
      width: WIDTH,
      seed,
      batchSize: 32,
      optimizer: OPTIMIZER,
      dp: null,
      ...(sharedSet ? { sharedSet } : {}),
      ...(sharedFraction < 1 ? { sharedFraction } : {}),
      ...(carryOptimizer ? { carryOptimizer } : {}),
      ...(averageOptimizer ? { averageOptimizer } : {}),
      shouldStop: () => false,
    },
    true,
  );
  const student = fusion
    ? {
        model: buildZooModel('small-cnn', {
          inputShape: contract.inputShape,
          numClasses: classNames.length,
          seed,
          width: WIDTH,
        }),
        x: datasetTensors(fusion.publicSet, contract).x,
      }
    : undefined;
  // `:h2`: cRT on the shared set after every aggregation (the sites start each period from the
  // calibrated head), through the loop's fuse hook, on a model of its own.
  const calibration =
    study?.everyRound && sharedSet
      ? {
          model: buildZooModel('small-cnn', {
            inputShape: contract.inputShape,
            numClasses: classNames.length,
            seed,
            width: WIDTH,
          }),
          x: datasetTensors(sharedSet, contract).x,
        }
      : undefined;
  const calibrate: Fuser | undefined =
    calibration && sharedSet
      ? (_sites, average, round) => {
          const hf = new HeadFeatures(calibration.model);
          const data = {
            features: hf.features(average, calibration.x),
            labels: sharedSet.labels,
            dim: hf.dim,
          };
          const head = hf.head(average);
          const r = retrainHead(
            head,
            data,
            headCalibrationSettings({}),
            (seed + 7_777 * (round + 1)) >>> 0,
          );
          return Promise.resolve({
            weights: hf.withHead(average, r.head),
            steps: r.steps,
            bestStep: r.steps,
            initialLoss: headLoss(head, data),
            bestLoss: headLoss(r.head, data),
          });
        }
      : undefined;
  try {
    let cumulative = 0;
    const curve: Outcome['curve'] = [];
    const drift: number[] = [];
    const fusionLog: string[] = [];
    let fusionCpu = 0;
    const seeded = etfHeaded(readWeights(placement.workingModel()), placement, etfHead, seed);
    const rounds = algorithm.rounds(epochs);
    const averages = swaFractions.map((f) => ({
      key: `swa${Math.round(f * 100)}`,
      from: averagingStartRound(rounds, f),
      average: new WeightAverage(),
    }));
    // `:w<W>`: Zhao et al. 2018's warm-up model on the shared set starts the federation.
    let initialGlobal = seeded;
    if (warmupEpochs > 0) {
      if (!sharedSet) throw new Error('a warm-up (:w) needs a shared set (:g)');
      const shared = datasetTensors(sharedSet, contract);
      try {
        initialGlobal = await sharedWarmup({
          model: placement.workingModel(),
          shared,
          initial: seeded,
          firstRound: algorithm.localPlan(0),
          epochs: warmupEpochs,
          batchSize: 32,
          optimizer: OPTIMIZER,
          seed,
        });
      } finally {
        tf.dispose([shared.x, shared.y]);
      }
    }
    const outcome = await runFederationLoop(
      {
        algorithm,
        placement,
        rounds,
        initialGlobal,
        screening: { normFactor: 10, maxRelativeNorm: 10, quorum: data.length },
        roundRetries: 0,
        seed,
        ...(student && fusion
          ? {
              fuse: diagnosed(
                fuser(
                  new TfDistillationStudent(student.model, student.x),
                  serverDistillationSettings({ steps: fusion.steps }),
                  seed,
                ),
                student.model,
                fusion.diagnose,
                contract,
              ),
            }
          : {}),
        ...(calibrate ? { fuse: calibrate } : {}),
      },
      {
        fused: (_round, f, cpu) => {
          fusionLog.push(`${f.bestStep}/${f.steps}`);
          fusionCpu += cpu;
        },
        round: async (row, _total, global) => {
          for (const a of averages) if (global && row.round >= a.from) a.average.add(global);
          cumulative += row.bytesUp + row.bytesDown;
          curve.push({ round: row.round, accuracy: row.globalAccuracy, bytes: cumulative });
        },
        log: async (m) => void process.stderr.write(`${m}\n`),
        drift: (_round, d) => void drift.push(d),
        cancelled: () => false,
      },
    );
    const heads: Record<string, number> =
      study && outcome.global
        ? await headStudy(
            placement,
            outcome.global,
            contract,
            siteData.map((d) => d.train),
            sharedSet,
            study.test,
            seed,
          )
        : {};
    for (const a of averages) {
      const mean = a.average.mean();
      if (mean)
        heads[a.key] = pooledEvaluation(await placement.evaluateGlobal(mean))?.accuracy ?? NaN;
    }
    return {
      heads,
      accuracy: pooledEvaluation(outcome.final)?.accuracy ?? Number.NaN,
      bytes: outcome.bytesTotal,
      rounds: outcome.rounds.length,
      curve,
      drift,
      fusion: fusionLog,
      fusionCpu,
    };
  } finally {
    placement.dispose();
    student?.model.dispose();
    student?.x.dispose();
    calibration?.model.dispose();
    calibration?.x.dispose();
  }
}

/**
 * --diagnose: per round, the held-out test accuracy of the teacher (the sites' averaged logits),
 * of the average and of the distilled model, and the sites' mean (stderr only: a diagnostic of
 * why FedDF helps or not, never used to choose a setting).
 */
function diagnosed(
  fuse: Fuser,
  model: tf.LayersModel,
  test: Dataset | undefined,
  contract: InputContract,
): Fuser {
  if (!test) return fuse;
  return async (siteWeights, average, round) => {
    const x = datasetTensors(test, contract).x;
    try {
      const probe = new TfDistillationStudent(model, x);
      const k = probe.classes;
      const all = [...Array(probe.rows).keys()];
      const accuracy = (z: Float32Array) => {
        let hit = 0;
        for (let r = 0; r < probe.rows; r++) {
          let best = 0;
          for (let c = 1; c < k; c++) if (z[r * k + c] > z[r * k + best]) best = c;
          if (best === test.labels[r]) hit++;
        }
        return hit / probe.rows;
      };
      const zs: Float32Array[] = [];
      for (const w of siteWeights) zs.push(await probe.predict(all, w));
      const mean = zs[0].map((_, i) => zs.reduce((a, z) => a + z[i], 0) / zs.length);
      const avgAcc = accuracy(await probe.predict(all, average));
      const out = await fuse(siteWeights, average, round);
      const fusedAcc = accuracy(await probe.predict(all, out.weights));
      const sitesAcc = zs.reduce((a, z) => a + accuracy(z), 0) / zs.length;
      process.stderr.write(
        `round ${round + 1} diagnose: sites ${sitesAcc.toFixed(4)}, ensemble ${accuracy(mean).toFixed(4)}, average ${avgAcc.toFixed(4)}, distilled ${fusedAcc.toFixed(4)}\n`,
      );
      return out;
    } finally {
      x.dispose();
    }
  };
}

async function main(): Promise<void> {
  const backend = await selectBackend(backendPref);
  const fm = await loadPackagedDataset('fashion-mnist');
  const base: AlgorithmSettings = {
    algorithm: 'fedavg',
    localEpochs: 1,
    learningRate: LR,
    period: PERIOD,
    minLr: LR / 50,
    mixupAlpha: 0.4,
    temperature: 3,
    distillationWeight: 1,
    numClasses: 10,
  };
  // iid, or dirichlet-<alpha> (label skew; 0.5 is the issue's, 0.1 the extreme end papers use).
  const splits: [string, SplitSpec][] = SPLITS.map((name) => {
    if (name === 'iid') return [name, { kind: 'iid' }];
    const alpha = /^dirichlet-(\d+(?:\.\d+)?)$/.exec(name);
    if (alpha && Number(alpha[1]) > 0)
      return [name, { kind: 'dirichlet', alpha: Number(alpha[1]), minPerSite: 20 }];
    throw new Error(`unknown split ${name}: iid or dirichlet-<alpha>`);
  });
  const variants = VARIANTS.map((v) => parseVariant(v, { period: PERIOD, epochs: EPOCHS }));
  const rows: Record<string, unknown>[] = [];
  const t0 = Date.now();
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    const rng = new Rng(seed);
    const order = rng.shuffle([...Array(fm.train.size).keys()]);
    const train = fm.train.select(order.slice(0, TRAIN));
    // FedDF's public set: the next PUBLIC images of the same shuffle (in no site, not the test
    // split); only the inputs are read. No extra draw: the other variants see the same stream.
    const publicSet = fm.train.select(order.slice(TRAIN, TRAIN + PUBLIC));
    const testSet = fm.test as Dataset;
    const test = testSet.select(rng.shuffle([...Array(testSet.size).keys()]).slice(0, TEST));
    // Every site evaluates on an equal IID share of the held-out set: the pooled evaluation is
    // the accuracy on all of it.
    const testParts = splitSites(test.labels, SITES, { kind: 'iid' }, seed);
    for (const [splitName, split] of splits) {
      const parts = splitSites(train.labels, SITES, split, seed);
      const siteData = parts.map((p, i) => ({
        train: train.select(p),
        test: test.select(testParts[i]),
      }));
      // `:g<G>`, Zhao et al. 2018's globally shared labelled set: the next G images after the
      // sites' (the stream FedDF's public set reads), which every site trains on beside its own
      // (the federation's sharedDataset, LocalPlacement's sharedSet); pooled trains on them too.
      const sharedSet = (g: number) => fm.train.select(order.slice(TRAIN, TRAIN + g));
      const names = parts.map((_, i) => `s${i}`);
      const row: Record<string, unknown> = {
        seed,
        split: splitName,
        sizes: parts.map((p) => p.length).join('/'),
      };
      const outcomes = new Map<string, Outcome>();
      for (const v of variants) {
        const t = Date.now();
        const o =
          v.kind === 'pooled'
            ? // One site holding everything, one cosine cycle over all its epochs (`:p`: per period).
              await federate(
                {
                  ...base,
                  algorithm: 'esp-clr',
                  period: v.period,
                  // `pooled:b1:t1`: pooled training under the same fixed ETF head.
                  freezeHead: v.freezeHead,
                  ...(v.mixup > 0 ? { espMixup: true, mixupAlpha: v.mixup } : {}),
                  ...(v.sam > 0 ? { samRho: v.sam } : {}),
                  ...scheduleOf(v),
                },
                v.epochs,
                [
                  {
                    train: v.shared > 0 ? fm.train.select(order.slice(0, TRAIN + v.shared)) : train,
                    test,
                  },
                ],
                seed,
                ['pooled'],
                {
                  // Pooled with restarts (`pooled:p<T>`) has cycle low points to average too.
                  swaFractions: v.period < v.epochs ? SWA : [],
                  carryOptimizer: v.carryOptimizer,
                  etfHead: v.etfHead,
                },
              )
            : await federate(variantSettings(v, base), v.epochs, siteData, seed, names, {
                ...(v.fusionSteps > 0
                  ? {
                      fusion: {
                        steps: v.fusionSteps,
                        publicSet,
                        ...(DIAGNOSE ? { diagnose: test } : {}),
                      },
                    }
                  : {}),
                ...(v.shared > 0 ? { sharedSet: sharedSet(v.shared) } : {}),
                ...(v.head > 0 ? { study: { test, everyRound: v.head === 2 } } : {}),
                warmupEpochs: v.warmup,
                swaFractions: SWA,
                sharedFraction: v.sharedFraction,
                carryOptimizer: v.carryOptimizer,
                averageOptimizer: v.averageOptimizer,
                etfHead: v.etfHead,
              });
        outcomes.set(v.label, o);
        row[v.label] = o.accuracy;
        for (const [k, a] of Object.entries(o.heads)) row[`${v.label}.${k}`] = a;
        row[`${v.label}.bytes`] = o.bytes;
        row[`${v.label}.s`] = Math.round((Date.now() - t) / 1000);
        if (v.kind !== 'pooled') row[`${v.label}.drift`] = o.drift.map((d) => Number(d.toFixed(4)));
        if (o.curve.length > 1) row[`${v.label}.curve`] = o.curve.map((c) => c.accuracy);
        if (v.fusionSteps > 0) {
          row[`${v.label}.fusion`] = o.fusion.join(' ');
          row[`${v.label}.fusionCpuS`] = Number(o.fusionCpu.toFixed(1));
        }
        process.stderr.write(
          `seed ${seed} ${splitName} ${v.label}: ${o.accuracy.toFixed(4)}${Object.entries(o.heads)
            .map(([k, a]) => ` ${k} ${a.toFixed(4)}`)
            .join(
              '',
            )} (${row[`${v.label}.s`]} s)${o.drift.length ? `; drift per round ${o.drift.map((d) => d.toFixed(3)).join(' ')}` : ''}\n`,
        );
      }
      // Bytes fedavg needed to first reach esp-clr's final accuracy (null: never within the run).
      const fedavg = outcomes.get('fedavg');
      const esp = outcomes.get('esp');
      if (fedavg && esp) {
        row.bytesRatio = fedavg.bytes / esp.bytes;
        row.fedavgBytesToReachEsp =
          fedavg.curve.find((c) => (c.accuracy ?? 0) >= esp.accuracy)?.bytes ?? null;
      }
      // The bandwidth claim the other way round: for every federated variant, fedavg's bytes over
      // the bytes the variant needed to first reach fedavg's final accuracy (null: never).
      if (fedavg)
        for (const v of variants.filter((x) => x.kind !== 'pooled' && x.label !== 'fedavg')) {
          const o = outcomes.get(v.label);
          const hit = o?.curve.find((c) => (c.accuracy ?? 0) >= fedavg.accuracy);
          row[`${v.label}.savingToFedavg`] = hit ? fedavg.bytes / hit.bytes : null;
        }
      rows.push(row);
      process.stdout.write(JSON.stringify(row) + '\n');
    }
  }
  const mean = (split: string, k: string) => {
    const xs = rows.filter((r) => r.split === split).map((r) => r[k] as number);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const pooledLabel = variants.find((v) => v.kind === 'pooled')?.label;
  for (const [split] of splits) {
    const parts = variants.map((v) => {
      const gap = pooledLabel
        ? rows
            .filter((r) => r.split === split)
            .map((r) => ((r[v.label] as number) - (r[pooledLabel] as number)) * 100)
        : [];
      return `${v.label} ${mean(split, v.label).toFixed(4)}${
        pooledLabel && v.label !== pooledLabel
          ? ` (vs ${pooledLabel}: ${(gap.reduce((a, b) => a + b, 0) / gap.length).toFixed(2)} points; per seed ${gap.map((g) => g.toFixed(1)).join(', ')})`
          : ''
      } [${(mean(split, `${v.label}.bytes`) / 1e6).toFixed(1)} MB]`;
    });
    process.stdout.write(`${split}, mean over ${SEEDS} seeds: ${parts.join('; ')}\n`);
    // `:h1`: each head calibration against pooled and against the same run's plain head.
    for (const v of variants.filter((x) => (x.head > 0 || SWA.length > 0) && pooledLabel)) {
      const rs = rows.filter((r) => r.split === split);
      const swaKeys = SWA.map((f) => `swa${Math.round(f * 100)}`);
      for (const k of ['crt', 'ccvr', 'ccvrDiag', 'allTrain', 'oracle', 'oracle100', ...swaKeys]) {
        const key = `${v.label}.${k}`;
        if (!rs.every((r) => typeof r[key] === 'number')) continue;
        const stat = (base: string) => {
          const g = rs.map((r) => ((r[key] as number) - (r[base] as number)) * 100);
          const m = g.reduce((a, b) => a + b, 0) / g.length;
          const sd = Math.sqrt(g.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(g.length - 1, 1));
          return `${m.toFixed(2)} +- ${(sd / Math.sqrt(g.length)).toFixed(2)} (${g.filter((x) => x > 0).length}/${g.length} up; ${g.map((x) => x.toFixed(1)).join(', ')})`;
        };
        process.stdout.write(
          `${split} ${key}: vs ${pooledLabel} ${stat(pooledLabel as string)}; vs ${v.label} ${stat(v.label)}\n`,
        );
      }
    }
  }
  process.stdout.write(
    `backend ${backend}; ${TRAIN} train / ${TEST} test examples, ${SITES} sites, small-cnn width ${WIDTH}, ${OPTIMIZER} lr ${LR}; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
  tf.disposeVariables();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
