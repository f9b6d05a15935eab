/**
 * Training speed side by side with PyTorch (issue 20): samples/s of the same four networks on
 * 28x28x1 images, our TF.js runtime (wasm) against Debian's python3-torch, one thread each, plus
 * our runtime with tfjs's stock MaxPoolGrad and batch-norm gradient ("stock"), to show what our
 * kernels buy. Runs are interleaved (torch, ours, stock; then again) so load hits all alike.
 *
 *   node -r @swc-node/register bench/ml/torch-side-by-side.ts [--nets a,b] [--batches 25,64]
 *     [--rounds 2] [--steps 10] [--profile]
 *
 * Networks: plain-cnn (= zoo small-cnn), bn-cnn (3 x conv-BN-ReLU-maxpool, dense head), and the
 * zoo's small-resnet and mobilenet; bench/ml/torch_train_speed.py builds the same in PyTorch.
 * Each timed call trains `steps` steps of plain SGD (lr 0.01) on one fixed random batch; a
 * measurement is the median of 3 calls after 3 warm-up steps, in a fresh process per
 * (runtime, net, batch). `--profile` adds the top 10 kernels of one training step of ours.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { buildBenchNet } from './bench-nets';
import { selectBackend, useBundledWasmBinaries } from '../../src/ml/backend';
import { registerGradientKernels } from '../../src/ml/kernels/register';
import { conv2dBackpropInputComposite } from '../../src/ml/kernels/conv2d-backprop-input';
import { crossEntropy } from '../../src/ml/train/evaluate';

const args = process.argv.slice(2);
const value = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const NETS = ['plain-cnn', 'bn-cnn', 'small-resnet', 'mobilenet'];
const STEPS = Number(value('--steps', '10'));

/** The wasm backend with tfjs's own MaxPoolGrad and batch-norm gradient (ours otherwise). */
async function stockBackend(): Promise<void> {
  useBundledWasmBinaries();
  registerGradientKernels('wasm', false); // only the kernels wasm lacks
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropInputComposite('wasm'),
  });
  await tf.setBackend('wasm');
}

async function worker(runtime: string, net: string, batch: number): Promise<void> {
  if (runtime === 'stock') await stockBackend();
  else await selectBackend('wasm');
  const model = buildBenchNet(net);
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  );
  const opt = tf.train.sgd(0.01);
  const step = (): void =>
    tf.tidy(() => {
      opt.minimize(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y));
    });
  for (let i = 0; i < 3; i++) step();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < STEPS; i++) step();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const out: Record<string, unknown> = {
    samplesPerSec: (batch * STEPS * 1000) / times[1],
  };
  if (args.includes('--profile')) {
    const prof = await tf.profile(step);
    const byKernel = new Map<string, number>();
    for (const k of prof.kernels)
      byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
    out.calls = prof.kernels.length;
    out.top = [...byKernel.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([name, ms]) => `${name} ${((100 * ms) / total).toFixed(1)}%`);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

function run(cmd: string, cmdArgs: string[]): Record<string, unknown> {
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', env: { ...process.env } });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main(): void {
  const nets = value('--nets', NETS.join(',')).split(',');
  const batches = value('--batches', '25,64').split(',').map(Number);
  const rounds = Number(value('--rounds', '2'));
  const self = ['-r', '@swc-node/register', __filename];
  const rows: string[] = [];
  const profiles: string[] = [];
  for (const net of nets) {
    for (const batch of batches) {
      const rates: Record<string, number[]> = { torch: [], ours: [], stock: [] };
      let top: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const torch = run('/usr/bin/python3', [
          path.join(__dirname, 'torch_train_speed.py'),
          ...['--nets', net, '--batches', String(batch), '--threads', '1'],
          ...['--steps', String(STEPS)],
        ]);
        rates.torch.push(Number(torch.samplesPerSec));
        for (const runtime of ['ours', 'stock']) {
          const profile = runtime === 'ours' && round === 0 && args.includes('--profile');
          const r = run(process.execPath, [
            ...self,
            ...['--worker', runtime, net, String(batch), '--steps', String(STEPS)],
            ...(profile ? ['--profile'] : []),
          ]);
          rates[runtime].push(Number(r.samplesPerSec));
          if (profile) top = [`${r.calls} kernel calls per step`, ...(r.top as string[])];
        }
      }
      const [t, o, s] = [median(rates.torch), median(rates.ours), median(rates.stock)];
      const row = `| ${net} | ${batch} | ${t.toFixed(0)} | ${o.toFixed(0)} | ${s.toFixed(0)} | ${(o / t).toFixed(2)} | ${(s / t).toFixed(2)} | ${(o / s).toFixed(2)} |`;
      process.stderr.write(row + '\n');
      rows.push(row);
      if (top.length) profiles.push(`- ${net}, batch ${batch}: ${top.join(', ')}`);
    }
  }
  const header =
    '| network | batch | PyTorch samples/s | ours samples/s | stock tfjs kernels samples/s | ours / PyTorch | stock / PyTorch | ours / stock |\n' +
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  process.stdout.write(`${header}\n${rows.join('\n')}\n`);
  if (profiles.length) process.stdout.write(`\nKernel profile, ours:\n${profiles.join('\n')}\n`);
}

const w = args.indexOf('--worker');
if (w >= 0) {
  void worker(args[w + 1], args[w + 2], Number(args[w + 3]));
} else {
  main();
}
