/**
 * Privacy: a gradient-inversion attack on what a site shares, with and without `mcl`, measured
 * with perceptual hashes as arXiv 1810.06877's privacy table (aHash, pHash, dHash Hamming distance
 * between each real sample and the attack's reconstruction; larger = less leaked).
 *
 * Attack: Deep Leakage from Gradients (Zhu, Liu & Han, NeurIPS 2019, Algorithm 1). The
 * coordinator holds the global weights W and a site's shared weights after one local SGD step on
 * a batch of B images, so it knows the batch gradient g = (W - W_site) / lr. It optimises dummy
 * images x' and dummy soft labels softmax(y') so that the gradient of the plain cross-entropy at
 * (x', y') matches g: min ||grad_W CE(f(x'), softmax(y')) - g||^2, by Adam (the paper uses
 * L-BFGS; Adam is what TF.js has). As in the paper the attacked model is twice differentiable
 * (sigmoid hidden layer): an MLP 784-H-10, seeded weights, the 28x28 Fashion-MNIST images.
 *
 * The site's step is the service's: fedavg = cross-entropy on the batch; mcl = the mixup loss of
 * src/collab/site-training.ts (l CE(f(x~), y_i) + (1 - l) CE(f(x~), y_j), x~ = l x_i + (1 - l) x_j)
 * with the pairing and l drawn by core/mcl.ts drawMixup (Beta(alpha, alpha)). The attacker does not
 * know mixup was used. Each real image is matched to its nearest reconstruction (min Hamming), the
 * attacker's best case. For scale: the distance between two different real images of the set.
 *
 *   nice -n 10 node -r @swc-node/register bench/collab/privacy-bench.ts \
 *     [--seeds 3] [--batches 4] [--batch 4] [--iterations 200] [--hidden 64] [--alpha 0.4] [--lr 0.1]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import { Rng } from '../../src/platform/core/rng';
import { drawMixup } from '../../src/collab/core/mcl';
import {
  hammingDistance,
  imageHash,
  toGray,
  type HashKind,
} from '../../src/collab/core/perceptual-hash';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const SEEDS = arg('seeds', 3);
const BATCHES = arg('batches', 4);
const B = arg('batch', 4);
const ITERATIONS = arg('iterations', 200);
const HIDDEN = arg('hidden', 64);
const ALPHA = arg('alpha', 0.4);
const SITE_LR = arg('lr', 0.1);
const ATTACK_LR = 0.1;
const KINDS: HashKind[] = ['ahash', 'phash', 'dhash'];
const D = 784;
const K = 10;

type Params = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];

function forward(x: tf.Tensor, [w1, b1, w2, b2]: Params): tf.Tensor {
  return tf.add(tf.matMul(tf.sigmoid(tf.add(tf.matMul(x, w1), b1)), w2), b2); // logits
}

/** Mean cross-entropy against (soft) target rows. */
function ce(logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

function gradsAt(lossOf: (p: Params) => tf.Scalar, params: Params): tf.Tensor[] {
  return tf.grads((...p: tf.Tensor[]) => lossOf(p as Params))(params);
}

/** The gradient the site's one local step reveals: fedavg's or mcl's loss on the batch. */
function siteGradient(
  x: tf.Tensor2D,
  labels: number[],
  params: Params,
  mixup: { lambda: number; partner: number[] } | null,
): tf.Tensor[] {
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), K).toFloat();
  if (!mixup) return gradsAt((p) => ce(forward(x, p), y), params);
  const l = mixup.lambda;
  const partner = tf.tensor1d(mixup.partner, 'int32');
  const mixed = tf.add(tf.mul(x, l), tf.mul(tf.gather(x, partner), 1 - l));
  return gradsAt((p) => {
    const out = forward(mixed, p);
    return tf.add(
      tf.mul(ce(out, y), l),
      tf.mul(ce(out, tf.gather(y, partner)), 1 - l),
    ) as tf.Scalar;
  }, params);
}

/** DLG: dummy inputs and soft labels whose gradient matches `target`. Returns x' in [0, 1]. */
async function dlg(target: tf.Tensor[], params: Params, seed: number): Promise<Float32Array[]> {
  const dx = tf.variable(tf.randomUniform([B, D], 0, 1, 'float32', seed));
  const dy = tf.variable(tf.randomNormal([B, K], 0, 1, 'float32', seed + 1));
  const opt = tf.train.adam(ATTACK_LR);
  for (let it = 0; it < ITERATIONS; it++) {
    opt.minimize(
      () => {
        const g = gradsAt((p) => ce(forward(dx, p), tf.softmax(dy)), params);
        return tf.addN(g.map((gi, i) => tf.sum(tf.square(tf.sub(gi, target[i]))))) as tf.Scalar;
      },
      false,
      [dx, dy],
    );
    // Pixels live in [0, 1]: project after each step (the attacker knows the input range).
    tf.tidy(() => dx.assign(tf.clipByValue(dx, 0, 1)));
    if (it % 50 === 0) await tf.nextFrame();
  }
  const data = dx.dataSync();
  const out = Array.from({ length: B }, (_, b) =>
    Float32Array.from(data.subarray(b * D, (b + 1) * D)),
  );
  opt.dispose();
  dx.dispose();
  dy.dispose();
  return out;
}

