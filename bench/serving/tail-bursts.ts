/**
 * Is a run's p99 ordinary queueing or a few bursts? On a recording of the predicted-vs-measured
 * figure (`predicted-vs-measured-http.ts --record file.json`), per run: the slowest 1% of the
 * traced requests, how many 100-ms windows of the run they fall in (diffuse queueing spreads
 * them over dozens; a stall puts them in a handful), their mean time per segment
 * (request-timeline.ts), and the stalls: moments where a request waited over `--stall-ms` (12)
 * in the socket before the API read it, or a batch's result waited that long to be read
 * (service minus compute), at most one listed per 200 ms.
 *
 *   node --max-old-space-size=4000 -r @swc-node/register bench/serving/tail-bursts.ts runs.json [--stall-ms 12]
 */
import { readFileSync } from 'node:fs';
import {
  segmentsOf,
  TIMELINE_SEGMENTS,
  TimelineStamps,
} from '../../src/serving/core/request-timeline';

const argv = process.argv.slice(2);
const file = argv.find((a) => !a.startsWith('--'));
const stallAt = argv.indexOf('--stall-ms');
const stallMs = stallAt >= 0 ? Number(argv[stallAt + 1]) : 12;
if (!file) {
  console.error('usage: tail-bursts.ts recording.json [--stall-ms 12]');
  process.exit(2);
}

/** The part of a figure recording read here (predicted-vs-measured-http.ts ModelRecording). */
interface Recording {
  model: string;
  runs: { rho: number; m: { timeline: { stamps: TimelineStamps[] } } }[];
}

const recordings = JSON.parse(readFileSync(file, 'utf8')) as Recording[];
console.log(
  '| model | rho | p99 (ms) | tail requests | in 100-ms windows | tail mean by segment (ms) | stalls over ' +
    `${stallMs} ms: s into the run (socket wait w, result wait h) |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const rec of recordings) {
  for (const run of rec.runs) {
    const stamps = run.m.timeline.stamps;
    if (stamps.length === 0) continue;
    const latency = (s: TimelineStamps) => s.recorded - s.scheduled;
    const sorted = stamps.map(latency).sort((a, b) => a - b);
    const p99 = sorted[Math.floor(0.99 * sorted.length)];
    const tail = stamps.filter((s) => latency(s) >= p99);
    const t0 = Math.min(...stamps.map((s) => s.scheduled));
    const windows = new Set(tail.map((s) => Math.floor((s.scheduled - t0) / 100)));
    const mean = Object.fromEntries(TIMELINE_SEGMENTS.map((x) => [x.id, 0]));
    for (const s of tail) {
      const seg = segmentsOf(s);
      for (const x of TIMELINE_SEGMENTS) mean[x.id] += seg[x.id] / tail.length;
    }
    const stalls: string[] = [];
    let last = -Infinity;
    for (const s of stamps.slice().sort((a, b) => a.sent - b.sent)) {
      const w = s.arrived - s.sent;
      const h = s.serviceMs - s.computeMs;
      if ((w > stallMs || h > stallMs) && s.sent - last > 200) {
        stalls.push(`${((s.sent - t0) / 1000).toFixed(2)} (w ${w.toFixed(0)}, h ${h.toFixed(0)})`);
        last = s.sent;
      }
    }
    const segText = TIMELINE_SEGMENTS.filter((x) => mean[x.id] >= 0.5)
      .map((x) => `${x.id} ${mean[x.id].toFixed(1)}`)
      .join(', ');
    const shown = stalls.length > 12 ? [...stalls.slice(0, 12), '...'] : stalls;
    console.log(
      `| ${rec.model} | ${run.rho} | ${p99.toFixed(2)} | ${tail.length} of ${stamps.length} | ${windows.size} | ${segText} | ${stalls.length}: ${shown.join(', ')} |`,
    );
  }
}
