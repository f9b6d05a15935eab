/**
 * Explanations per second (issue 20, "inference in bulk"): the explain and normlime job
 * handlers run in-process through the registry's own predict adapter on a zoo small-cnn
 * (28x28x1, Fashion-MNIST) and a zoo mlp (breast cancer, 30 features), 1000 perturbations per
 * explanation, plus a phase profile (predict vs the rest, SLIC, PNG) and tf.profile's top kernels.
 *
 *   node -r @swc-node/register bench/interpret/explain-speed.ts [--baseline <rev>[:t[:b]],...]
 *     [--threads 1,2[:keep|:park|:stop]] [--rounds 5] [--quick] [--batch-sizes] [--only <text>]
 *     [--no-profile] [--first-conv]
 *
 * Warm replicas between jobs (the baseline, main before parking with its threads stopped between
 * jobs as after its idle time, and the current code parking them):
 *   nice -n 10 node -r @swc-node/register bench/interpret/explain-speed.ts \
 *     --baseline ff4dd6e,887dea4:2:stop --threads 1,2:stop,2:park --quick --no-profile
 *
 * Issue 20's figure (the original baseline, then the current code on 1 and 2 threads):
 *   nice -n 10 node -r @swc-node/register bench/interpret/explain-speed.ts --baseline ff4dd6e \
 *     --threads 1,2 --quick
 *
 * With --threads, the current code runs once per thread count (predictBatches over inference
 * replicas, src/ml/train/parallel-predict.ts), side by side like a baseline.
 *
 * With --baseline, the same harness also runs the code of that revision (a detached
 * `git worktree` under /tmp sharing this checkout's node_modules), loaded into this process next
 * to the current code: each round runs every workload on both sides back to back (which side
 * goes first alternates), so machine load hits both alike. The tables give each side's median
 * and the ratio, per CPU second (steady on a shared machine) and per wall-clock second, and the
 * two sides' results for the same seeds are compared number by number. Fixtures (trained models, data) are built once under
 * /tmp/autodl-explain-speed and reused.
 */
import type * as tfType from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { cpuTimes, stealSince } from '../cpu-steal';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type BetweenJobs,
  loadSide,
  WORKLOADS,
  type Measurement,
  type Side,
  type Workload,
} from './explain-speed-side';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const repo = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(os.tmpdir(), 'autodl-explain-speed');

async function buildFixtures(): Promise<void> {
  if (fs.existsSync(path.join(FIXTURES, 'meta.json'))) return;
  const tf = await import('@tensorflow/tfjs');
  const { selectBackend } = await import('../../src/ml/backend');
  const { saveModelToBuffers } = await import('../../src/ml/io/buffers');
  const { breastCancer, fashionSubset, imageTensor, trainZoo } = await import('./data');
  await selectBackend('wasm', () => undefined);
  fs.mkdirSync(FIXTURES, { recursive: true });
  const train = await fashionSubset('train', 100, 1);
  const test = await fashionSubset('test', 10, 1);
  const x = imageTensor(train.pixels);
  const cnn = await trainZoo(
    'small-cnn',
    { inputShape: [28, 28, 1], numClasses: 10, seed: 1 },
    x,
    train.labels,
    { epochs: 2, batchSize: 64, learningRate: 0.002, seed: 1 },
  );
  x.dispose();
  const bc = await breastCancer();
  const xb = tf.tensor2d(bc.rows);
  const mlp = await trainZoo('mlp', { inputShape: [30], numClasses: 2, seed: 2 }, xb, bc.labels, {
    epochs: 20,
    batchSize: 32,
    learningRate: 0.003,
    seed: 2,
  });
  xb.dispose();
  for (const [name, model] of [
    ['cnn', cnn],
    ['mlp', mlp],
  ] as const) {
    const b = await saveModelToBuffers(model);
    fs.mkdirSync(path.join(FIXTURES, name), { recursive: true });
    fs.writeFileSync(path.join(FIXTURES, name, 'model.json'), b.modelJson);
    fs.writeFileSync(path.join(FIXTURES, name, 'weights.bin'), b.weights);
  }
  const flat = new Float32Array(test.pixels.length * 784);
  test.pixels.forEach((p, i) => flat.set(p, i * 784));
  fs.writeFileSync(path.join(FIXTURES, 'fashion.f32'), Buffer.from(flat.buffer));
  fs.writeFileSync(
    path.join(FIXTURES, 'meta.json'),
    JSON.stringify({
      fashionClasses: test.classNames,
      imageCount: test.pixels.length,
      bcFeatures: bc.featureNames,
      bcClasses: bc.classNames,
      bcRows: bc.rows,
      bcLabels: bc.labels,
    }),
  );
}

