import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { nasFrontData } from '../../src/platform/charts/options';
import { shapesZip } from '../fixtures/data/shapes';
import { startTestApp, type TestApp } from '../support/app';
import {
  axeCheck,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';

/**
 * Architecture search pages in Debian's chromium (issue 13): a small NAS run's page shows the
 * accuracy vs FLOPs front with the trials of trials.json and the API's front, the leaderboard,
 * a candidate's architecture, and an export button for writers; axe on each page.
 */
describe('architecture search pages in a browser', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  before(async () => {
    await ensureConsoleBuilt();
    app = await startTestApp({
      workers: 1,
      coordinators: 1,
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('run page: front with every complete trial, leaderboard, architecture, export', async () => {
    const upload = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25' },
      shapesZip(12),
      'shapes.zip',
    );
    assert.equal(upload.status, 201, upload.text);
    const created = await app
      .post('/v1/nas', {
        dataset: upload.body.id,
        space: { type: 'cell-cnn', minBlocks: 1, maxBlocks: 2, baseWidth: 4, denseUnits: 8 },
        strategy: 'random',
        objective: { kind: 'multi', costs: ['flops'] },
        // parallelism 2: every candidate is a nas-trial child job of the run.
        budget: { trials: 4, epochsPerTrial: 2, batchSize: 4, learningRate: 0.01, parallelism: 2 },
        seed: 5,
      })
      .expect(202);
    const id = created.body.id as string;
    await app.waitForJob(id, (j) => j.status === 'succeeded');
    const api = (await app.get(`/v1/nas/${id}`).expect(200)).body;
    const trials = (await app.get(api.artifacts.trialsJson).expect(200)).body;
    const expected = nasFrontData('cell-cnn', 'flops', trials, api.paretoFront);

    const page = await (await browser.newContext()).newPage();
    await loginAs(page, app.url, app.key);
    await page.goto(`${app.url}/nas`);
    await page.getByRole('link', { name: id.slice(0, 8) }).click();
    await page.getByRole('heading', { name: 'Fronts' }).waitFor({ timeout: 60_000 });
    // The outcome counts in words, the ones that happened.
    const counts = await page.getByText(/\d+ trials \(/).innerText();
    assert.match(counts, new RegExp(`\\(${api.counts.complete} complete`));
    assert.doesNotMatch(counts, /rejectedDraws|\b0 failed/);
    const chart = page.locator('[data-chart="nas-front"]');
    assert.equal(Number(await chart.getAttribute('data-points')), expected.points.length);
    assert.equal(Number(await chart.getAttribute('data-front')), api.paretoFront.length);
    await chart.locator('svg path').first().waitFor({ state: 'attached', timeout: 30_000 });
    const board = page.getByRole('table', { name: 'Leaderboard' }).locator('tbody tr');
    assert.equal(await board.count(), api.leaderboard.length);
    const first = api.leaderboard[0].number as number;
    await page.getByRole('button', { name: `Show trial ${first}` }).click();
    await page.getByRole('heading', { name: `Architecture of trial ${first}` }).waitFor();
    assert.ok(await page.getByRole('button', { name: `Export trial ${first}` }).isVisible());
    await axeCheck(page, 'nas run');
    await page.getByRole('combobox', { name: 'Cost axis' }).selectOption('params');
    await chart
      .getByText(/parameters \(thousands\)/)
      .first()
      .waitFor({ state: 'attached' });

    // The jobs list shows the run, not its trials, until child jobs are asked for; the run's job
    // page lists them, each linking back to it.
    await page.goto(`${app.url}/jobs`);
    const jobs = page.getByRole('table', { name: 'Jobs' });
    await jobs.getByRole('link', { name: id.slice(0, 8) }).waitFor();
    assert.equal(await jobs.getByRole('cell', { name: 'nas-trial' }).count(), 0);
    await page.getByLabel(/Include child jobs/).check();
    await jobs.getByRole('cell', { name: 'nas-trial' }).first().waitFor();
    assert.equal(await jobs.getByRole('cell', { name: 'nas-trial' }).count(), 4);
    assert.equal(await jobs.getByRole('link', { name: id.slice(0, 8) }).count(), 5);
    await axeCheck(page, 'jobs list with child jobs');
    await page.goto(`${app.url}/jobs/${id}`);
    const children = page.getByRole('table', { name: 'Child jobs' });
    await children.getByRole('cell', { name: 'nas-trial' }).first().waitFor();
    assert.equal(await children.getByRole('cell', { name: 'nas-trial' }).count(), 4);
    // Every child's parent is this job: no Parent column here.
    assert.equal(await children.getByRole('columnheader', { name: 'Parent' }).count(), 0);
    await children.getByRole('link').first().click();
    await page.getByText('Parent').waitFor();
    await page.getByRole('link', { name: id.slice(0, 8) }).waitFor();
    await page.context().close();
  });
});
