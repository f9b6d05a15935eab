/**
 * Personalisation accuracy, online learning and on-device augmentation of packages/edge on
 * non-IID users (AutLearn's accuracy figures), on Fashion-MNIST (Debian dataset-fashion-mnist).
 *
 *   nice -n 10 node -r @swc-node/register bench/edge/personalisation.ts [--seeds 3] [--users 5]
 *     [--own 60] [--heldout 200] [--public 3000] [--personal-k 1] [--personal-lr 0.001]
 *     [--online-k 1] [--online-lr 0.005] [--json out.json]
 *
 * Method, per seed:
 * - the global model: small-cnn trained (Adam 1e-3, batch 32, 3 epochs) on `public` balanced
 *   images of the official training split (the cloud's public data);
 * - users: each draws class proportions from Dirichlet(0.3) (label skew, Hsu et al. 2019) and
 *   gets `own` examples to learn from and `heldout` others of the same mix, all from the official
 *   test split (never seen by the global model), disjoint between users;
 * - per user: the global model as is; personalised on the device (the last layer, Adam 0.001,
 *   50 epochs, early stopping on a quarter of the own examples) without and with augmentation (flip,
 *   2-pixel shift, brightness); CloudTrain: the global model fine-tuned centrally (all layers,
 *   10 epochs) on the pooled own examples of every user; FedAvg: the global model trained by the
 *   users together without pooling (McMahan et al. 2017; src/collab's FedAvg and site training:
 *   10 rounds of 1 local epoch, Adam 1e-3, weights averaged by example count); online: the
 *   user's own examples then
 *   the held-out ones as one stream, predict then feedback(label) (prequential accuracy) vs the
 *   static global model on the same stream.
 * Accuracy is on each user's held-out examples; reported as mean over users and seeds.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import type { ImageInputs } from '../../src/ml/data/dataset';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { cloneModel } from '../../src/transfer/model-surgery';
import { FedAvg } from '../../src/collab/core/fedavg';
import type { SiteShare } from '../../src/collab/core/federated-algorithm';
import { readWeights, trainLocally, writeWeights } from '../../src/collab/site-training';
import { defaultAugmentations, EdgeModel, type Example } from '../../packages/edge/src';
import { Rng } from '../../packages/edge/src/rng';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): number => {
  const i = args.indexOf(name);
  return Number(i >= 0 ? args[i + 1] : fallback);
};
const SEEDS = arg('--seeds', '3');
const USERS = arg('--users', '5');
const OWN = arg('--own', '60');
const HELDOUT = arg('--heldout', '200');
const PUBLIC = arg('--public', '3000');
const ALPHA = 0.3;
const ONLINE_K = arg('--online-k', '1');
const PERSONAL_K = arg('--personal-k', '1');
const PERSONAL_LR = arg('--personal-lr', '0.001');
const ONLINE_LR = arg('--online-lr', '0.005');
const CLASSES = 10;
const INPUT = { kind: 'image' as const, shape: [28, 28, 1], featureNames: null, preprocessing: {} };

function gamma(rng: Rng, shape: number): number {
  // Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) * U^(1/shape).
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(rng.float() || 1e-12, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = rng.float() || 1e-12;
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.float());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.float();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v)))
      return d * v;
  }
}

function dirichlet(rng: Rng, alpha: number, k: number): number[] {
  const g = Array.from({ length: k }, () => gamma(rng, alpha));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / s);
}

interface User {
  own: Example[];
  heldOut: Example[];
}

/** Users by label skew over the test split's per-class pools (drawn without replacement). */
function makeUsers(pixels: readonly Float32Array[], labels: readonly number[], rng: Rng): User[] {
  const pools = Array.from({ length: CLASSES }, (_, c) =>
    rng.shuffle(labels.flatMap((l, i) => (l === c ? [i] : []))),
  );
  return Array.from({ length: USERS }, () => {
    const p = dirichlet(rng, ALPHA, CLASSES);
    const draw = (n: number): Example[] =>
      Array.from({ length: n }, () => {
        let r = rng.float();
        let c = 0;
        while (c < CLASSES - 1 && (r -= p[c]) > 0) c++;
        while (pools[c].length === 0) c = (c + 1) % CLASSES;
        const i = pools[c].pop() as number;
        return { input: pixels[i], label: labels[i] };
      });
    return { own: draw(OWN), heldOut: draw(HELDOUT) };
  });
}