/** Per hash kind: each real image's distance to its nearest reconstruction, and the MSE. */
function compare(real: Float32Array[], recon: Float32Array[]): Record<string, number[]> {
  const out: Record<string, number[]> = { mse: [] };
  for (const kind of KINDS) out[kind] = [];
  const hr = real.map((r) => KINDS.map((k) => imageHash(k, toGray(r, 28, 28))));
  const hc = recon.map((r) => KINDS.map((k) => imageHash(k, toGray(r, 28, 28))));
  real.forEach((r, b) => {
    KINDS.forEach((kind, ki) =>
      out[kind].push(Math.min(...hc.map((h) => hammingDistance(hr[b][ki], h[ki])))),
    );
    out.mse.push(Math.min(...recon.map((c) => c.reduce((a, v, i) => a + (v - r[i]) ** 2, 0) / D)));
  });
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const backend = await selectBackend('cpu');
  const fm = await loadPackagedDataset('fashion-mnist');
  const inputs = fm.train.inputs;
  if (inputs.kind !== 'image') throw new Error('fashion-mnist holds images');
  const pixels = inputs.pixels;
  const labels = fm.train.labels;
  const t0 = Date.now();
  const totals: Record<string, Record<string, number[]>> = { fedavg: {}, mcl: {}, unrelated: {} };
  for (const m of Object.keys(totals)) for (const k of [...KINDS, 'mse']) totals[m][k] = [];
  for (let seed = 0; seed < SEEDS; seed++) {
    const rng = new Rng(seed);
    const init = new Rng(seed).fork('weights');
    const params: Params = [
      tf.tensor2d(
        Float32Array.from({ length: D * HIDDEN }, () => init.normal(0, Math.sqrt(1 / D))),
        [D, HIDDEN],
      ),
      tf.zeros([HIDDEN]),
      tf.tensor2d(
        Float32Array.from({ length: HIDDEN * K }, () => init.normal(0, Math.sqrt(1 / HIDDEN))),
        [HIDDEN, K],
      ),
      tf.zeros([K]),
    ];
    for (let batch = 0; batch < BATCHES; batch++) {
      const idx = Array.from({ length: B }, () => rng.int(0, pixels.length - 1));
      const real = idx.map((i) => pixels[i]);
      const x = tf.tensor2d(Float32Array.from(real.flatMap((r) => [...r])), [B, D]);
      const ys = idx.map((i) => labels[i]);
      const draw = drawMixup(rng.fork(`mixup-${batch}`), ALPHA, B);
      const row: Record<string, unknown> = {
        seed,
        batch,
        lambda: draw.lambda,
        partner: draw.partner.join(''),
      };
      for (const method of ['fedavg', 'mcl'] as const) {
        const g = siteGradient(x, ys, params, method === 'mcl' ? draw : null);
        // What the coordinator derives from the shared weights after one SGD step:
        // (W - (W - lr g)) / lr = g (exact up to float32 rounding of the shared weights).
        const observed = g.map((gi, i) =>
          tf.tidy(() => tf.div(tf.sub(params[i], tf.sub(params[i], tf.mul(gi, SITE_LR))), SITE_LR)),
        );
        const recon = await dlg(
          observed,
          params,
          1000 * seed + 10 * batch + (method === 'mcl' ? 1 : 0),
        );
        const c = compare(real, recon);
        for (const k of Object.keys(c)) totals[method][k].push(...c[k]);
        row[method] = Object.fromEntries(
          Object.entries(c).map(([k, v]) => [k, Number(mean(v).toFixed(3))]),
        );
        tf.dispose([...g, ...observed]);
      }
      // Scale: each real image against B other real images of the data set.
      const others = Array.from({ length: B }, () => pixels[rng.int(0, pixels.length - 1)]);
      const u = compare(real, others);
      for (const k of Object.keys(u)) totals.unrelated[k].push(...u[k]);
      x.dispose();
      process.stdout.write(JSON.stringify(row) + '\n');
    }
    tf.dispose(params);
  }
  for (const m of Object.keys(totals))
    process.stdout.write(
      `${m}: ${[...KINDS, 'mse'].map((k) => `${k} ${mean(totals[m][k]).toFixed(2)}`).join(', ')} (n = ${totals[m].ahash.length} images)\n`,
    );
  process.stdout.write(
    `backend ${backend}; DLG ${ITERATIONS} Adam steps (lr ${ATTACK_LR}) on an MLP 784-${HIDDEN}-10 (sigmoid), batch ${B}, ${BATCHES} batches x ${SEEDS} seeds, mixup alpha ${ALPHA}; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
