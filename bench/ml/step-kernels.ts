/**
 * Kernel calls per training step (issue 20): gradientStep (the loop's default step) on zoo
 * small-cnn and the conv+BN net of torch-side-by-side.ts, batch 64, wasm backend, with plain SGD,
 * tfjs's Adam (tf.train.adam, the optimizer before issue 20) and the loop's Adam (HostAdam:
 * the moments on the host for variables up to 64k elements). Also the time of one Adam update
 * of each zoo net's variables, both implementations side by side (median of 3 x 20 updates).
 *
 *   nice -n 10 node -r @swc-node/register bench/ml/step-kernels.ts
 */
import * as tf from '@tensorflow/tfjs';
import { buildBenchNet } from './bench-nets';
import { selectBackend } from '../../src/ml/backend';
import { gradientStep } from '../../src/ml/train/gradient-step';
import { HostAdam } from '../../src/ml/train/host-adam';
import type { GroupedOptimizer } from '../../src/ml/train/param-groups';

interface Applier {
  applyGradients(grads: tf.NamedTensorMap): void;
  dispose(): void;
}

const OPTIMIZERS: Record<string, () => Applier> = {
  // tf.Optimizer types its argument as NamedVariableMap; gradients by variable name are what it reads.
  sgd: () => tf.train.sgd(0.01) as unknown as Applier,
  'tf.train.adam': () => tf.train.adam(0.001) as unknown as Applier,
  HostAdam: () => new HostAdam(0.001),
};

async function kernelCalls(net: string, optimizer: string): Promise<string> {
  const model = buildBenchNet(net);
  const x = tf.randomUniform([64, 28, 28, 1]);
  const y = tf.tensor1d(
    Array.from({ length: 64 }, (_, i) => i % 10),
    'int32',
  );
  const opt = OPTIMIZERS[optimizer]();
  const step = gradientStep({
    model,
    train: { x, y },
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    // gradientStep only calls apply(grads, step).
    optimizer: {
      apply: (g: tf.NamedTensorMap) => opt.applyGradients(g),
    } as unknown as GroupedOptimizer,
  });
  const batch = Array.from({ length: 64 }, (_, i) => i);
  const first = step(batch, { epoch: 0, step: 0 });
  tf.dispose([first.loss, first.correct as tf.Scalar]);
  const prof = await tf.profile(() => {
    const o = step(batch, { epoch: 0, step: 1 });
    tf.dispose([o.loss, o.correct as tf.Scalar]);
  });
  const byKernel = new Map<string, number>();
  for (const k of prof.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + 1);
  const top = [...byKernel.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, c]) => `${k} ${c}`)
    .join(', ');
  opt.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return `| ${net} | ${optimizer} | ${prof.kernels.length} | ${top} |`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function adamTime(net: string): string {
  const model = buildBenchNet(net);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const params = variables.reduce((a, v) => a + v.size, 0);
  const grads: tf.NamedTensorMap = Object.fromEntries(
    variables.map((v) => [v.name, tf.randomNormal(v.shape, 0, 0.01)]),
  );
  const times: Record<string, number[]> = { 'tf.train.adam': [], HostAdam: [] };
  for (let round = 0; round < 3; round++) {
    for (const name of Object.keys(times)) {
      const opt = OPTIMIZERS[name]();
      for (let i = 0; i < 3; i++) tf.tidy(() => opt.applyGradients(grads));
      const t = performance.now();
      for (let i = 0; i < 20; i++) tf.tidy(() => opt.applyGradients(grads));
      variables[0].dataSync();
      times[name].push((performance.now() - t) / 20);
      opt.dispose();
    }
  }
  const [tfjs, host] = [median(times['tf.train.adam']), median(times.HostAdam)];
  tf.dispose(Object.values(grads));
  model.dispose();
  return `| ${net} | ${params} | ${variables.length} | ${tfjs.toFixed(2)} | ${host.toFixed(2)} | ${(tfjs / host).toFixed(1)}x |`;
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  const lines = [
    '| network | optimizer | kernel calls per step | most called |',
    '| --- | --- | ---: | --- |',
  ];
  for (const net of ['small-cnn', 'bn-cnn']) {
    for (const optimizer of Object.keys(OPTIMIZERS)) lines.push(await kernelCalls(net, optimizer));
  }
  lines.push(
    '',
    '| network | parameters | variables | tf.train.adam ms | HostAdam ms | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const net of ['small-cnn', 'bn-cnn', 'small-resnet', 'mobilenet']) lines.push(adamTime(net));
  process.stdout.write(lines.join('\n') + '\n');
}

void main();
