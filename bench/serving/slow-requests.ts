/**
 * Which requests make a run's p99, from a recording of bench/serving/predicted-vs-measured-http.ts
 * (`--record`) and the pause logs of bench/serving/pause-log.ts taken during it: per measured run,
 * the share of the requests at or above the p99 whose life (scheduled -> latency recorded)
 * overlapped a GC pause of the generator (the bench process's main thread), of the API's main
 * thread, or of the API's instance thread, against the share of all requests (the chance
 * overlap). A cause of the tail shows as a share far above its chance.
 *
 *   node -r @swc-node/register bench/serving/slow-requests.ts run.json pause-dir
 */
import { readdirSync, readFileSync } from 'node:fs';
import { quantileSorted } from '../../src/serving/core/open-loop';
import type { CalibrationTrace } from '../../src/serving/core/request-path-calibration';

type Run = { timeline: { stamps: CalibrationTrace[] } };
interface Recording {
  model: string;
  calRate: number;
  cal: Run;
  cal2Rate?: number;
  cal2?: Run;
  runs: { rho: number; rateRps: number; m: Run }[];
  tuned: { rateRps: number; m?: Run };
}

const [recPath, dir] = process.argv.slice(2);
const recs = JSON.parse(readFileSync(recPath, 'utf8')) as Recording[];
// Pauses [start, end] by process: GEN (the bench), API (its main thread), INSTANCE (its workers).
const pauses: Record<'GEN' | 'API' | 'INSTANCE', [number, number][]> = {
  GEN: [],
  API: [],
  INSTANCE: [],
};
for (const f of readdirSync(dir)) {
  const lines = readFileSync(`${dir}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as {
          kind: string;
          script?: string;
          tag?: string;
          main?: boolean;
          t?: number;
          d?: number;
        },
    );
  const start = lines.find((l) => l.kind === 'start');
  if (!start) continue;
  const who = (start.script ?? start.tag) === 'main.ts' ? 'API' : start.main ? 'GEN' : 'INSTANCE';
  // The bench's own worker threads (the profile's instance) are idle during the runs.
  for (const l of lines)
    if (l.kind === 'gc' && l.t !== undefined && l.d !== undefined)
      pauses[who].push([l.t, l.t + l.d]);
}
for (const list of Object.values(pauses)) list.sort((a, b) => a[0] - b[0]);
const overlaps = (list: [number, number][], a: number, b: number) =>
  list.some(([x, y]) => x < b && y > a);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

console.log(
  '| model | run | rate | p50 / p99 (ms) | at or above the p99: GC of the generator / API / instance / any | all requests: any |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const rec of recs) {
  const runs: [string, number, Run | undefined][] = [
    ['calibration', rec.calRate, rec.cal],
    ['calibration 2', rec.cal2Rate ?? 0, rec.cal2],
    ...rec.runs.map((r): [string, number, Run] => [`rho ${r.rho}`, r.rateRps, r.m]),
    ['tuned', rec.tuned.rateRps, rec.tuned.m],
  ];
  for (const [name, rate, m] of runs) {
    if (!m || m.timeline.stamps.length === 0) continue;
    const st = m.timeline.stamps;
    const lat = Float64Array.from(st, (s) => s.recorded - s.scheduled).sort();
    const p99 = quantileSorted(lat, 0.99);
    const slow = st.filter((s) => s.recorded - s.scheduled >= p99);
    const share = (set: CalibrationTrace[], who?: keyof typeof pauses) =>
      set.filter((s) =>
        (who ? [who] : (['GEN', 'API', 'INSTANCE'] as const)).some((w) =>
          overlaps(pauses[w], s.scheduled, s.recorded),
        ),
      ).length / set.length;
    console.log(
      `| ${rec.model} | ${name} | ${rate.toFixed(0)} | ${quantileSorted(lat, 0.5).toFixed(1)} / ${p99.toFixed(1)} | ${pct(share(slow, 'GEN'))} / ${pct(share(slow, 'API'))} / ${pct(share(slow, 'INSTANCE'))} / ${pct(share(slow))} | ${pct(share(st))} |`,
    );
  }
}
