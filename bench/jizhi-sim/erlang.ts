/**
 * Error of the simulated M/M/c mean wait and P(wait) against the Erlang C formula over (c, load).
 * Usage: node -r @swc-node/register bench/jizhi-sim/erlang.ts [--quick]
 */
import { simulate } from '../../src/jizhi-sim/core/prepare-simulation';
import { erlangC } from '../../test/support/queueing';

const quick = process.argv.includes('--quick');
const requests = quick ? 300_000 : 2_000_000;

const serviceMs = 10;
console.log(
  `${requests} requests per cell, service exponential mean ${serviceMs} ms, seed = cell number\n`,
);
console.log(
  '| c | load | P(wait) Erlang C | P(wait) sim | err % | Wq ms Erlang C | Wq ms sim | err % |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
let worst = 0;
let cell = 0;
for (const c of [1, 2, 4, 8, 16]) {
  for (const rho of [0.5, 0.7, 0.8, 0.9]) {
    const mu = 1000 / serviceMs;
    const lambda = rho * c * mu;
    const pw = erlangC(c, lambda / mu);
    const wq = (1000 * pw) / (c * mu - lambda);
    const r = simulate({
      pipeline: {
        stages: [{ id: 's', instances: c, service: { dist: 'exponential', fixedMs: serviceMs } }],
      },
      traffic: { model: 'poisson', rateRps: lambda },
      durationS: requests / lambda,
      // About 100 relaxation times 1 / (1 - load) in service times, at most a tenth of the run.
      warmupS: Math.min((100 / (1 - rho)) * (serviceMs / 1000), requests / lambda / 10),
      seed: ++cell,
      samplePoints: 0,
    });
    const s = r.stages[0];
    const e1 = (100 * (s.waitedFraction - pw)) / pw;
    const e2 = (100 * (s.meanWaitMs - wq)) / wq;
    worst = Math.max(worst, Math.abs(e1), Math.abs(e2));
    console.log(
      `| ${c} | ${rho} | ${pw.toFixed(4)} | ${s.waitedFraction.toFixed(4)} | ${e1.toFixed(2)} | ${wq.toFixed(3)} | ${s.meanWaitMs.toFixed(3)} | ${e2.toFixed(2)} |`,
    );
  }
}
console.log(`\nworst absolute error: ${worst.toFixed(2)} %`);