/**
 * A detached worktree of `rev` sharing this checkout's node_modules, and how to remove it again
 * (it is registered in the repository's worktree list while it exists).
 */
function baselineTree(rev: string): { dir: string; sha: string; remove: () => void } {
  const sha = execFileSync('git', ['-C', repo, 'rev-parse', '--short', rev]).toString().trim();
  const dir = path.join(os.tmpdir(), `autodl-explain-speed-${sha}`);
  if (!fs.existsSync(dir)) {
    execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', dir, sha], { stdio: 'ignore' });
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  }
  const remove = (): void => {
    // Two sides may share a revision's tree: the first removal does it.
    if (!fs.existsSync(dir)) return;
    execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
  };
  return { dir, sha, remove };
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Largest |a - b| over the numbers of two JSON values of the same shape; NaN when shapes differ. */
function maxDiff(a: unknown, b: unknown, keyPath = ''): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return NaN;
    return a.reduce((m: number, v, i) => Math.max(m, maxDiff(v, b[i], `${keyPath}[${i}]`)), 0);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return NaN;
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.reduce((m, k) => Math.max(m, maxDiff(ra[k], rb[k], `${keyPath}.${k}`)), 0);
  }
  return a === b ? 0 : NaN;
}

/**
 * CPU per explanation by thread and the critical path (load-independent, issue 20): the main
 * thread's CPU outside its own predict chunks (serial: SLIC, perturbations, tensors, ridge fits,
 * PNGs, copies) plus, per predict round, the slowest thread's chunk, plus the replicas' start
 * when it fell in the job. On idle cores that is the job's wall time, so critical(first side) /
 * critical(side) is the wall-clock ratio a quiet machine should show.
 */
