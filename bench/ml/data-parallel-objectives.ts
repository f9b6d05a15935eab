/**
 * Data-parallel training and BN re-estimation for the job kinds that moved onto the replica pool
 * in session 9 (issue 20): federation sites with mixup (`mcl`) and distillation (`codistill`),
 * fine-tuning `dtnh+delta`, and batch-norm re-estimation. Load-independent numbers first: CPU
 * time per step of the whole process (every thread) and each thread's busy fraction (its CPU
 * time over the wall time, from /proc/self/task: the main thread and the busiest other thread,
 * i.e. the replica); wall-clock samples/s only means something on a quiet machine.
 *
 *   nice -n 10 node -r @swc-node/register bench/ml/data-parallel-objectives.ts
 *     [--modes mixup,distill,dtnh-delta,bn] [--net bn-cnn] [--batch 64]
 *     [--configs 1/1,1/2,2/2] [--steps 10] [--rounds 1]
 *
 * threads/shards as in data-parallel.ts: 1/1 unsharded on one thread, 1/2 two shards in sequence
 * on one thread, 2/2 the same shards on two threads (bitwise the same result as 1/2). `bn` times
 * reestimateBatchNorm on 2,048 images (1/1: one thread, 2/2: inference replicas; no shards).
 * Training measures 1 + 2 epochs of `steps` steps, the last 2 timed.
 */
import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { buildBenchNet } from './bench-nets';
import { drawMixup } from '../../src/collab/core/mcl';
import { selectBackend } from '../../src/ml/backend';
import { enableThreadDataParallel } from '../../src/ml/data-parallel/replica-pool';
import { configureDataParallel } from '../../src/ml/train/parallel';
import { releaseInferenceThreads } from '../../src/ml/train/parallel-predict';
import { trainModel } from '../../src/ml/train/trainer';
import { Rng } from '../../src/platform/core/rng';
import { reestimateBatchNorm } from '../../src/transfer/batch-norm-statistics';
import { finetune } from '../../src/transfer/finetune';
import { finetuneConfig } from '../../src/transfer/finetune.schema';

const args = process.argv.slice(2);
const value = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const TICK_MS = 10; // /proc clock ticks (USER_HZ 100)

/** CPU ms of every thread of this process, by thread id. */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // a thread that ended
    }
  }
  return out;
}

interface Window {
  wallMs: number;
  cpuMs: number;
  mainBusy: number;
  otherBusy: number;
}

class Meter {
  private wall = 0;
  private cpu = 0;
  private threads = new Map<number, number>();
  start(): void {
    this.wall = performance.now();
    const u = process.cpuUsage();
    this.cpu = (u.user + u.system) / 1000;
    this.threads = threadCpu();
  }
  stop(): Window {
    const wallMs = performance.now() - this.wall;
    const u = process.cpuUsage();
    const now = threadCpu();
    let other = 0;
    for (const [tid, ms] of now) {
      if (tid === process.pid) continue;
      other = Math.max(other, ms - (this.threads.get(tid) ?? 0));
    }
    const main = (now.get(process.pid) ?? 0) - (this.threads.get(process.pid) ?? 0);
    return {
      wallMs,
      cpuMs: (u.user + u.system) / 1000 - this.cpu,
      mainBusy: main / wallMs,
      otherBusy: other / wallMs,
    };
  }
}

function images(n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return {
    x: tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', seed),
    y: tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 10),
      'int32',
    ),
  };
}

