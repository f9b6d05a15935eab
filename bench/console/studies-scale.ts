/**
 * Study page at scale: studies with 1k, 10k and 100k trials are bulk-inserted through the storage
 * (insertTrialsBulk), then the console's study page is opened in headless Chromium (Debian's
 * chromium, launched by the browser tests' helper) with a cold cache, and we measure first
 * contentful paint, the trials table shown, time to interactive (history chart drawn and the
 * trials table's first page shown, from navigation start) and bytes transferred (encoded, all
 * requests). Also EXPLAIN ANALYZE of the aggregation queries at the largest size. Target
 * (issue 13): interactive < 2 s at 100k.
 *
 * `--baseline <git rev>` also serves that revision (its console and API, bench/console/
 * baseline-server.ts) on the same database and alternates page loads between the two, so the
 * before/after numbers come from one run under the same machine load.
 *
 * Usage: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *        node -r @swc-node/register bench/console/studies-scale.ts \
 *          [--sizes 1000,10000,100000] [--runs 3] [--baseline <rev>]
 */
import * as os from 'node:os';
import type { Browser } from 'playwright-core';
import { openDataSource } from '../../src/platform/database/data-source';
import { BulkTrial, insertTrialsBulk } from '../../src/search/storage/bulk-trials';
import { plotBins } from '../../src/search/core/plot-bins';
import { startTestApp } from '../../test/support/app';
import { ensureConsoleBuilt, launchBrowser } from '../../test/support/console';
import { startBaselineServer } from './baseline-server';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const SIZES = arg('--sizes', '1000,10000,100000').split(',').map(Number);
const RUNS = Number(arg('--runs', '3'));
const BASELINE = arg('--baseline', '');
const SPACE = {
  x: { type: 'float', low: -5, high: 5 },
  lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
  layers: { type: 'int', low: 1, high: 8 },
  opt: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
};
const DISTS = {
  x: { type: 'float' as const, low: -5, high: 5, log: false },
  lr: { type: 'float' as const, low: 1e-5, high: 1e-1, log: true },
  layers: { type: 'int' as const, low: 1, high: 8, log: false, step: 1 },
  opt: { type: 'categorical' as const, choices: ['adam', 'sgd', 'rmsprop'] },
};

