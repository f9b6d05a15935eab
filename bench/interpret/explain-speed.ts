/**
 * Explanations per second (issue 20, "inference in bulk"): the explain and normlime job
 * handlers run in-process through the registry's own predict adapter on a zoo small-cnn
 * (28x28x1, Fashion-MNIST) and a zoo mlp (breast cancer, 30 features), 1000 perturbations per
 * explanation, plus a phase profile (predict vs the rest, SLIC, PNG) and tf.profile's top kernels.
 *
 *   node -r @swc-node/register bench/interpret/explain-speed.ts [--baseline <git rev>]
 *     [--rounds 2] [--quick]
 *
 * With --baseline, the same harness also runs the code of that revision (a detached
 * `git worktree` under /tmp sharing this checkout's node_modules), alternating the two sides in
 * fresh processes round by round so machine load hits both alike; the table gives the median of
 * each side and the ratio, and the explanations of both sides are compared (same seeds: the
 * weights must agree to 1e-6). Fixtures (trained models, data) are built once under
 * /tmp/autodl-explain-speed and reused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runChild, WORKLOADS, type ChildResult } from './explain-speed-child';

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

/** A detached worktree of `rev` sharing this checkout's node_modules. */
function baselineTree(rev: string): string {
  const sha = execFileSync('git', ['-C', repo, 'rev-parse', '--short', rev]).toString().trim();
  const dir = path.join(os.tmpdir(), `autodl-explain-speed-${sha}`);
  if (!fs.existsSync(dir)) {
    execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', dir, sha], { stdio: 'ignore' });
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  }
  return dir;
}

function runSide(root: string, side: string): ChildResult {
  const out = spawnSync(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      __filename,
      '--child',
      root,
      '--side',
      side,
      ...(quick ? ['--quick'] : []),
    ],
    { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
  if (out.status !== 0 || !line) throw new Error(`${side} failed:\n${out.stdout}\n${out.stderr}`);
  return JSON.parse(line) as ChildResult;
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

function printProfile(r: ChildResult): void {
  console.log(`\nPhase profile (${r.side}), ms per explanation, 1000 samples:\n`);
  for (const [k, v] of Object.entries(r.profile)) console.log(`    ${k.padEnd(44)} ${v.toFixed(1)}`);
  console.log(`  tf.profile, one image explanation: ${r.kernels.map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`).join(', ')}`);
}

async function main(): Promise<void> {
  const child = value('--child');
  if (child) {
    const r = await runChild(child, FIXTURES, value('--side') ?? 'current', quick);
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  await buildFixtures();
  const rev = value('--baseline');
  const rounds = Number(value('--rounds') ?? (quick ? 1 : 2));
  const sides: [string, string][] = rev
    ? [
        [`baseline ${rev}`, baselineTree(rev)],
        ['current', repo],
      ]
    : [['current', repo]];
  const results = new Map<string, ChildResult[]>(sides.map(([s]) => [s, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const [side, root] of order) {
      const r = runSide(root, side);
      results.get(side)!.push(r);
      console.error(
        `round ${round + 1} ${side}: ${r.workloads.map((w) => `${w.perSecond.toFixed(2)}/s`).join(' ')}`,
      );
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(
    `# Explanations per second (issue 20)\n\n${new Date().toISOString()}, ${cpu}, ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, node ${process.version}, wasm backend, ${rounds} round(s), median\n`,
  );
  const names = WORKLOADS(quick).map((w) => w.name);
  const header = sides.map(([s]) => `${s} expl/s`);
  console.log(`| workload | instances | ${header.join(' | ')} |${rev ? ' ratio | loads/disposals per job |' : ' loads/disposals per job |'}`);
  console.log(`| --- | ---: | ${header.map(() => '---:').join(' | ')} | ---: |${rev ? ' ---: |' : ''}`);
  names.forEach((name, i) => {
    const per = sides.map(([s]) => median(results.get(s)!.map((r) => r.workloads[i].perSecond)));
    const last = results.get(sides[sides.length - 1][0])!.at(-1)!.workloads[i];
    const lds = sides
      .map(([s]) => {
        const w = results.get(s)!.at(-1)!.workloads[i];
        return `${w.loads}/${w.disposals}`;
      })
      .join(' vs ');
    const ratio = rev ? ` ${(per[1] / per[0]).toFixed(2)}x |` : '';
    console.log(
      `| ${name} | ${WORKLOADS(quick)[i].instances} | ${per.map((p) => p.toFixed(2)).join(' | ')} |${ratio} ${lds} |`,
    );
    void last;
  });
  for (const [s] of sides) printProfile(results.get(s)!.at(-1)!);
  if (rev) {
    const a = results.get(sides[0][0])![0].explanations;
    const b = results.get('current')![0].explanations;
    console.log('\nSame seeds, largest difference between the two sides (NaN: different shape):');
    for (const name of names) console.log(`  ${name}: ${maxDiff(a[name], b[name]).toExponential(2)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
