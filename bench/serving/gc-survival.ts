/**
 * What the API's predict path leaves to the garbage collector (issue 17): the real API in a
 * child process with V8's `--trace-gc-nvp`, one deployment, an open-loop Poisson load of binary
 * predicts at a fixed rate, then per 1000 requests: scavenges, bytes promoted to the old
 * generation, mark-compacts, and the pauses. The mark-compact bursts that make the p99 over
 * HTTP (docs/benchmarks.md, "The lead's quiet run with the GC pauses") come from what the
 * scavenges promote, so this is the figure a change to the request path must move.
 *
 *   node -r @swc-node/register bench/serving/gc-survival.ts [--rate 600] [--seconds 20]
 *        [--model small-cnn] [--path serve|deployments] [--api-root checkout] [--gc-log file]
 *
 * `--api-root` runs another checkout's API (a worktree of an older commit: before and after in
 * one sitting). The first quarter of the run warms up and is not counted.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runOpenLoop, systemClock } from '../../src/serving/core/open-loop';
import { poissonSchedule } from '../../src/serving/core/poisson-schedule';
import { httpRowsTarget } from '../../src/serving/loop/load-targets';
import { deployBenchModel, mainThreadCpuMs, startApiServer } from './http-server';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const rate = Number(flag('rate') ?? 600);
const seconds = Number(flag('seconds') ?? 20);
const modelName = flag('model') ?? 'small-cnn';
const route = flag('path') ?? 'serve';

/** One `--trace-gc-nvp` line: its time (ms since the isolate started) and name=value pairs. */
interface GcEvent {
  isolate: string;
  atMs: number;
  allocated: number;
  kind: string;
  pauseMs: number;
  promoted: number;
}

function parseNvp(text: string): GcEvent[] {
  const events: GcEvent[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[\d+:(\w+)\]\s+(\d+) ms: pause=([\d.]+) .*?gc=(\w+)/.exec(line);
    if (!m) continue;
    const field = (name: string) => Number(new RegExp(` ${name}=(\\d+)`).exec(line)?.[1] ?? 0);
    events.push({
      isolate: m[1],
      atMs: Number(m[2]),
      pauseMs: Number(m[3]),
      kind: m[4],
      allocated: field('allocated'),
      promoted: field('promoted'),
    });
  }
  return events;
}

async function main(): Promise<void> {
  // --gc-log FILE keeps V8's lines (else a temporary file, removed at the end).
  const gcLog = flag('gc-log') ?? path.join(tmpdir(), `gc-survival-${process.pid}.log`);
  process.env.BENCH_API_STDOUT = gcLog;
  process.env.BENCH_API_NODE_ARGS = `${process.env.BENCH_API_NODE_ARGS ?? ''} --trace-gc-nvp`;
  const api = await startApiServer({ root: flag('api-root') });
  try {
    const dep = await deployBenchModel(api, modelName);
    const size = dep.inputSize;
    const url =
      route === 'serve'
        ? `${api.url}/v1/serve/bench/predict`
        : `${api.url}/v1/deployments/${dep.id}/predict`;
    const row = Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 997) / 997);
    const target = httpRowsTarget(url, row, { headers: { authorization: `Bearer ${api.key}` } });
    const warm = poissonSchedule(rate, Math.max(2, seconds / 4), 7);
    await runOpenLoop(warm, target, systemClock);
    const before = parseNvp(await readFile(gcLog, 'utf8').catch(() => '')).length;
    const cpu0 = await mainThreadCpuMs(api.pid);
    const report = await runOpenLoop(poissonSchedule(rate, seconds, 11), target, systemClock);
    const cpu = (await mainThreadCpuMs(api.pid)) - cpu0;
    await new Promise((r) => setTimeout(r, 500));
    const all = parseNvp(await readFile(gcLog, 'utf8'));
    // The main thread's isolate starts first; the instances' worker isolates come later.
    const events = all.slice(before).filter((e) => e.isolate === all[0]?.isolate);
    const per1000 = (n: number) => (1000 * n) / Math.max(1, report.ok);
    const scav = events.filter((e) => e.kind === 's');
    const major = events.filter((e) => e.kind === 'ms' || e.kind === 'mc');
    const promoted = scav.reduce((a, e) => a + e.promoted, 0);
    const allocated = events.reduce((a, e) => a + e.allocated, 0);
    const sum = (xs: GcEvent[]) => xs.reduce((a, e) => a + e.pauseMs, 0);
    const max = (xs: GcEvent[]) => xs.reduce((a, e) => Math.max(a, e.pauseMs), 0);
    console.log(
      `gc-survival: ${modelName}, ${route} route, ${rate} req/s x ${seconds} s (open loop), node ${process.version}`,
    );
    console.log(
      `served ${report.ok} (dropped ${report.scheduled - report.ok}), p50 / p99 ${report.latencyMs.p50.toFixed(2)} / ${report.latencyMs.p99.toFixed(2)} ms, API main-thread CPU ${(cpu / Math.max(1, report.ok)).toFixed(3)} ms per request`,
    );
    console.log(
      '| per 1000 requests | KB allocated | scavenges | KB promoted | major GCs | GC pause ms (longest) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(
      `| ${route} | ${per1000(allocated / 1024).toFixed(0)} | ${per1000(scav.length).toFixed(2)} | ${per1000(promoted / 1024).toFixed(0)} | ${per1000(major.length).toFixed(3)} | ${per1000(sum(events)).toFixed(1)} (${max(events).toFixed(1)}) |`,
    );
  } finally {
    await api.stop();
    if (!flag('gc-log')) await rm(gcLog, { force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
