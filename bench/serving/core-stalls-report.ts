/**
 * The core stalls (src/serving/core/core-stalls.ts) of every traced run of a figure recording:
 * events, their rate per second and their lengths, for the calibrations and each measured run.
 * It shows how few a 10-s calibration holds and how their count varies between repeats of one
 * rate (docs/benchmarks.md, session 14).
 *
 *   node --max-old-space-size=6000 -r @swc-node/register bench/serving/core-stalls-report.ts rec.json
 */
import { readFileSync } from 'node:fs';
import { fitCoreStalls } from '../../src/serving/core/core-stalls';
import type { TimelineStamps } from '../../src/serving/core/request-timeline';

interface Traced {
  timeline: { stamps: TimelineStamps[] };
}
interface Recording {
  model: string;
  calRate: number;
  cal: Traced;
  cal2Rate?: number;
  cal2?: Traced;
  runs: { rho: number; rateRps: number; m: Traced }[];
}

const path = process.argv[2];
if (!path) throw new Error('usage: core-stalls-report.ts recording.json');
const recordings = JSON.parse(readFileSync(path, 'utf8')) as Recording[];
console.log(
  '| model | run | rate (req/s) | window (s) | events | per second | mean / min length (ms) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const rec of recordings) {
  const runs: [string, number, Traced][] = [
    ['calibration', rec.calRate, rec.cal],
    ...(rec.cal2 && rec.cal2Rate
      ? [['calibration 2', rec.cal2Rate, rec.cal2] as [string, number, Traced]]
      : []),
    ...rec.runs.map((r): [string, number, Traced] => [`rho ${r.rho}`, r.rateRps, r.m]),
  ];
  for (const [label, rate, m] of runs) {
    const f = fitCoreStalls(m.timeline.stamps);
    const len = f.count > 0 ? `${f.meanMs.toFixed(1)} / ${f.minMs.toFixed(1)}` : '-';
    console.log(
      `| ${rec.model} | ${label} | ${rate.toFixed(0)} | ${f.windowS.toFixed(1)} | ${f.count} | ${f.perSecond.toFixed(2)} | ${len} |`,
    );
  }
}