function printCpuTable(sides: Side[], workloads: Workload[], runs: Measurement[][][]): void {
  console.log('\nCPU ms per explanation by thread, and the critical path (median over rounds):\n');
  console.log(
    '| workload | side | process CPU | main thread | of which own chunks | replicas (work + start) | ' +
      'rounds per expl. | critical path | replica busy share | predicted speed-up vs first | ' +
      'main blocked (wall) | replica wall / CPU |',
  );
  console.log(
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  workloads.forEach((w, i) => {
    const critical = sides.map((_, s) =>
      median(
        runs[i][s].map((m) => {
          const mt = m.meter;
          const main = m.mainCpuSeconds * 1e9;
          const path = mt
            ? main - mt.mainWorkNs + mt.roundCriticalNs + mt.replicaStartCriticalNs
            : main;
          return path / 1e6 / w.instances;
        }),
      ),
    );
    sides.forEach((side, s) => {
      const per = (f: (m: Measurement) => number): number =>
        median(runs[i][s].map((m) => f(m) / w.instances));
      const ms = (ns: number): number => ns / 1e6;
      const replicas = per((m) =>
        m.meter ? ms(m.meter.replicaWorkNs + m.meter.replicaStartNs) : 0,
      );
      const busy = median(
        runs[i][s].map((m) => {
          const mt = m.meter;
          if (!mt) return NaN;
          const path = m.mainCpuSeconds * 1e9 - mt.mainWorkNs + mt.roundCriticalNs;
          return mt.replicaWorkNs / path;
        }),
      );
      console.log(
        `| ${w.name} | ${side.name} | ${per((m) => m.cpuSeconds * 1000).toFixed(1)} | ` +
          `${per((m) => m.mainCpuSeconds * 1000).toFixed(1)} | ` +
          `${per((m) => (m.meter ? ms(m.meter.mainWorkNs) : 0)).toFixed(1)} | ${replicas.toFixed(1)} | ` +
          `${per((m) => m.meter?.rounds ?? 0).toFixed(0)} | ${critical[s].toFixed(1)} | ` +
          `${Number.isNaN(busy) ? '-' : `${(100 * busy).toFixed(0)}%`} | ${(critical[0] / critical[s]).toFixed(2)}x | ` +
          `${per((m) => (m.meter ? ms(m.meter.mainBlockedNs) : 0)).toFixed(1)} | ` +
          `${median(runs[i][s].map((m) => (m.meter ? m.meter.replicaWallNs / m.meter.replicaWorkNs : NaN))).toFixed(2)} |`,
      );
    });
  });
}

/** Phase profile of one side: the median over its rounds; kernels of its last round. */
function printProfile(name: string, runs: Profile[]): void {
  const last = runs[runs.length - 1];
  console.log(`\nPhase profile (${name}), CPU ms per explanation, 1000 samples, median:\n`);
  for (const k of Object.keys(last.phases)) {
    const v = median(runs.map((r) => r.phases[k]));
    console.log(`    ${k.padEnd(44)} ${v.toFixed(1)}`);
  }
  const kernels = last.kernels.map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`).join(', ');
  console.log(`  tf.profile, one image explanation (wall ms): ${kernels}`);
}

type Profile = Awaited<ReturnType<Side['profile']>>;

function parseBetween(between: string | undefined): BetweenJobs {
  if (between === undefined) return 'keep';
  if (between === 'keep' || between === 'park' || between === 'stop') return between;
  throw new Error(`between jobs: keep, park or stop, got ${between}`);
}

function sideLabel(threads: number | undefined, between: string | undefined): string {
  if (threads === undefined) return '';
  const t = `, ${threads} thread${threads > 1 ? 's' : ''}`;
  return between && threads > 1 ? `${t}, ${between} between jobs` : t;
}

async function main(): Promise<void> {
  await buildFixtures();
  const rounds = Number(value('--rounds') ?? (quick ? 2 : 5));
  const sides: Side[] = [];
  // --baseline rev[:threads[:between]][,...]: one side per revision (e.g. ff4dd6e,887dea4:2:stop).
  const trees: ReturnType<typeof baselineTree>[] = [];
  for (const spec of value('--baseline')?.split(',') ?? []) {
    const [rev, t, between] = spec.split(':');
    const tree = baselineTree(rev);
    trees.push(tree);
    const threads = t ? Number(t) : undefined;
    sides.push(
      await loadSide(
        tree.dir,
        FIXTURES,
        `baseline ${rev}${sideLabel(threads, between)}`,
        threads,
        parseBetween(between),
      ),
    );
  }
  // --threads 1,2[:park|:stop]: the current tree once per thread count (bulk prediction over
  // inference replicas), with what happens to the replicas between jobs (explain-speed-side.ts).
  const threadSpecs = value('--threads')?.split(',');
  if (threadSpecs) {
    for (const spec of threadSpecs) {
      const [t, between] = spec.split(':');
      const threads = Number(t);
      sides.push(
        await loadSide(
          repo,
          FIXTURES,
          `current${sideLabel(threads, between)}`,
          threads,
          parseBetween(between),
        ),
      );
    }
  } else sides.push(await loadSide(repo, FIXTURES, 'current'));
  // Removed at the end: a side on threads starts its replica threads from its tree's files.
  process.once('exit', () => trees.forEach((tree) => tree.remove()));
  // --only <text>: the workloads whose name contains it (e.g. --only image).
  const only = value('--only');
  const workloads = WORKLOADS(quick).filter((w) => !only || w.name.includes(only));
  // runs[workload][side]: one Measurement per round; sides alternate first/second by round.
  const runs = workloads.map(() => sides.map((): Measurement[] => []));
  const profiles = sides.map((): Profile[] => []);
  for (const side of sides) for (const w of workloads) await side.run(w); // warm-up
  const cpuBefore = cpuTimes();
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (let i = 0; i < workloads.length; i++)
      for (const s of order) runs[i][s].push(await sides[s].run(workloads[i]));
    if (!args.includes('--no-profile'))
      for (const s of order) profiles[s].push(await sides[s].profile(quick ? 1 : 2));
    console.error(`round ${round + 1}/${rounds} done`);
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(`# Explanations per second (issue 20)\n`);
  console.log(
    `${new Date().toISOString()}, ${cpu}, ${os.cpus().length} cores, load ${load}, node ${process.version}, ` +
      `wasm backend, ${rounds} rounds alternating the sides in one process, median per side; ` +
      `${stealSince(cpuBefore)}\n`,
  );
  for (const [metric, label] of [
    ['cpuSeconds', 'explanations per CPU second (process user + system time)'],
    ['seconds', 'explanations per wall-clock second'],
  ] as const) {
    console.log(`\n${label}:\n`);
    const header = sides.map((s) => s.name);
    // Every side after the first against the first (the baseline, or 1 thread).
    const ratioNames = header.slice(1).map((h) => ` ${h} / first |`);
    console.log(
      `| workload | instances | ${header.join(' | ')} |${ratioNames.join('')} model loads/disposals per job |`,
    );
    console.log(
      `| --- | ---: | ${header.map(() => '---:').join(' | ')} |${ratioNames.map(() => ' ---: |').join('')} ---: |`,
    );
    workloads.forEach((w, i) => {
      const per = sides.map((_, s) => median(runs[i][s].map((m) => w.instances / m[metric])));
      const lds = sides
        .map((_, s) => `${runs[i][s][0].loads}/${runs[i][s][0].disposals}`)
        .join(', ');
      const ratio = per
        .slice(1)
        .map((p) => ` ${(p / per[0]).toFixed(2)}x |`)
        .join('');
      console.log(
        `| ${w.name} | ${w.instances} | ${per.map((p) => p.toFixed(2)).join(' | ')} |${ratio} ${lds} |`,
      );
    });
  }
  printCpuTable(sides, workloads, runs);
  sides.forEach((s, i) => profiles[i].length && printProfile(s.name, profiles[i]));
  for (let s = 1; s < sides.length; s++) {
    console.log(`\nSame seeds, largest difference, ${sides[s].name} vs ${sides[0].name}:`);
    workloads.forEach((w, i) => {
      const diff = maxDiff(runs[i][0][0].output, runs[i][s][0].output);
      console.log(`  ${w.name}: ${diff.toExponential(2)}`);
    });
  }
  if (args.includes('--batch-sizes')) await batchSweep(rounds);
  if (args.includes('--first-conv')) await firstConv(rounds);
}

/**
 * W' [K, kb, B, B * C] of a stride-1 'same' conv with one input channel over width blocks of B
 * pixels (x [N, H, W, 1] read as [N, H, W / B, B]): W'[kh, kw', bi, bo * C + c] = W[kh, kw, 0, c]
 * with kw = B (kw' - rb) + bi - bo + r; the output [N, H, W / B, B * C] is [N, H, W, C].
 */
function widthBlockFilter(w: Float32Array, k: number, c: number, b: number): Float32Array {
  const r = (k - 1) / 2;
  const kb = 1 + 2 * Math.ceil(r / b);
  const rb = (kb - 1) / 2;
  const out = new Float32Array(k * kb * b * b * c);
  for (let kh = 0; kh < k; kh++)
    for (let kwb = 0; kwb < kb; kwb++)
      for (let bi = 0; bi < b; bi++)
        for (let bo = 0; bo < b; bo++) {
          const kw = b * (kwb - rb) + bi - bo + r;
          if (kw < 0 || kw >= k) continue;
          for (let o = 0; o < c; o++)
            out[(((kh * kb + kwb) * b + bi) * b + bo) * c + o] = w[(kh * k + kw) * c + o];
        }
  return out;
}

/**
 * small-cnn's first conv (64 x 28x28x1 -> 16 channels, 3x3 'same', bias, ReLU: one predict pass
 * of image LIME) as wasm's FusedConv2D and as the reformulations issue 20 asked about, CPU ms
 * per call (median of interleaved rounds; no dataSync: inside model.predict the output stays in
 * the wasm heap), each checked against tf.conv2d; the second conv (16 -> 32 channels) for scale.
 */
async function firstConv(rounds: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const n = 64;
  const h = 28;
  const c = 16;
  const x = tf.randomNormal([n, h, h, 1], 0, 1, 'float32', 1) as tfType.Tensor4D;
  const w = tf.randomNormal([3, 3, 1, c], 0, 1, 'float32', 2) as tfType.Tensor4D;
  const bias = tf.randomNormal([c], 0, 1, 'float32', 3) as tfType.Tensor1D;
  const oneHot = tf.tidy(() =>
    tf
      .oneHot(tf.range(0, 9, 1, 'int32'), 9)
      .reshape([3, 3, 1, 9])
      .cast('float32'),
  ) as tfType.Tensor4D;
  const w9 = w.reshape([9, c]) as tfType.Tensor2D;
  const block = tf.tensor4d(widthBlockFilter(w.dataSync() as Float32Array, 3, c, 2), [
    3,
    3,
    2,
    2 * c,
  ]);
  const blockBias = tf.tile(bias, [2]) as tfType.Tensor1D;
  const x4 = tf.pad(x, [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 3],
  ]) as tfType.Tensor4D;
  const w4 = tf.pad(w, [
    [0, 0],
    [0, 0],
    [0, 3],
    [0, 0],
  ]) as tfType.Tensor4D;
  const x2 = tf.randomNormal([n, 14, 14, c], 0, 1, 'float32', 4) as tfType.Tensor4D;
  const wSecond = tf.randomNormal([3, 3, c, 2 * c], 0, 1, 'float32', 5) as tfType.Tensor4D;
  const bSecond = tf.zeros([2 * c]) as tfType.Tensor1D;
  const relu = 'relu' as const;
  const variants: [string, number, () => tfType.Tensor][] = [
    [
      'FusedConv2D (wasm, XNNPACK)',
      1,
      () => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias, activation: relu }),
    ],
    [
      'im2col: depthwise one-hot [3,3,1,9] + one MatMul [N*H*W,9]x[9,16]',
      1,
      () =>
        tf.tidy(() => {
          const cols = tf.depthwiseConv2d(x, oneHot, 1, 'same').reshape([n * h * h, 9]);
          const y = tf.fused.matMul({ a: cols as tfType.Tensor2D, b: w9, bias, activation: relu });
          return y.reshape([n, h, h, c]);
        }),
    ],
    [
      'width blocks of 2 pixels as channels: conv [3,3,2,32]',
      2,
      () =>
        tf.tidy(() =>
          tf.fused
            .conv2d({
              x: x.reshape([n, h, h / 2, 2]) as tfType.Tensor4D,
              filter: block,
              strides: 1,
              pad: 'same',
              bias: blockBias,
              activation: relu,
            })
            .reshape([n, h, h, c]),
        ),
    ],
    [
      'input channels padded to 4 (zeros)',
      4,
      () => tf.fused.conv2d({ x: x4, filter: w4, strides: 1, pad: 'same', bias, activation: relu }),
    ],
    [
      'depthwise, channel multiplier 16, + bias + ReLU',
      1,
      () => tf.tidy(() => tf.relu(tf.add(tf.depthwiseConv2d(x, w, 1, 'same'), bias))),
    ],
  ];
  const reference = tf.tidy(() => tf.relu(tf.add(tf.conv2d(x, w, 1, 'same'), bias)));
  const second = (): tfType.Tensor =>
    tf.fused.conv2d({ x: x2, filter: wSecond, strides: 1, pad: 'same', bias: bSecond });
  const timed = [...variants, ['second conv, 16 -> 32 channels (for scale)', 1, second] as const];
  const cpu: number[][] = timed.map(() => []);
  const reps = 20;
  for (let r = 0; r < Math.max(3, rounds); r++) {
    timed.forEach(([, , f], i) => {
      f().dispose();
      const t = process.cpuUsage();
      for (let k = 0; k < reps; k++) f().dispose();
      const u = process.cpuUsage(t);
      cpu[i].push((u.user + u.system) / 1000 / reps);
    });
  }
  const macs = n * h * h * 9 * c;
  console.log(`
small-cnn's first conv, ${n} x 28x28x1 -> 16, 3x3 'same' + bias + ReLU:
`);
  console.log(
    '| formulation | MACs done / needed | CPU ms per call | useful GFLOP/s | max diff vs tf.conv2d |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  timed.forEach(([name, ratio, f], i) => {
    const ms = median(cpu[i]);
    const isSecond = i === variants.length;
    const useful = isSecond ? n * 14 * 14 * 9 * c * 2 * c : macs;
    const diff = isSecond
      ? '-'
      : tf
          .tidy(() => tf.max(tf.abs(tf.sub(f(), reference))))
          .dataSync()[0]
          .toExponential(1);
    console.log(
      `| ${name} | ${ratio}x | ${ms.toFixed(3)} | ${((2 * useful) / ms / 1e6).toFixed(1)} | ${diff} |`,
    );
  });
  tf.dispose([x, w, bias, oneHot, w9, block, blockBias, x4, w4, x2, wSecond, bSecond, reference]);
}