/** Deterministic synthetic trials (LCG): a noisy bowl, 10% pruned with learning curves. */
function synthetic(n: number): BulkTrial[] {
  let s = 12345;
  const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  return Array.from({ length: n }, (_, i) => {
    const x = r() * 10 - 5;
    const lr = Math.exp(Math.log(1e-5) + r() * (Math.log(1e-1) - Math.log(1e-5)));
    const layers = 1 + Math.floor(r() * 8);
    const opt = ['adam', 'sgd', 'rmsprop'][Math.floor(r() * 3)];
    const value = (x - 1) ** 2 + (Math.log10(lr) + 3) ** 2 + 0.1 * layers + r();
    const pruned = i % 10 === 9;
    return {
      number: i,
      state: pruned ? 'pruned' : 'complete',
      values: pruned ? null : [value],
      params: { x, lr, layers, opt },
      intermediate: pruned || i % 50 === 0 ? [value * 3, value * 2, value * 1.5] : [],
      startedAt: new Date(t0 + i * 2000),
      finishedAt: new Date(t0 + i * 2000 + 1500 + Math.floor(r() * 1000)),
    };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Variant {
  name: string;
  url: string;
}

interface Load {
  fcp: number;
  table: number;
  tti: number;
  bytes: number;
}

/** One cold-cache load of the study page (a fresh browser context: no cache, no session). */
async function load(browser: Browser, url: string, key: string, studyId: string): Promise<Load> {
  const context = await browser.newContext();
  try {
    await context.addInitScript({
      content: `sessionStorage.setItem('autodl.apiKey', ${JSON.stringify(key)})`,
    });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => (bytes += e.encodedDataLength));
    await page.goto(`${url}/studies/${studyId}`);
    await page.waitForSelector('[data-testid="history-chart"][data-rendered="true"]', {
      timeout: 60_000,
    });
    await page.waitForSelector('[data-testid="trials-table"] tbody tr', { timeout: 60_000 });
    // Marks the page sets when the history is drawn and the first trials page is shown.
    const [drawn, table, fcp] = (await page.evaluate(`[
      'studies:history-drawn',
      'studies:trials-shown',
      'first-contentful-paint',
    ].map((m) => performance.getEntriesByName(m)[0]?.startTime ?? NaN)`)) as number[];
    // The plots below the fold load before the next page load starts (they would compete).
    await page.waitForFunction(
      `document.querySelectorAll('figure.chart > div').length > 2 &&
       document.querySelectorAll('figure.chart > div:not([data-rendered])').length === 0`,
      undefined,
      { timeout: 60_000 },
    );
    if (process.env.BENCH_DEBUG) {
      // Every request's start and end (ms from navigation start), then the page's marks.
      const entries = (await page.evaluate(
        `performance.getEntriesByType('resource').map((e) => [e.startTime, e.responseEnd, e.name])
           .concat(performance.getEntriesByType('mark').map((e) => [e.startTime, e.startTime, e.name]))`,
      )) as [number, number, string][];
      for (const [start, end, name] of entries.sort((a, b) => a[0] - b[0]))
        console.log(`  ${start.toFixed(0)}-${end.toFixed(0)} ms ${name.replace(url, '')}`);
    }
    return { fcp, table, tti: Math.max(drawn, table), bytes };
  } finally {
    await context.close();
  }
}

async function main() {
  await ensureConsoleBuilt();
  const app = await startTestApp({ workers: 0, coordinators: 0 });
  const ds = await openDataSource(app.databaseUrl, 2);
  const baseline = BASELINE ? await startBaselineServer(BASELINE, app.databaseUrl) : null;
  const browser = await launchBrowser();
  const variants: Variant[] = [
    ...(baseline ? [{ name: `before (${baseline.rev})`, url: baseline.url }] : []),
    { name: baseline ? 'after' : 'this build', url: app.url },
  ];
  const rows: string[] = [];
  let largest = '';
  try {
    for (const size of SIZES) {
      const id = (
        await app.post('/v1/studies', { name: `scale-${size}`, space: SPACE }).expect(202)
      ).body.id;
      const seeded = Date.now();
      await insertTrialsBulk(ds, id, synthetic(size), DISTS);
      await ds.query('ANALYZE trials; ANALYZE trial_params; ANALYZE trial_intermediate_values');
      const seedMs = Date.now() - seeded;
      largest = id;
      const loads = new Map<string, Load[]>(variants.map((v) => [v.name, []]));
      for (let run = 0; run < RUNS + 1; run++) {
        // Alternate the order so neither variant always follows the other's secondary queries.
        const order = run % 2 === 0 ? variants : [...variants].reverse();
        for (const v of order) {
          const l = await load(browser, v.url, app.key, id);
          // Run 0 warms the server's caches and the OS page cache.
          if (run > 0) loads.get(v.name)!.push(l);
        }
      }
      for (const v of variants) {
        const ls = loads.get(v.name)!;
        const m = (f: (l: Load) => number) => median(ls.map(f)).toFixed(0);
        const line =
          `| ${size.toLocaleString('en')} | ${v.name} | ${(seedMs / 1000).toFixed(1)} s | ` +
          `${m((l) => l.fcp)} ms | ${m((l) => l.table)} ms | ${m((l) => l.tti)} ms | ` +
          `${(median(ls.map((l) => l.bytes)) / 1024).toFixed(0)} KiB |`;
        console.log(line);
        rows.push(line);
      }
    }
    console.log(
      '\n| trials | console | bulk insert | first contentful paint | trials table shown | time to interactive | bytes transferred |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    const [l1] = os.loadavg();
    console.log(
      `\n${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `load average ${l1.toFixed(1)} at the end, ${new Date().toISOString()}; ` +
        `median of ${RUNS} cold-cache page loads per console after a warm-up`,
    );
    await explain(ds, largest);
  } finally {
    await browser.close();
    await baseline?.close();
    await ds.destroy();
    await app.close();
  }
}

/** Plans and timings of the aggregation queries on the largest study. */
async function explain(ds: Awaited<ReturnType<typeof openDataSource>>, id: string) {
  const { StudyAnalyticsRepository } =
    await import('../../src/search/storage/study-analytics.repository');
  const repo = new StudyAnalyticsRepository(ds);
  const timed = async (name: string, f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    console.log(`${name}: ${(performance.now() - t).toFixed(0)} ms`);
  };
  await timed('summary params (loose index scan)', () => repo.paramDistributions(id));
  await timed('best', () => repo.best(id, 0, 'minimize', 1));
  await timed('history points=500', () => repo.history(id, 0, 'minimize', 500));
  await timed('trials page by value, offset 0', () =>
    repo.trialsPage(id, {
      sort: 'value',
      order: 'asc',
      objective: 0,
      filter: [],
      limit: 25,
      offset: 0,
    }),
  );
  await timed('trials page by number, offset 50000', () =>
    repo.trialsPage(id, {
      sort: 'number',
      order: 'asc',
      objective: 0,
      filter: [],
      limit: 25,
      offset: 50000,
    }),
  );
  await timed('slice x, 60 bins', () => repo.sliceBins(id, 'x', plotBins(DISTS.x, 60), 0));
  await timed('contour x×lr, 25 bins', () =>
    repo.contour(
      id,
      { name: 'x', bins: plotBins(DISTS.x, 25) },
      { name: 'lr', bins: plotBins(DISTS.lr, 25) },
      0,
      'minimize',
    ),
  );
  await timed('parallel top 50 + 300', () => repo.parallel(id, 0, 'minimize', 50, 300));
  await timed('edf 200', () => repo.edf(id, 0, 200));
  await timed('timeline 300', () => repo.timeline(id, 300));
  await timed('intermediate 50', () => repo.intermediate(id, 50));
  for (const [name, sql] of [
    [
      'best',
      `SELECT number FROM trials WHERE study_id = $1 AND state = 'complete' AND values[1] NOT IN ('NaN','Infinity','-Infinity') ORDER BY values[1] LIMIT 1`,
    ],
    [
      'params loose scan',
      `SELECT name FROM trial_params WHERE study_id = $1 AND name > 'lr' ORDER BY name LIMIT 1`,
    ],
  ] as const) {
    const plan: { 'QUERY PLAN': string }[] = await ds.query(`EXPLAIN (ANALYZE, COSTS OFF) ${sql}`, [
      id,
    ]);
    console.log(`\nEXPLAIN ${name}:\n${plan.map((p) => p['QUERY PLAN']).join('\n')}`);
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