async function trainRun(
  mode: string,
  net: string,
  batch: number,
  steps: number,
  threads: number,
  shards: number,
): Promise<Window & { steps: number; threadsUsed: number }> {
  const n = batch * steps;
  const { x, y } = images(n, 1);
  const meter = new Meter();
  const epochEnd = (epoch: number): void => {
    if (epoch === 0) meter.start();
  };
  try {
    if (mode === 'dtnh-delta') {
      const base = buildBenchNet(net);
      const config = finetuneConfig.parse({
        method: 'dtnh+delta',
        epochs: 3,
        batchSize: batch,
        learningRate: 0.01,
        optimizer: 'sgd',
        headEpochs: 1,
        attentionBatches: 1,
        seed: 1,
      });
      let window: Window | undefined;
      const res = await finetune({
        base,
        train: { x, y },
        numClasses: 10,
        config,
        threads,
        onEpochEnd: (m) => {
          epochEnd(m.epoch);
          if (m.epoch === 2) window = meter.stop();
        },
      });
      res.model.dispose();
      base.dispose();
      if (!window) throw new Error('no timed window');
      return { ...window, steps: 2 * steps, threadsUsed: res.threads };
    }
    const model = buildBenchNet(net);
    const rng = new Rng(3);
    const publicSet = images(500, 2);
    const teacher = tf.softmax(tf.randomNormal([500, 10], 0, 2, 'float32', 4));
    let window: Window | undefined;
    try {
      const res = await trainModel(
        model,
        { x, y },
        {
          epochs: 3,
          batchSize: batch,
          learningRate: 0.01,
          optimizer: { name: 'sgd' },
          threads,
          shards,
          ...(mode === 'mixup' ? { mixup: { draw: (rows) => drawMixup(rng, 0.4, rows) } } : {}),
          ...(mode === 'distill'
            ? {
                distillation: {
                  publicX: publicSet.x,
                  teacher,
                  temperature: 3,
                  weight: 0.5,
                  publicBatch: batch,
                  publicRows: () => Array.from({ length: batch }, () => rng.int(0, 499)),
                },
              }
            : {}),
          onEpochEnd: (m) => {
            epochEnd(m.epoch);
            if (m.epoch === 2) window = meter.stop();
          },
        },
      );
      if (!window) throw new Error('no timed window');
      return { ...window, steps: 2 * steps, threadsUsed: res.threads };
    } finally {
      model.dispose();
      tf.dispose([publicSet.x, publicSet.y, teacher]);
    }
  } finally {
    tf.dispose([x, y]);
  }
}

async function bnRun(
  net: string,
  threads: number,
): Promise<Window & { steps: number; threadsUsed: number }> {
  const { x, y } = images(2048, 5);
  const model = buildBenchNet(net);
  configureDataParallel(undefined);
  if (threads > 1) enableThreadDataParallel(threads);
  try {
    reestimateBatchNorm(model, x); // warm: replicas start, kernels load
    const meter = new Meter();
    meter.start();
    reestimateBatchNorm(model, x);
    return { ...meter.stop(), steps: 1, threadsUsed: threads };
  } finally {
    releaseInferenceThreads();
    model.dispose();
    tf.dispose([x, y]);
  }
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  const modes = value('--modes', 'mixup,distill,dtnh-delta,bn').split(',');
  const net = value('--net', 'bn-cnn');
  const batch = Number(value('--batch', '64'));
  const steps = Number(value('--steps', '10'));
  const rounds = Number(value('--rounds', '1'));
  const configs = value('--configs', '1/1,1/2,2/2').split(',');
  const load = os.loadavg().map((l) => l.toFixed(1));
  const rows: string[] = [];
  for (const mode of modes) {
    const list = mode === 'bn' ? configs.filter((c) => c !== '1/2') : configs;
    for (let round = 0; round < rounds; round++) {
      for (const config of list) {
        const [threads, shards] = config.split('/').map(Number);
        enableThreadDataParallel(1, { shards: 2 });
        const m =
          mode === 'bn'
            ? await bnRun(net, threads)
            : await trainRun(mode, net, batch, steps, threads, shards);
        configureDataParallel(undefined);
        const row = [
          mode,
          net,
          mode === 'bn' ? 2048 : batch,
          config,
          m.threadsUsed,
          (m.cpuMs / m.steps).toFixed(1),
          m.mainBusy.toFixed(2),
          m.otherBusy.toFixed(2),
          (m.wallMs / m.steps).toFixed(1),
        ];
        rows.push(`| ${row.join(' | ')} |`);
        process.stderr.write(`${rows[rows.length - 1]}\n`);
      }
    }
  }
  process.stdout.write(
    [
      `cores ${os.availableParallelism()}, load average at start ${load.join(' ')}, after ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
      '| mode | network | batch (bn: rows) | threads/shards | threads used | process CPU ms per step (bn: per call) | main thread busy | busiest other thread busy | wall ms per step (quiet machine only) |',
      '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