/**
 * CPU ms per image LIME explanation (1000 samples, small-cnn) and per 1000 tabular rows (mlp)
 * at several inference batch sizes, interleaved over rounds: how inferenceBatchSize was chosen.
 */
async function batchSweep(rounds: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { loadModelFromBuffers } = await import('../../src/ml/io/buffers');
  const { predictBatches } = await import('../../src/ml/train/evaluate');
  const { ImageLimeExplainer } = await import('../../src/interpret/core/image-lime');
  const load = (name: string) =>
    loadModelFromBuffers(
      fs.readFileSync(path.join(FIXTURES, name, 'model.json')),
      fs.readFileSync(path.join(FIXTURES, name, 'weights.bin')),
    );
  const cnn = await load('cnn');
  const mlp = await load('mlp');
  const bytes = fs.readFileSync(path.join(FIXTURES, 'fashion.f32'));
  const grey = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 784 * 4));
  const image = {
    width: 28,
    height: 28,
    data: Float32Array.from({ length: 784 * 3 }, (_, i) => grey[Math.floor(i / 3)]),
  };
  const rows = tf.randomNormal([1000, 30], 0, 1, 'float32', 1);
  const cpuMs = (): number => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  const sizes = [16, 32, 64, 128, 256, 1024];
  const cost = sizes.map(() => ({ image: [] as number[], rows: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < sizes.length; k++) {
      const bs = sizes[k];
      const lime = new ImageLimeExplainer({
        numSamples: 1000,
        seed: r,
        batchSize: bs,
        slic: { nSegments: 50 },
        baseline: [0, 0, 0],
      });
      let c = cpuMs();
      await lime.explain(image, async (batch) =>
        tf.tidy(() => {
          const flat = new Float32Array(batch.length * 784);
          batch.forEach((b, i) => {
            for (let p = 0; p < 784; p++)
              flat[i * 784 + p] = (b.data[3 * p] + b.data[3 * p + 1] + b.data[3 * p + 2]) / 3;
          });
          return predictBatches(
            cnn,
            tf.tensor4d(flat, [batch.length, 28, 28, 1]),
            bs,
          ).arraySync() as number[][];
        }),
      );
      cost[k].image.push(cpuMs() - c);
      c = cpuMs();
      tf.tidy(() => predictBatches(mlp, rows, bs).dataSync());
      cost[k].rows.push(cpuMs() - c);
    }
  }
  console.log('\nInference batch size (current code), CPU ms, median:\n');
  console.log(`| batch size | ${sizes.join(' | ')} |`);
  console.log(`| --- | ${sizes.map(() => '---:').join(' | ')} |`);
  console.log(
    `| image LIME explanation (small-cnn, 1000 samples) | ${cost.map((c) => median(c.image).toFixed(0)).join(' | ')} |`,
  );
  console.log(
    `| 1000 tabular rows (mlp) | ${cost.map((c) => median(c.rows).toFixed(1)).join(' | ')} |`,
  );
  rows.dispose();
  cnn.dispose();
  mlp.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
