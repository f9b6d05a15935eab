/**
 * Data-parallel training over worker threads (issue 20): training samples/s of trainModel at 1
 * and 2 threads (the main thread plus one replica), side by side in one process, for zoo
 * small-cnn and the conv+BN net of torch-side-by-side.ts, batch 64 and 25, on the wasm backend.
 *
 *   nice -n 10 node -r @swc-node/register bench/ml/data-parallel.ts [--nets small-cnn,bn-cnn]
 *     [--batches 64,25] [--configs 1/1,1/2,2/2] [--rounds 3] [--steps 10]
 *
 * A configuration is threads/shards: 1/1 trains unsharded on one thread, 1/2 computes 2 shards
 * in sequence on one thread (the cost of sharding when no core is free), 2/2 the same shards
 * on 2 threads (bitwise the same weights as 1/2).
 *
 * A measurement trains 1 + 2 epochs of `steps` steps (plain SGD, lr 0.01) on random 28x28x1
 * images; samples/s is taken over the last 2 epochs (the first warms up), the replicas' start-up
 * time is reported apart. Rounds alternate which thread count goes first; medians over rounds.
 * The load average is printed with the table: on a machine shared with other work the scaling
 * says more about the load than about the code.
 */
import * as tf from '@tensorflow/tfjs';
import * as os from 'node:os';
import { buildBenchNet } from './bench-nets';
import { cpuTimes, stealSince } from '../cpu-steal';
import { selectBackend } from '../../src/ml/backend';
import { enableThreadDataParallel } from '../../src/ml/data-parallel/replica-pool';
import { trainModel } from '../../src/ml/train/trainer';
import { schedstatThreadCpuNs as threadCpuNs } from '../../src/ml/data-parallel/thread-cpu';
import { type ParallelMeter, readParallelMeter } from '../../src/ml/train/thread-meter';

const args = process.argv.slice(2);
const value = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

interface Measurement {
  samplesPerSec: number;
  /** Samples per CPU second of the whole process (every thread): what the threads cost. */
  samplesPerCpuSec: number;
  startupMs: number;
  threads: number;
  /** Per sample over the timed epochs, microseconds of CPU (load-independent). */
  cpu: {
    /** The whole process (every thread, V8's helpers included). */
    process: number;
    main: number;
    /** Main thread outside its own shards: gradient sums, optimizer, copies, publishing. */
    serial: number;
    replicas: number;
    /** Main thread's serial part + each round's slowest shard: the wall time on idle cores. */
    critical: number;
    /** Wall time the main thread waited for replicas, per sample (load-dependent). */
    blocked: number;
    /** Replicas' wall time over their CPU time on their shards (1: never off a core). */
    replicaWallPerCpu: number;
  };
}

