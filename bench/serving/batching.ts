/**
 * What dynamic batching buys on this machine: a closed loop of C concurrent clients against one
 * DeploymentRuntime (small-cnn 28x28x1, 10 classes; 2 instance threads, the `auto` backend) for
 * each batching config; prints throughput, latency p50/p99 and the mean batch size.
 *   nice -n 10 node -r @swc-node/register bench/serving/batching.ts [--seconds 3] [--clients 64]
 * (A closed loop measures capacity; the open-loop latency curve is issue 17 part 2's bench.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../../src/ml/backend';
import { saveModelToBuffers } from '../../src/ml/io/buffers';
import { writeModelBuffers } from '../../src/ml/io/directory';
import { buildZooModel } from '../../src/ml/zoo/zoo';
import { DeploymentRuntime } from '../../src/serving/runtime/deployment-runtime';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const CONFIGS = [
  { maxSize: 1, maxDelayMs: 0 },
  { maxSize: 8, maxDelayMs: 2 },
  { maxSize: 32, maxDelayMs: 2 },
];

async function main(): Promise<void> {
  const seconds = arg('seconds', 3);
  const clients = arg('clients', 64);
  await selectBackend('cpu');
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-serving-'));
  const model = buildZooModel('small-cnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  await writeModelBuffers(dir, await saveModelToBuffers(model));
  model.dispose();
  const sample = Float32Array.from({ length: 784 }, (_, i) => (i % 17) / 17);
  const rows: string[] = [];
  try {
    for (const batch of CONFIGS) {
      const rt = await DeploymentRuntime.start({
        modelDir: dir,
        instances: 2,
        batch,
        queue: { capacity: 10_000, timeoutMs: 60_000 },
        backend: 'auto',
      });
      const warmEnd = performance.now() + 1000;
      const end = warmEnd + seconds * 1000;
      const latencies: number[] = [];
      const sizes: number[] = [];
      const client = async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const r = await rt.predict(sample);
          if (t0 >= warmEnd) {
            latencies.push(performance.now() - t0);
            sizes.push(r.batchSize);
          }
        }
      };
      await Promise.all(Array.from({ length: clients }, client));
      const backend = rt.metrics().backend;
      await rt.stop();
      latencies.sort((a, b) => a - b);
      const q = (p: number) => latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)];
      const meanBatch = sizes.reduce((a, b) => a + b, 0) / sizes.length;
      rows.push(
        `| ${batch.maxSize} / ${batch.maxDelayMs} ms | ${backend} | ${(latencies.length / seconds).toFixed(0)} | ${q(0.5).toFixed(1)} | ${q(0.99).toFixed(1)} | ${meanBatch.toFixed(1)} |`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `small-cnn 28x28x1, 2 instances, ${clients} closed-loop clients, ${seconds} s after 1 s warm-up\n\n` +
      '| maxSize / maxDelay | backend | req/s | p50 ms | p99 ms | mean batch |\n' +
      '| --- | --- | --- | --- | --- | --- |\n' +
      rows.join('\n') +
      '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
