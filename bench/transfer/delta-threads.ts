/**
 * DELTA on 1 and 2 threads (issue 20), side by side in one process (alternating rounds, medians):
 * 1. the channel scoring alone (scoreChannels, default hooks, 4 batches of 32): wall, process CPU,
 *    the parallel meter (main's part, replicas' part, critical path, replica start), and the
 *    scores bitwise the same on both;
 * 2. the whole DELTA job (finetune: head phase, scoring, fine-tuning; the config's default
 *    epochs) with 2 shards per batch on 1 thread (in sequence) or with `auto` threads, as a job
 *    worker runs it without a setting: wall, CPU, and the final weights bitwise the same.
 * Data are random 28x28x1 images (cost does not depend on the values).
 *
 *   nice -n 10 node -r @swc-node/register bench/transfer/delta-threads.ts [--quick] \
 *     [--net small-cnn|small-resnet] [--width 16] [--rounds 3] [--backend wasm|cpu] [--warm]
 *     [--epochs 10] [--head-epochs 5]
 */
import * as tf from '@tensorflow/tfjs';
import { type BackendPreference, selectBackend } from '../../src/ml/backend';
import {
  enableThreadDataParallel,
  releaseTrainingThreads,
} from '../../src/ml/data-parallel/replica-pool';
import { schedstatThreadCpuNs } from '../../src/ml/data-parallel/thread-cpu';
import { readParallelMeter, type ParallelMeter } from '../../src/ml/train/thread-meter';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { Rng } from '../../src/platform/core/rng';
import { scoreChannels } from '../../src/transfer/core/delta-attention';
import { finetune } from '../../src/transfer/finetune';
import { finetuneConfig } from '../../src/transfer/finetune.schema';
import { defaultHookLayers } from '../../src/transfer/model-surgery';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
/** Keep training replicas warm between rounds (default: every job starts its own, cold). */
const warm = argv.includes('--warm');
const rounds = Number(arg('rounds', quick ? '2' : '3'));
const netName = arg('net', 'small-cnn');
const width = Number(arg('width', '16'));
const n = quick ? 128 : 256;
const jobEpochs = Number(arg('epochs', quick ? '1' : '10'));
const headEpochs = Number(arg('head-epochs', quick ? '1' : '5'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const ms = (ns: number): number => ns / 1e6;

interface Sample {
  wallMs: number;
  cpuMs: number;
  /** The main thread's CPU, ms. */
  mainMs: number;
  meter: ParallelMeter;
}

/**
 * Wall time on idle cores predicted from CPU: the main thread's CPU outside its own parts, plus
 * each round's slowest part, plus the slowest replica's start of the training pools (the job
 * waits for them; the scoring's replicas start beside the main thread's units, and their start
 * counts in the scoring round's replica part instead).
 */
function predictedMs(s: Sample): number {
  const m = s.meter;
  return s.mainMs - ms(m.mainWorkNs) + ms(m.roundCriticalNs) + ms(m.replicaStartCriticalNs);
}

async function timed(run: () => Promise<void>): Promise<Sample> {
  const m0 = readParallelMeter();
  const c0 = cpuMs();
  const main0 = schedstatThreadCpuNs();
  const t0 = performance.now();
  await run();
  const wallMs = performance.now() - t0;
  const mainMs = ms(schedstatThreadCpuNs() - main0);
  const m1 = readParallelMeter();
  const meter = Object.fromEntries(
    Object.entries(m1).map(([k, v]) => [k, v - m0[k as keyof ParallelMeter]]),
  ) as unknown as ParallelMeter;
  return { wallMs, cpuMs: cpuMs() - c0, mainMs, meter };
}

async function main(): Promise<void> {
  const backend = await selectBackend(arg('backend', 'wasm') as BackendPreference);
  const rng = new Rng(1);
  const x = tf.tensor4d(
    Float32Array.from({ length: n * 784 }, () => rng.float()),
    [n, 28, 28, 1],
  );
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 5),
    'int32',
  );
  const base = buildZooModel(netName, { inputShape: [28, 28, 1], numClasses: 5, width, seed: 1 });
  const hooks = defaultHookLayers(base);
  const units = hooks.reduce((a, h) => a + (base.getLayer(h).getWeights()[0].shape.at(-1) ?? 0), 0);
  const batches = [0, 1, 2, 3].map((b) => ({
    xs: x.slice(b * 32, 32),
    ys: y.slice(b * 32, 32),
  }));
  const scoring: Record<1 | 2, Sample[]> = { 1: [], 2: [] };
  const job: Record<1 | 2, Sample[]> = { 1: [], 2: [] };
  const scores: Record<number, string> = {};
  const weights: Record<number, string> = {};
  for (let r = 0; r < rounds; r++) {
    for (const threads of (r % 2 === 0 ? [1, 2] : [2, 1]) as (1 | 2)[]) {
      enableThreadDataParallel(threads, { shards: 2 });
      let s: number[][] = [];
      scoring[threads].push(
        await timed(async () => {
          s = await scoreChannels(base, hooks, batches, 'cross-entropy');
        }),
      );
      scores[threads] = JSON.stringify(s);
      const config = finetuneConfig.parse({
        method: 'delta',
        epochs: jobEpochs,
        batchSize: 32,
        headEpochs,
        seed: 7,
      });
      // The 2-thread job runs as a job worker would without a setting: `auto`.
      enableThreadDataParallel(threads === 2 ? 'auto' : 1, { shards: 2 });
      let w = '';
      if (!warm) await releaseTrainingThreads();
      job[threads].push(
        await timed(async () => {
          const result = await finetune({ base, train: { x, y }, numClasses: 5, config });
          w = JSON.stringify(result.model.getWeights().map((t) => Array.from(t.dataSync())));
          result.model.dispose();
        }),
      );
      weights[threads] = w;
    }
  }
  const row = (label: string, samples: Sample[]): string => {
    const med = (f: (s: Sample) => number): number => median(samples.map(f));
    return `| ${label} | ${med((s) => s.wallMs).toFixed(0)} | ${med((s) => s.cpuMs).toFixed(0)} | ${med((s) => s.mainMs).toFixed(0)} | ${med(predictedMs).toFixed(0)} | ${med((s) => ms(s.meter.mainWorkNs)).toFixed(0)} | ${med((s) => ms(s.meter.replicaWorkNs)).toFixed(0)} | ${med((s) => ms(s.meter.roundCriticalNs)).toFixed(0)} | ${med((s) => ms(s.meter.mainOutsideNs)).toFixed(0)} | ${med((s) => ms(s.meter.replicaStartNs)).toFixed(0)} | ${med((s) => ms(s.meter.replicaStartCriticalNs)).toFixed(0)} | ${med((s) => ms(s.meter.replicaWallNs)).toFixed(0)} |`;
  };
  const speed = (a: Sample[], b: Sample[]): string =>
    (median(a.map((s) => s.wallMs)) / median(b.map((s) => s.wallMs))).toFixed(2);
  const predicted = (a: Sample[], b: Sample[]): string =>
    (median(a.map(predictedMs)) / median(b.map(predictedMs))).toFixed(2);
  console.log(
    [
      `backend ${backend}; ${netName} (width ${width}), hooks ${hooks.join(', ')} (${units} channels); scoring: 4 batches of 32; job: ${n} images 28x28x1, batch 32 in 2 shards, ${headEpochs} head epochs, ${jobEpochs} epochs, threads 1 or \`auto\` (replicas for runs of >= 50 steps and scorings of >= 0.5 s); medians of ${rounds} alternating rounds.`,
      '',
      '| run | wall ms | process CPU ms | main thread CPU ms | predicted wall on idle cores ms | main part ms | replicas part ms | critical path ms | main outside ms | replica start CPU ms | start critical ms | replicas wall ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      row('scoring, 1 thread', scoring[1]),
      row('scoring, 2 threads', scoring[2]),
      row('DELTA job, 1 thread', job[1]),
      row('DELTA job, 2 threads', job[2]),
      '',
      `scoring: wall speed-up ${speed(scoring[1], scoring[2])}x, predicted from CPU ${predicted(scoring[1], scoring[2])}x, scores bitwise equal: ${scores[1] === scores[2]}`,
      `DELTA job (${warm ? 'warm' : 'cold'} training replicas): wall speed-up ${speed(job[1], job[2])}x, predicted from CPU ${predicted(job[1], job[2])}x, final weights bitwise equal: ${weights[1] === weights[2]}`,
    ].join('\n'),
  );
  await releaseTrainingThreads();
  tf.dispose([x, y, ...batches.flatMap((b) => [b.xs, b.ys])]);
  base.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
