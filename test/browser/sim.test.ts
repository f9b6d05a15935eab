import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { shownConfigs } from '../../src/platform/charts/options';
import { startTestApp, type TestApp } from '../support/app';
import {
  axeCheck,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';

/** Two stages: `front` (2 servers, exponential 1 ms) then `dnn` (batching servers). */
function smallPipeline(dnnInstances = 2) {
  return {
    name: 'small',
    stages: [
      { id: 'front', instances: 2, service: { dist: 'exponential', fixedMs: 1 }, next: ['dnn'] },
      {
        id: 'dnn',
        instances: dnnInstances,
        batch: { maxSize: 8, maxDelayMs: 2 },
        service: { dist: 'deterministic', fixedMs: 4, perItemMs: 0.5 },
      },
    ],
  };
}

/**
 * Simulator pages in Debian's chromium (issue 13): the pipeline editor validates as you type and
 * runs a simulation; the simulation page shows the latency CDF and percentiles; a tuning page
 * shows the cost vs p99 Pareto chart with every config tried; axe on each page; a viewer sees no
 * Run button.
 */
describe('simulator pages in a browser', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  before(async () => {
    await ensureConsoleBuilt();
    app = await startTestApp({
      workers: 2,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('editor: invalid JSON and an unstable stage are shown as you type; Run opens the simulation with its CDF', async () => {
    const page = await (await browser.newContext()).newPage();
    await loginAs(page, app.url, app.key);
    await page.goto(`${app.url}/simulations`);
    await page.getByRole('heading', { name: 'Pipeline editor' }).waitFor();
    const editor = page.getByLabel(/Simulation request/);
    const status = page.locator('#pipeline-check');
    await status.getByText('Valid: the simulator accepts it.').waitFor({ timeout: 30_000 });
    await axeCheck(page, 'simulations');

    await editor.fill('{ "pipeline": ');
    await status.getByText(/Not JSON/).waitFor();
    const unstable = {
      pipeline: smallPipeline(1),
      traffic: { model: 'poisson', rateRps: 1200 },
      durationS: 5,
    };
    await editor.fill(JSON.stringify(unstable, null, 2));
    await status.getByText(/stage "dnn" is unstable/).waitFor({ timeout: 30_000 });
    assert.ok(await page.getByRole('button', { name: 'Run simulation' }).isDisabled());

    await editor.fill(
      JSON.stringify({
        ...unstable,
        pipeline: smallPipeline(2),
        traffic: { model: 'poisson', rateRps: 200 },
      }),
    );
    await status.getByText('Valid: the simulator accepts it.').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.waitForURL(/\/simulations\/[0-9a-f-]{36}$/);
    const id = new URL(page.url()).pathname.split('/').pop() as string;
    await app.waitForJob(id, (j) => j.status === 'succeeded');

    await page.getByRole('heading', { name: 'Latency' }).waitFor({ timeout: 60_000 });
    const api = (await app.get(`/v1/simulations/${id}`).expect(200)).body;
    const cdf = page.locator('[data-chart="latency-cdf"]');
    // One point per histogram edge (41 log-spaced edges): the step line the server's PNG draws.
    assert.equal(
      Number(await cdf.getAttribute('data-points')),
      api.result.latencyHistogram.edgesMs.length,
    );
    await cdf.locator('svg path').first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.match(
      (await cdf.locator('div[role="img"]').getAttribute('aria-label')) ?? '',
      new RegExp(`p99 ${String(Number(api.result.latencyMs.p99.toPrecision(3)))} ms`),
    );
    const percentiles = page.getByRole('table', { name: 'Latency percentiles (ms)' });
    assert.match(await percentiles.innerText(), /p99/);
    const stages = page.getByRole('table', { name: 'Per-stage utilisation and queueing' });
    assert.equal(await stages.locator('tbody tr').count(), 2);
    await axeCheck(page, 'simulation');

    // The same job on the generic job page: the simulation's one-step metrics are a table of
    // values, not charts of one dot each, and its log says what it simulated and what came out.
    await page.goto(`${app.url}/jobs/${id}`);
    const values = page.getByRole('table', { name: 'Metric values' });
    await values.getByText('throughputRps').waitFor({ timeout: 30_000 });
    const reported = (await app.get(`/v1/jobs/${id}/metrics`).expect(200)).body as {
      name: string;
    }[];
    assert.equal(
      await values.locator('tbody tr').count(),
      new Set(reported.map((m) => m.name)).size,
    );
    assert.equal(await page.getByRole('img', { name: /^metric / }).count(), 0);
    const log = page.getByTestId('job-logs');
    await log.getByText(/done: p99 [\d.]+ ms/).waitFor();
    assert.match(
      await log.innerText(),
      /simulating 5 s of poisson traffic[\s\S]*through 2 stages: front -> dnn/,
    );
    await axeCheck(page, 'simulation job');
    await page.context().close();
  });

  test('tuning page: Pareto chart holds every stable config tried, the front and the chosen config; configs table', async () => {
    const created = await app
      .post('/v1/tunings', {
        pipeline: smallPipeline(2),
        traffic: { model: 'poisson', rateRps: 200 },
        slo: { p99Ms: 40, maxDropRate: 0.001 },
        space: [
          { stage: 'front', param: 'instances', low: 1, high: 3 },
          { stage: 'dnn', param: 'instances', low: 1, high: 3 },
        ],
        budget: { trials: 9 },
        seeds: 1,
        sampler: 'grid',
        durationS: 5,
        warmupS: 1,
      })
      .expect(202);
    const id = created.body.id as string;
    await app.waitForJob(id, (j) => j.status === 'succeeded');
    const api = (await app.get(`/v1/tunings/${id}`).expect(200)).body;

    const page = await (await browser.newContext()).newPage();
    await loginAs(page, app.url, app.key);
    await page.goto(`${app.url}/simulations`);
    await page.getByRole('link', { name: id.slice(0, 8) }).click();
    await page.getByRole('heading', { name: 'Configurations tried' }).waitFor({ timeout: 60_000 });
    const chart = page.locator('[data-chart="tuning-pareto"]');
    // The configs the shared definition plots (stable ones near the front), as the PNG does.
    const shown = shownConfigs({
      history: api.result.history,
      front: api.result.paretoFront,
      sloMs: 40,
    }).shown.length;
    assert.ok(shown > 0);
    assert.equal(Number(await chart.getAttribute('data-points')), shown);
    assert.equal(Number(await chart.getAttribute('data-front')), api.result.paretoFront.length);
    await chart.locator('svg path').first().waitFor({ state: 'attached', timeout: 30_000 });
    const rows = page.getByRole('table', { name: 'Configurations tried' }).locator('tbody tr');
    assert.equal(await rows.count(), api.result.history.length);
    if (api.result.best) await page.getByText('(chosen)').first().waitFor();
    await axeCheck(page, 'tuning');
    // On a narrow window the table (a column per tuned parameter) scrolls in its own box; the
    // page itself keeps to the window's width, top bar included.
    await page.setViewportSize({ width: 560, height: 800 });
    const box = page.getByRole('region', { name: /Configurations tried/ });
    const widths = await box.evaluate((el) => ({
      box: el.clientWidth,
      table: el.scrollWidth,
      page: document.documentElement.scrollWidth,
      window: document.documentElement.clientWidth,
    }));
    assert.ok(widths.table > widths.box, `the table overflows its box: ${JSON.stringify(widths)}`);
    assert.ok(widths.page <= widths.window, `the page does not: ${JSON.stringify(widths)}`);
    await page.context().close();
  });

  test('viewer: no pipeline editor and no Run button (the server refuses a viewer every POST)', async () => {
    const viewer = await app.post('/v1/keys', { name: 'watcher', role: 'viewer' }).expect(201);
    const page = await (await browser.newContext()).newPage();
    await loginAs(page, app.url, viewer.body.key as string);
    await page.goto(`${app.url}/simulations`);
    await page.getByText('The pipeline editor needs a member or admin key.').waitFor();
    await page.getByRole('heading', { name: 'Simulations' }).waitFor();
    await axeCheck(page, 'simulations (viewer)');
    assert.equal(await page.getByRole('button', { name: 'Run simulation' }).count(), 0);
    await page.context().close();
  });
});
