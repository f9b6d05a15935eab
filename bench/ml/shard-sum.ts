/**
 * The main thread's sum of the shards' gradients between steps (sharded-step.ts, issue 20):
 * the accumulation loop of session 9 against `weightedShardSum` (shard-sum.ts), side by side in
 * one process on the bench nets' trainable variables, 2 shards of 16 rows: CPU per step, and
 * the two results bitwise compared.
 *
 *   nice -n 10 node -r @swc-node/register bench/ml/shard-sum.ts [--rounds 5] [--steps 400]
 */
import { buildBenchNet } from './bench-nets';
import { weightedShardSum } from '../../src/ml/train/shard-sum';

const args = process.argv.slice(2);
const value = (name: string, fallback: string): number => {
  const i = args.indexOf(`--${name}`);
  return Number(i >= 0 ? args[i + 1] : fallback);
};
const rounds = value('rounds', '5');
const steps = value('steps', '400');

/** Session 9's loop (sharded-step.ts before session 10). */
function before(parts: Float32Array[], weights: number[], sizes: number[]): Float32Array[] {
  const out: Float32Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    const g = new Float32Array(size);
    parts.forEach((part, s) => {
      const w = weights[s];
      for (let k = 0; k < size; k++) g[k] += w * part[offset + k];
    });
    out.push(g);
    offset += size;
  }
  return out;
}

function after(parts: Float32Array[], weights: number[], sizes: number[]): Float32Array[] {
  const out: Float32Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(weightedShardSum(parts, weights, offset, size));
    offset += size;
  }
  return out;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

for (const net of ['small-cnn', 'bn-cnn']) {
  const model = buildBenchNet(net);
  const sizes = model.trainableWeights.map((w) => w.read().size);
  model.dispose();
  const total = sizes.reduce((a, b) => a + b, 0);
  let seed = 1;
  const random = (): number => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  const parts = [0, 1].map(() => Float32Array.from({ length: total }, random));
  const weights = [17 / 32, 15 / 32];
  const times: Record<string, number[]> = { before: [], after: [] };
  let equal = true;
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of (r % 2 === 0
      ? [
          ['before', before],
          ['after', after],
        ]
      : [
          ['after', after],
          ['before', before],
        ]) as [string, typeof before][]) {
      for (let i = 0; i < 20; i++) f(parts, weights, sizes);
      const c0 = cpuMs();
      for (let i = 0; i < steps; i++) f(parts, weights, sizes);
      times[name].push((cpuMs() - c0) / steps);
    }
    const a = before(parts, weights, sizes);
    const b = after(parts, weights, sizes);
    equal &&= a.every((g, i) => Buffer.from(g.buffer).equals(Buffer.from(b[i].buffer)));
  }
  const b = median(times.before);
  const a = median(times.after);
  console.log(
    `${net} (${total} trained values, 2 shards): ${b.toFixed(3)} -> ${a.toFixed(3)} ms CPU per step (${(b / a).toFixed(2)}x), bitwise equal: ${equal}`,
  );
}
