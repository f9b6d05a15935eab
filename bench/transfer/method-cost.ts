/**
 * Cost of each fine-tuning method relative to `l2`, measured side by side in one process
 * (round-robin over the methods, median of the rounds), so that load from other processes hits
 * every method alike. Data are random 28x28x1 images: cost does not depend on the values.
 *
 *   node -r @swc-node/register bench/transfer/method-cost.ts [--quick] [--backend wasm|cpu]
 */
import * as tf from '@tensorflow/tfjs';
import { BackendPreference, selectBackend } from '../../src/ml/backend';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { Rng } from '../../src/platform/core/rng';
import { finetuneConfig } from '../../src/transfer/finetune.schema';
import { finetune } from '../../src/transfer/finetune';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const backendArg = argv.indexOf('--backend');
const backendPref = (backendArg >= 0 ? argv[backendArg + 1] : 'wasm') as BackendPreference;
const METHODS = ['l2', 'l2sp', 'delta', 'rifle', 'dtnh+l2sp', 'dtnh+delta'];
const rounds = quick ? 3 : 6;
const n = quick ? 128 : 256;
const epochs = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const backend = await selectBackend(backendPref);
  const rng = new Rng(1);
  const x = tf.tensor4d(
    Float32Array.from({ length: n * 784 }, () => rng.float()),
    [n, 28, 28, 1],
  );
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 5),
    'int32',
  );
  const base = buildZooModel('small-cnn', {
    inputShape: [28, 28, 1],
    numClasses: 5,
    width: 16,
    seed: 1,
  });
  const total = new Map<string, number[]>(METHODS.map((m) => [m, []]));
  const loop = new Map<string, number[]>(METHODS.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the start each round so no method always runs first (warm-up) or last.
    for (const method of METHODS.map((_, i) => METHODS[(i + r) % METHODS.length])) {
      const config = finetuneConfig.parse({
        method,
        epochs,
        batchSize: 32,
        headEpochs: 1,
        rifle: { periods: 3, fraction: 2 / 3 },
        seed: r,
      });
      const t0 = performance.now();
      const result = await finetune({ base, train: { x, y }, numClasses: 5, config });
      total.get(method)?.push(performance.now() - t0);
      loop.get(method)?.push(result.history.reduce((s, m) => s + m.durationMs, 0));
      result.model.dispose();
    }
  }
  const refTotal = median(total.get('l2') ?? []);
  const refLoop = median(loop.get('l2') ?? []);
  const lines = [
    `backend ${backend}; small-cnn (width 16), ${n} images 28x28x1, batch 32, ${epochs} epochs; DELTA: 1 head epoch + 4 scoring batches; median of ${rounds} round-robin rounds.`,
    '',
    '| method | fine-tuning loop, ratio vs l2 | whole run incl. setup, ratio vs l2 |',
    '| --- | --- | --- |',
    ...METHODS.map(
      (m) =>
        `| ${m} | ${(median(loop.get(m) ?? []) / refLoop).toFixed(2)} | ${(median(total.get(m) ?? []) / refTotal).toFixed(2)} |`,
    ),
  ];
  console.log(lines.join('\n'));
  tf.dispose([x, y]);
  base.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
