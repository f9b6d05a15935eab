/**
 * End-to-end speed of the simulator against SimPy 2 (Debian python3-simpy, /usr/bin/python3) on
 * the same M/M/12 (lambda = 1080/s, exponential service of mean 10 ms, load 0.9), side by side in
 * one run. End to end on both sides: build the model, simulate every arrival in [0, duration),
 * drain, and report the latency percentiles (SimPy sorts its latency list; we summarise ours).
 * Each side runs `--repeat` times (default 3), interleaved; the ratio is of the median CPU times
 * (user + system of each process, which a loaded shared machine disturbs far less than wall
 * time); the median wall times are printed beside them.
 * Usage: node -r @swc-node/register bench/jizhi-sim/vs-simpy.ts [--duration 1000] [--repeat 3]
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { simulate } from '../../src/jizhi-sim/core/prepare-simulation';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const durationS = arg('duration', 1000);
const repeat = arg('repeat', 3);
const rateRps = 1080;
const serviceMs = 10;
const servers = 12;

interface Run {
  wallS: number;
  cpuS: number;
  completed: number;
  p50Ms: number;
  p99Ms: number;
}

function ours(seed: number): Run {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = simulate({
    pipeline: {
      stages: [
        { id: 'mmc', instances: servers, service: { dist: 'exponential', fixedMs: serviceMs } },
      ],
    },
    traffic: { model: 'poisson', rateRps },
    durationS,
    seed,
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  return {
    wallS,
    cpuS,
    completed: r.requests.completed,
    p50Ms: r.latencyMs.p50,
    p99Ms: r.latencyMs.p99,
  };
}

function simpy(seed: number): Run {
  const script = path.join(__dirname, 'simpy_mmc.py');
  const out = execFileSync(
    '/usr/bin/python3',
    [
      script,
      String(rateRps),
      String(serviceMs / 1000),
      String(servers),
      String(durationS),
      String(seed),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as Run;
}

const median = (xs: number[]): number =>
  xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

ours(99); // warm the JIT, as SimPy's bytecode is compiled before its clock starts
const a: Run[] = [];
const b: Run[] = [];
for (let k = 0; k < repeat; k++) {
  // Interleaved, so both sides see the same load on a shared machine.
  a.push(ours(k + 1));
  b.push(simpy(k + 1));
}
const ta = median(a.map((x) => x.cpuS));
const tb = median(b.map((x) => x.cpuS));
const wa = median(a.map((x) => x.wallS));
const wb = median(b.map((x) => x.wallS));
console.log(
  `M/M/${servers}, lambda ${rateRps}/s, service exp(${serviceMs} ms), ${durationS} s simulated, median of ${repeat}`,
);
console.log(
  `| simulator | requests | p50 ms | p99 ms | CPU s (median) | wall s (median) | requests per CPU s |`,
);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
for (const [name, runs, t, w] of [
  ['jizhi-sim (this repo)', a, ta, wa],
  ['SimPy 2.3 (python3)', b, tb, wb],
] as const) {
  const r = runs[0];
  console.log(
    `| ${name} | ${r.completed} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${t.toFixed(3)} | ${w.toFixed(3)} | ${Math.round(r.completed / t)} |`,
  );
}
console.log(
  `\nspeed-up end to end: ${(tb / ta).toFixed(1)}x SimPy in CPU time (${(wb / wa).toFixed(1)}x in wall time)`,
);
