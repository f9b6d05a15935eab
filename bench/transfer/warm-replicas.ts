/**
 * Warm training replicas between jobs (issue 20): fine-tuning jobs run back to back in one
 * process on 2 threads (`l2`, `l2`, `delta`, `delta` on the same base model), printing each job's
 * wall time and, for each replica pool it asked for, whether it was taken warm from the job
 * before and its start-up time. Random 28x28x1 images (cost does not depend on the values).
 *
 *   nice -n 10 node -r @swc-node/register bench/transfer/warm-replicas.ts [--methods l2,l2,delta,delta]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import {
  enableThreadDataParallel,
  releaseTrainingThreads,
  ThreadReplicaPool,
} from '../../src/ml/data-parallel/replica-pool';
import { configureDataParallel, dataParallelSetup } from '../../src/ml/train/parallel';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { finetune } from '../../src/transfer/finetune';
import { finetuneConfig } from '../../src/transfer/finetune.schema';

const argv = process.argv.slice(2);
const i = argv.indexOf('--methods');
const methods = (i >= 0 ? argv[i + 1] : 'l2,l2,delta,delta').split(',');

async function main(): Promise<void> {
  await selectBackend('wasm');
  enableThreadDataParallel(2);
  const setup = dataParallelSetup();
  if (!setup) throw new Error('no data-parallel setup');
  const pools: string[] = [];
  configureDataParallel({
    ...setup,
    factory: async (init) => {
      const pool = await ThreadReplicaPool.start(init);
      pools.push(`${pool.reused ? 'warm' : 'started'} in ${pool.startupMs.toFixed(0)} ms`);
      return pool;
    },
  });
  const n = 128;
  const x = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, k) => k % 5),
    'int32',
  );
  const base = buildZooModel('small-cnn', {
    inputShape: [28, 28, 1],
    numClasses: 5,
    width: 16,
    seed: 1,
  });
  console.log(
    `small-cnn (width 16), ${n} images, batch 32, 1 epoch (DELTA: 1 head epoch), 2 threads`,
  );
  for (const method of methods) {
    const config = finetuneConfig.parse({
      method,
      epochs: 1,
      batchSize: 32,
      headEpochs: 1,
      seed: 7,
    });
    const t0 = performance.now();
    const result = await finetune({ base, train: { x, y }, numClasses: 5, config, threads: 2 });
    const ms = performance.now() - t0;
    console.log(`${method}: ${ms.toFixed(0)} ms; training pools: ${pools.splice(0).join(', ')}`);
    result.model.dispose();
  }
  await releaseTrainingThreads();
  tf.dispose([x, y]);
  base.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
