/**
 * Distillation: sites with different architectures (small-cnn and mobilenet, width 8) train with
 * `codistill` (multi-structure collaborative online distillation, ICASSP 2019): every round each
 * site shares its logits on a public unlabeled set and adds T^2 KL(peers' mean soft labels ||
 * its own) to its loss. The baseline is the same site, architecture, initial weights, data order
 * and epochs with distillation weight 0 -- the architecture trained alone on its site's data.
 * Paired by seed; each site's own model is evaluated on the same held-out slice of Fashion-MNIST's
 * official test split. Sites hold an IID share of a seeded subsample of the training split; the
 * public set is a disjoint subsample whose labels are never read.
 *
 *   nice -n 10 node -r @swc-node/register bench/collab/codistill-bench.ts \
 *     [--train 1000] [--public 500] [--test 1000] [--epochs 8] [--seeds 3] [--temperature 3]
 *     [--weight 1] [--lr 0.01] [--architectures small-cnn,mobilenet]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import type { Dataset } from '../../src/ml/data';
import { Rng } from '../../src/platform/core/rng';
import { makeAlgorithm } from '../../src/collab/core/algorithms';
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
const TRAIN = arg('train', 1000);
const PUBLIC = arg('public', 500);
const TEST = arg('test', 1000);
const EPOCHS = arg('epochs', 8);
const SEEDS = arg('seeds', 3);
const TEMPERATURE = arg('temperature', 3);
const WEIGHT = arg('weight', 1);
const LR = arg('lr', 0.01);

async function run(
  sites: { name: string; architecture: string; train: Dataset; test: Dataset }[],
  publicSet: Dataset,
  weight: number,
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
    temperature: TEMPERATURE,
    distillationWeight: weight,
    numClasses: classNames.length,
  });
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
    return Object.fromEntries(placement.evaluateOwn().map((e) => [e.site, e.accuracy]));
  } finally {
    placement.dispose();
  }
}

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  const fm = await loadPackagedDataset('fashion-mnist');
  const t0 = Date.now();
  const gains: Record<string, number[]> = {};
  const rows: Record<string, unknown>[] = [];
  for (let seed = 0; seed < SEEDS; seed++) {
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
    const t = Date.now();
    const alone = await run(sites, publicSet, 0, seed);
    const together = await run(sites, publicSet, WEIGHT, seed);
    const row: Record<string, unknown> = { seed, s: Math.round((Date.now() - t) / 1000) };
    for (const s of sites) {
      row[s.name] = { alone: alone[s.name], codistill: together[s.name] };
      (gains[s.architecture] ??= []).push((together[s.name] - alone[s.name]) * 100);
    }
    rows.push(row);
    process.stdout.write(JSON.stringify(row) + '\n');
  }
  for (const [architecture, g] of Object.entries(gains)) {
    const alone = rows.map((r) =>
      Object.entries(r).find(([k]) => k.startsWith(`${architecture}@`)),
    );
    const a = alone.map((e) => (e?.[1] as { alone: number }).alone);
    const c = alone.map((e) => (e?.[1] as { codistill: number }).codistill);
    const m = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    process.stdout.write(
      `${architecture}: alone ${m(a).toFixed(4)}, codistill ${m(c).toFixed(4)}, gain ${m(g).toFixed(2)} points (per seed ${g.map((x) => x.toFixed(1)).join(', ')})\n`,
    );
  }
  process.stdout.write(
    `backend ${backend}; ${ARCHITECTURES.length} sites of ${TRAIN / ARCHITECTURES.length} examples (IID), public set ${PUBLIC}, test ${TEST}, ${EPOCHS} rounds of 1 epoch, adam lr ${LR}, T ${TEMPERATURE}, weight ${WEIGHT}, width 8; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
  tf.disposeVariables();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