async function measure(
  net: string,
  batch: number,
  threads: number,
  steps: number,
  shards: number,
): Promise<Measurement> {
  const n = batch * steps;
  const x = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 10),
    'int32',
  );
  const model = buildBenchNet(net);
  const cpuAtEpochEnd: number[] = [];
  const mainAtEpochEnd: number[] = [];
  const meterAtEpochEnd: ParallelMeter[] = [];
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
        onEpochEnd: () => {
          const u = process.cpuUsage();
          cpuAtEpochEnd.push((u.user + u.system) / 1000);
          mainAtEpochEnd.push(threadCpuNs());
          meterAtEpochEnd.push(readParallelMeter());
        },
      },
    );
    const timed = res.history.slice(1).reduce((a, m) => a + m.durationMs, 0);
    const us = (ns: number): number => ns / 1000 / (2 * n);
    const [m0, m2] = [meterAtEpochEnd[0], meterAtEpochEnd[2]];
    const main = mainAtEpochEnd[2] - mainAtEpochEnd[0];
    const own = m2.mainWorkNs - m0.mainWorkNs;
    // Without replicas the main thread is the whole critical path.
    const pooled = m2.rounds > m0.rounds;
    return {
      cpu: {
        process: ((cpuAtEpochEnd[2] - cpuAtEpochEnd[0]) * 1000) / (2 * n),
        main: us(main),
        serial: pooled ? us(main - own) : us(main),
        replicas: us(m2.replicaWorkNs - m0.replicaWorkNs),
        critical: pooled ? us(main - own + m2.roundCriticalNs - m0.roundCriticalNs) : us(main),
        blocked: us(m2.mainBlockedNs - m0.mainBlockedNs),
        replicaWallPerCpu: pooled
          ? (m2.replicaWallNs - m0.replicaWallNs) / (m2.replicaWorkNs - m0.replicaWorkNs)
          : NaN,
      },
      samplesPerSec: (2 * n * 1000) / timed,
      samplesPerCpuSec: (2 * n * 1000) / (cpuAtEpochEnd[2] - cpuAtEpochEnd[0]),
      startupMs: res.threadStartupMs ?? 0,
      threads: res.threads,
    };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  enableThreadDataParallel(1, { shards: 2 });
  const nets = value('--nets', 'small-cnn,bn-cnn').split(',');
  const batches = value('--batches', '64,25').split(',').map(Number);
  // threads/shards per configuration: 1/1 = one thread, unsharded (the plain step).
  const configs = value('--configs', '1/1,1/2,2/2').split(',');
  const parse = (c: string): [number, number] => {
    const [t, sh] = c.split('/').map(Number);
    return [t, sh ?? t];
  };
  const rounds = Number(value('--rounds', '3'));
  const steps = Number(value('--steps', '10'));
  const loadBefore = os.loadavg().map((l) => l.toFixed(2));
  const cpuBefore = cpuTimes();
  const rows: string[] = [];
  const cpuRows: string[] = [];
  for (const net of nets) {
    for (const batch of batches) {
      const counts = configs;
      const rates = new Map<string, number[]>(counts.map((c) => [c, []]));
      const cpuRates = new Map<string, number[]>(counts.map((c) => [c, []]));
      const startups: number[] = [];
      const cpuParts = new Map<string, Measurement['cpu'][]>(counts.map((c) => [c, []]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? counts : [...counts].reverse();
        for (const config of order) {
          const [threads, shards] = parse(config);
          const m = await measure(net, batch, threads, steps, shards);
          if (m.threads !== threads) throw new Error(`asked ${threads} threads, got ${m.threads}`);
          rates.get(config)?.push(m.samplesPerSec);
          cpuRates.get(config)?.push(m.samplesPerCpuSec);
          cpuParts.get(config)?.push(m.cpu);
          if (threads > 1) startups.push(m.startupMs);
        }
      }
      const med = counts.map((c) => median(rates.get(c) ?? []));
      const cells = med.map((r) => r.toFixed(0));
      const ratio = (med[med.length - 1] / med[0]).toFixed(2);
      const cpu = counts.map((c) => median(cpuRates.get(c) ?? []));
      // Samples per CPU second at the most threads relative to 1 thread: 1.0 means the threads
      // add no work, and on idle cores the speed-up could approach threads x this.
      const efficiency = cpu[cpu.length - 1] / cpu[0];
      const cells2 = [
        ...cells,
        `${ratio}x`,
        ...cpu.map((r) => r.toFixed(0)),
        efficiency.toFixed(2),
        median(startups).toFixed(0),
      ];
      rows.push(`| ${net} | ${batch} | ${cells2.join(' | ')} |`);
      process.stderr.write(`${rows[rows.length - 1]}\n`);
      const critical1 = median((cpuParts.get(counts[0]) ?? []).map((c) => c.critical));
      for (const c of counts) {
        const parts = cpuParts.get(c) ?? [];
        const part = (f: (p: Measurement['cpu']) => number): string =>
          median(parts.map(f)).toFixed(0);
        const critical = median(parts.map((p) => p.critical));
        cpuRows.push(
          `| ${net} | ${batch} | ${c} | ${part((p) => p.process)} | ${part((p) => p.main)} | ` +
            `${part((p) => p.serial)} | ${part((p) => p.replicas)} | ${critical.toFixed(0)} | ` +
            `${(critical1 / critical).toFixed(2)}x | ${part((p) => p.blocked)} | ` +
            `${median(parts.map((p) => p.replicaWallPerCpu)).toFixed(2)} |`,
        );
      }
    }
  }
  const loadAfter = os.loadavg().map((l) => l.toFixed(2));
  const label = (c: string): string => {
    const [t, sh] = parse(c);
    return `${t} thread${t > 1 ? 's' : ''} ${sh} shard${sh > 1 ? 's' : ''}`;
  };
  const head = [
    ...configs.map((c) => `${label(c)} samples/s`),
    'speed-up (last / first)',
    ...configs.map((c) => `${label(c)} samples/CPU s`),
    'CPU efficiency',
    'replica start-up ms',
  ].join(' | ');
  process.stdout.write(
    [
      `cores ${os.availableParallelism()}, load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; ${stealSince(cpuBefore)}`,
      `| network | batch | ${head} |`,
      `| --- | ---: | ${[...configs, 0, ...configs, 0, 0].map(() => '---:').join(' | ')} |`,
      ...rows,
      '',
      'CPU microseconds per training sample (timed epochs, median over rounds); critical path = the',
      "main thread's serial part + each step's slowest shard, i.e. the time per sample on idle cores:",
      '',
      '| network | batch | threads/shards | process CPU | main thread | main serial | replicas | critical path | predicted speed-up vs first | main blocked (wall) | replica wall / CPU |',
      '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...cpuRows,
      '',
    ].join('\n'),
  );
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
