/**
 * CPU per thread of this process while trainModel trains on 1 or 2 threads (issue 20), read from
 * /proc/self/task (every thread: the main thread, the replica, and V8's helper threads, which the
 * parallel meter does not see), per sample over epochs (from, epochs - 1] of a run: a window
 * early in the run (JIT warm-up) against one later (steady state). Ticks are 10 ms, so a thread
 * under ~8 us per sample at 20 steps of 32 reads as 0.
 *
 *   nice -n 10 node [v8 flags] -r @swc-node/register bench/ml/helper-threads.ts \
 *     [--threads 2] [--batch 32] [--net small-cnn] [--steps 20] [--epochs 3] [--from 0]
 *
 * e.g. `--epochs 3 --from 0` (the window data-parallel.ts times: 20 steps after 10-20 of
 * warm-up) against `--epochs 10 --from 6`; with node's `--no-concurrent-recompilation` the
 * helpers' share moves onto the main and replica threads (it is TurboFan's background compiles).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { buildBenchNet } from './bench-nets';
import { selectBackend } from '../../src/ml/backend';
import { enableThreadDataParallel } from '../../src/ml/data-parallel/replica-pool';
import { trainModel } from '../../src/ml/train/trainer';
import { type ParallelMeter, readParallelMeter } from '../../src/ml/train/thread-meter';

const args = process.argv.slice(2);
const value = (name: string, fallback: string): number => {
  const i = args.indexOf(`--${name}`);
  return Number(i >= 0 ? args[i + 1] : fallback);
};
const netName = ((): string => {
  const i = args.indexOf('--net');
  return i >= 0 ? args[i + 1] : 'small-cnn';
})();

/** CPU ms of each thread of this process, by "tid:name". */
function perThread(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const comm = fs.readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${tid}:${comm}`, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch {
      // The thread ended.
    }
  }
  return out;
}

interface Reading {
  threads: Map<string, number>;
  processMs: number;
  meter: ParallelMeter;
}

function read(): Reading {
  const u = process.cpuUsage();
  return {
    threads: perThread(),
    processMs: (u.user + u.system) / 1000,
    meter: readParallelMeter(),
  };
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  const threads = value('threads', '2');
  const batch = value('batch', '32');
  const steps = value('steps', '20');
  const epochs = value('epochs', '3');
  const from = value('from', '0');
  enableThreadDataParallel(threads, { shards: 2 });
  const n = batch * steps;
  const x = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 10),
    'int32',
  );
  const model = buildBenchNet(netName);
  let epoch = 0;
  let start: Reading | undefined;
  let end: Reading | undefined;
  await trainModel(
    model,
    { x, y },
    {
      epochs,
      batchSize: batch,
      learningRate: 0.01,
      optimizer: { name: 'sgd' },
      threads,
      shards: 2,
      onEpochEnd: () => {
        if (epoch === from) start = read();
        if (epoch === epochs - 1) end = read();
        epoch++;
      },
    },
  );
  if (!start || !end) throw new Error('--from must be below --epochs - 1');
  const samples = (epochs - 1 - from) * n;
  const us = (ms: number): string => ((ms * 1000) / samples).toFixed(0);
  const ns = (d: number): string => (d / 1000 / samples).toFixed(0);
  const [a, b] = [start, end];
  console.log(
    `${netName}, batch ${batch}, ${threads} thread(s), epochs ${from + 1}-${epochs - 1} of ${epochs} (${steps} steps each): CPU us per sample`,
  );
  console.log(`  process ${us(b.processMs - a.processMs)}`);
  const rows = [...b.threads]
    .map(([k, v]) => [k, v - (a.threads.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .sort((p, q) => q[1] - p[1]);
  for (const [k, v] of rows) console.log(`  thread ${k}: ${us(v)}`);
  const m = (k: keyof ParallelMeter): string => ns(b.meter[k] - a.meter[k]);
  console.log(
    `  meter: main own shards ${m('mainWorkNs')}, main outside ${m('mainOutsideNs')}, replica ${m('replicaWorkNs')}, rounds' critical path ${m('roundCriticalNs')}`,
  );
  model.dispose();
  tf.dispose([x, y]);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
