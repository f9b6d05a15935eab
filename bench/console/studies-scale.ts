/**
 * Study page at scale: studies with 1k, 10k and 100k trials are bulk-inserted through the storage
 * (insertTrialsBulk), then the console's study page is opened in headless Chromium (Debian's
 * /usr/bin/chromium via playwright-core) with a cold cache, and we measure first contentful
 * paint, time to interactive (history chart rendered and the trials table's first page shown,
 * from navigation start) and bytes transferred (encoded, all requests). Also EXPLAIN ANALYZE of
 * the aggregation queries at the largest size. Target (issue 13): interactive < 2 s at 100k.
 *
 * Usage: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *        node -r @swc-node/register bench/console/studies-scale.ts [--sizes 1000,10000,100000] [--runs 3]
 * Needs console/dist (npm run build:console).
 */
import * as os from 'node:os';
import { chromium } from 'playwright-core';
import { openDataSource } from '../../src/platform/database/data-source';
import { BulkTrial, insertTrialsBulk } from '../../src/search/storage/bulk-trials';
import { startTestApp } from '../../test/support/app';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const SIZES = arg('--sizes', '1000,10000,100000').split(',').map(Number);
const RUNS = Number(arg('--runs', '3'));
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
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

async function main() {
  const app = await startTestApp({ workers: 0, coordinators: 0 });
  const ds = await openDataSource(app.databaseUrl, 2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
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
      const fcp: number[] = [];
      const tti: number[] = [];
      const bytes: number[] = [];
      for (let run = 0; run < RUNS + 1; run++) {
        const context = await browser.newContext();
        await context.addInitScript({
          content: `sessionStorage.setItem('autodl.apiKey', ${JSON.stringify(app.key)})`,
        });
        // Until GET /v1/whoami lands (h/c-core) the session's identity check is answered here.
        await context.route('**/v1/whoami', (route) =>
          route.fulfill({ json: { project: 'default', role: 'admin' } }),
        );
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        let transferred = 0;
        cdp.on('Network.loadingFinished', (e) => (transferred += e.encodedDataLength));
        const started = Date.now();
        if (process.env.BENCH_DEBUG)
          page.on('requestfinished', (r) =>
            console.log(`  ${Date.now() - started} ms ${r.url().replace(app.url, '')}`),
          );
        await page.goto(`${app.url}/studies/${id}`);
        await page.waitForSelector('[data-testid="history-chart"][data-rendered="true"]', {
          timeout: 60_000,
        });
        await page.waitForSelector('[data-testid="trials-table"] tbody tr', { timeout: 60_000 });
        // Marks the page sets when the history is drawn and the first trials page is shown.
        const interactive = await page.evaluate(() =>
          Math.max(
            ...['studies:history-drawn', 'studies:trials-shown'].map(
              (m) => performance.getEntriesByName(m)[0]?.startTime ?? NaN,
            ),
          ),
        );
        const paint = await page.evaluate(
          () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        );
        await page.waitForLoadState('networkidle');
        await context.close();
        if (run === 0) continue; // warm-up of the server's caches and the OS page cache
        fcp.push(paint);
        tti.push(interactive);
        bytes.push(transferred);
      }
      const line = `| ${size.toLocaleString('en')} | ${(seedMs / 1000).toFixed(1)} s | ${median(fcp).toFixed(0)} ms | ${median(tti).toFixed(0)} ms | ${(median(bytes) / 1024).toFixed(0)} KiB |`;
      console.log(line);
      rows.push(line);
    }
    console.log(
      '\n| trials | bulk insert | first contentful paint | time to interactive | bytes transferred |',
    );
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log(
      `\n${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${new Date().toISOString()}; median of ${RUNS} cold-cache page loads after a warm-up`,
    );
    await explain(ds, largest);
  } finally {
    await browser.close();
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
  await timed('slice x, 60 bins', () => repo.sliceBins(id, 'x', DISTS.x, 0, 60));
  await timed('contour x×lr, 25 bins', () =>
    repo.contour(
      id,
      { name: 'x', dist: DISTS.x },
      { name: 'lr', dist: DISTS.lr },
      0,
      'minimize',
      25,
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