async function trainGlobal(
  pixels: readonly Float32Array[],
  labels: readonly number[],
  seed: number,
) {
  const rng = new Rng(seed);
  const perClass = Math.floor(PUBLIC / CLASSES);
  const picked = rng.shuffle(
    Array.from({ length: CLASSES }, (_, c) =>
      rng.shuffle(labels.flatMap((l, i) => (l === c ? [i] : []))).slice(0, perClass),
    ).flat(),
  );
  const model = buildZooModel('small-cnn', { inputShape: [28, 28, 1], numClasses: CLASSES, seed });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.stack(picked.map((i) => tf.tensor3d(pixels[i], [28, 28, 1])));
  const y = tf.oneHot(
    tf.tensor1d(
      picked.map((i) => labels[i]),
      'int32',
    ),
    CLASSES,
  );
  // Seeded order, no shuffling inside fit (Math.random): the same seed, the same global model.
  await model.fit(x, y, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  return model;
}

async function edge(
  global: tf.LayersModel,
  headLayers: number,
  learningRate?: number,
): Promise<EdgeModel> {
  const labels = Array.from({ length: CLASSES }, (_, k) => String(k));
  return new EdgeModel(
    await cloneModel(global),
    { id: 'global', labels, input: INPUT },
    { headLayers, ...(learningRate && { learningRate }) },
  );
}

function accuracyOf(model: tf.LayersModel, examples: readonly Example[]): number {
  return tf.tidy(() => {
    const x = tf.stack(examples.map((e) => tf.tensor3d(e.input as Float32Array, [28, 28, 1])));
    const pred = (model.predict(x) as tf.Tensor).argMax(-1).dataSync();
    return examples.filter((e, i) => pred[i] === e.label).length / examples.length;
  });
}

async function cloudTrain(global: tf.LayersModel, users: User[]): Promise<tf.LayersModel> {
  const model = await cloneModel(global);
  const pooled = new Rng(7).shuffle(users.flatMap((u) => u.own));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.stack(pooled.map((e) => tf.tensor3d(e.input as Float32Array, [28, 28, 1])));
  const y = tf.oneHot(
    tf.tensor1d(
      pooled.map((e) => e.label as number),
      'int32',
    ),
    CLASSES,
  );
  await model.fit(x, y, { epochs: 10, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  return model;
}

const FEDAVG_ROUNDS = 10;

async function fedAvg(
  global: tf.LayersModel,
  users: User[],
  seed: number,
): Promise<tf.LayersModel> {
  const model = await cloneModel(global);
  const algorithm = new FedAvg({ localEpochs: 1, learningRate: 1e-3 });
  const sets = users.map((u) => ({
    x: tf.stack(u.own.map((e) => tf.tensor3d(e.input as Float32Array, [28, 28, 1]))),
    y: tf.tensor1d(
      u.own.map((e) => e.label as number),
      'int32',
    ),
  }));
  let weights = readWeights(model);
  for (let round = 0; round < FEDAVG_ROUNDS; round++) {
    const shares: SiteShare[] = [];
    for (const [k, train] of sets.entries()) {
      writeWeights(model, weights);
      await trainLocally({
        model,
        train,
        plan: algorithm.localPlan(round),
        batchSize: 32,
        optimizer: 'adam',
        seed: seed * 10_000 + round * 100 + k,
      });
      shares.push({ site: `user-${k}`, samples: users[k].own.length, weights: readWeights(model) });
    }
    const aggregate = algorithm.aggregate(shares);
    if (aggregate.kind === 'weights') weights = [...aggregate.weights];
  }
  writeWeights(model, weights);
  tf.dispose(sets.flatMap((set) => [set.x, set.y]));
  return model;
}

type Row = Record<string, number>;

async function main(): Promise<void> {
  await selectBackend('wasm');
  const data = await loadPackagedDataset('fashion-mnist');
  const train = data.train.inputs as ImageInputs;
  const test = data.test?.inputs as ImageInputs;
  const rows: Row[] = [];
  for (let seed = 0; seed < SEEDS; seed++) {
    const t0 = Date.now();
    const global = await trainGlobal(train.pixels, data.train.labels, seed + 1);
    const users = makeUsers(test.pixels, data.test?.labels ?? [], new Rng(100 + seed));
    const central = await cloudTrain(global, users);
    const federated = await fedAvg(global, users, seed);
    for (const [u, user] of users.entries()) {
      const row: Row = { seed, user: u };
      row.global = accuracyOf(global, user.heldOut);
      row.cloudTrain = accuracyOf(central, user.heldOut);
      row.fedAvg = accuracyOf(federated, user.heldOut);
      for (const augment of [false, true]) {
        const m = await edge(global, PERSONAL_K);
        await m.personalize(user.own, {
          seed: seed * 100 + u,
          learningRate: PERSONAL_LR,
          ...(augment && { augment: defaultAugmentations() }),
        });
        row[augment ? 'personalisedAugmented' : 'personalised'] = m.evaluate(user.heldOut).accuracy;
        m.dispose();
      }
      const online = await edge(global, ONLINE_K, ONLINE_LR);
      const stream = [...user.own, ...user.heldOut];
      let hits = 0;
      for (const e of stream) {
        const p = await online.predict(e.input);
        if (p.classIndex === e.label) hits++;
        await online.feedback(p.id, e.label);
      }
      row.onlinePrequential = hits / stream.length;
      row.staticOnStream = accuracyOf(global, stream);
      online.dispose();
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
    global.dispose();
    central.dispose();
    federated.dispose();
    process.stdout.write(`seed ${seed}: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  const keys = [
    'global',
    'personalised',
    'personalisedAugmented',
    'cloudTrain',
    'fedAvg',
    'staticOnStream',
    'onlinePrequential',
  ];
  const summary = Object.fromEntries(
    keys.map((k) => {
      const xs = rows.map((r) => r[k]);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
      return [k, { mean: +mean.toFixed(4), sd: +sd.toFixed(4) }];
    }),
  );
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  const out = args.indexOf('--json');
  if (out >= 0) fs.writeFileSync(args[out + 1], JSON.stringify({ rows, summary }, null, 2) + '\n');
}

void main();
