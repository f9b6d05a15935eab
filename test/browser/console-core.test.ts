import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import {
  axeCheck,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';

/**
 * The console's core pages in Debian's chromium (issue 13): sign-in, the live jobs list, a job
 * page whose progress reaches 100% over Server-Sent Events, the admin page, a viewer key that
 * sees no mutating buttons and gets 403, axe-core on every page, keyboard reach.
 */
describe('console core in a browser', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  before(async () => {
    await ensureConsoleBuilt();
    app = await startTestApp({ workers: 1, coordinators: 0 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    return context.newPage();
  }

  const progressOf = (page: Page) =>
    page
      .locator('progress[aria-label="job progress"]')
      .evaluate((p) => (p as HTMLProgressElement).value);

  test('sign-in page passes axe; a wrong key is refused with a message', async () => {
    const page = await newPage();
    await page.goto(`${app.url}/login`);
    await axeCheck(page, 'login');
    await page.getByLabel('API key').fill('adl_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /not valid/);
    await page.context().close();
  });

  test('admin: a sleep job appears in the live list, its page follows progress to 100% and shows its logs', async () => {
    const page = await newPage();
    await loginAs(page, app.url, app.key);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    // A reload keeps the session (the key is in session storage) and the page's first requests.
    await page.reload();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.getByText(/no jobs|of \d+/).waitFor();
    assert.equal(new URL(page.url()).pathname, '/jobs');
    await axeCheck(page, 'jobs list');

    // Appears and finishes in the list without a reload (the list follows the stream).
    const quick = await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 2, stepMs: 100 } });
    const row = page.getByRole('row').filter({ hasText: String(quick.body.id).slice(0, 8) });
    await row.getByText('succeeded').waitFor({ timeout: 60_000 });

    // The one worker is kept busy until the job's page is open, so that the page follows the job
    // from its start: on a loaded machine the job (3.2 s) could end before its page had loaded.
    const blocker = await app.post('/v1/jobs', {
      kind: 'sleep',
      spec: { steps: 1, stepMs: 600_000 },
    });
    await app.waitForJob(blocker.body.id as string, (j) => j.status === 'running');
    const res = await app.post('/v1/jobs', {
      kind: 'sleep',
      spec: { steps: 8, stepMs: 400, recordAttempt: true },
    });
    assert.equal(res.status, 202);
    const id = res.body.id as string;
    await page.getByRole('link', { name: id.slice(0, 8) }).click();
    await page.waitForURL(`**/jobs/${id}`);
    await page.getByTestId('job-status').getByText('queued').waitFor();
    await app.post(`/v1/jobs/${blocker.body.id}/cancel`).expect(202);
    // Seen part-way (live progress), then complete.
    await page.waitForFunction(
      () => {
        const p = document.querySelector<HTMLProgressElement>(
          'progress[aria-label="job progress"]',
        );
        return !!p && p.value > 0 && p.value < 100;
      },
      undefined,
      { timeout: 60_000 },
    );
    await page.waitForFunction(
      () =>
        document.querySelector<HTMLProgressElement>('progress[aria-label="job progress"]')
          ?.value === 100,
      undefined,
      { timeout: 60_000 },
    );
    assert.equal(await progressOf(page), 100);
    await page.getByTestId('job-status').getByText('succeeded').waitFor();
    const logs = page.getByTestId('job-logs');
    await logs.getByText('step 7').waitFor();
    assert.match(await logs.innerText(), /step 0[\s\S]*step 7/);
    // Metrics as charts: the sleep job reports `step`.
    await page.getByRole('img', { name: /metric step over 8 steps/ }).waitFor();
    // Artifacts: previewed from bytes fetched with the key (text here), with a download button.
    const artifact = page.locator('figure').filter({ hasText: 'steps/7.txt' });
    await artifact
      .locator('pre')
      .getByText(/^attempt \d+$/) // attempt 2 when a loaded machine missed a heartbeat
      .waitFor()
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\npage text:\n${await page.locator('main').innerText()}`);
      });
    await artifact.getByRole('button', { name: /Download/ }).waitFor();
    await axeCheck(page, 'job detail');

    // A finished job that wrote no log line says so, instead of an empty log box.
    const silent = (await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 0 } }).expect(202))
      .body.id as string;
    await app.waitForJob(silent, (j) => j.status === 'succeeded');
    await page.goto(`${app.url}/jobs/${silent}`);
    await page.getByTestId('job-logs').getByText('This job wrote no log lines.').waitFor();
    await page.context().close();
  });

  test('admin page: queue depth, keys (create shows the secret once), audit; axe', async () => {
    const page = await newPage();
    await loginAs(page, app.url, app.key);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Queue and workers' }).waitFor();
    await page.getByText('Jobs by kind and status').waitFor();
    await page.getByRole('cell', { name: 'sleep' }).first().waitFor();
    await page
      .getByRole('form', { name: 'Create an API key' })
      .getByLabel('Name')
      .fill('from-console');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('new-key').innerText();
    await app.get('/v1/whoami', secret).expect(200);
    await page.getByRole('cell', { name: 'from-console', exact: true }).waitFor();
    page.on('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke from-console' }).click();
    await page.getByRole('row').filter({ hasText: 'from-console' }).getByText('revoked').waitFor();
    await app.get('/v1/whoami', secret).expect(401);
    await page
      .getByRole('cell', { name: /POST \/v1\/keys/ })
      .first()
      .waitFor();
    await axeCheck(page, 'admin');
    await page.context().close();
  });

  test('keyboard: Tab reaches the navigation and the job buttons', async () => {
    const failed = await app.post('/v1/jobs', {
      kind: 'sleep',
      spec: { steps: 2, stepMs: 0, failAtStep: 1 },
      maxAttempts: 1,
    });
    await app.waitForJob(failed.body.id as string, (j) => j.status === 'failed');
    const page = await newPage();
    await loginAs(page, app.url, app.key);
    await page.goto(`${app.url}/jobs/${failed.body.id}`);
    await page.getByRole('button', { name: 'Retry job' }).waitFor();
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText ?? ''),
      );
    }
    for (const name of ['Jobs', 'Studies', 'Admin', 'Sign out', 'Retry job'])
      assert.ok(
        reached.has(name),
        `Tab reaches "${name}"; reached ${JSON.stringify([...reached])}`,
      );
    await page.context().close();
  });

  test('viewer: no cancel/retry or admin buttons; the API answers 403 when it tries', async () => {
    const viewer = await app.post('/v1/keys', { name: 'watcher', role: 'viewer' }).expect(201);
    const failed = await app.post('/v1/jobs', {
      kind: 'sleep',
      spec: { steps: 2, stepMs: 0, failAtStep: 0 },
      maxAttempts: 1,
    });
    const id = failed.body.id as string;
    await app.waitForJob(id, (j) => j.status === 'failed');
    const page = await newPage();
    await loginAs(page, app.url, viewer.body.key as string);
    await page.getByText('viewer').first().waitFor();
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);
    await page.goto(`${app.url}/jobs/${id}`);
    await page.getByTestId('job-status').getByText('failed').waitFor();
    assert.equal(await page.getByRole('button', { name: /Retry job|Cancel job/ }).count(), 0);
    await axeCheck(page, 'job detail (viewer)');
    const status = await page.evaluate(async (jobId) => {
      const key = sessionStorage.getItem('autodl.apiKey');
      const r = await fetch(`/v1/jobs/${jobId}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
      });
      return r.status;
    }, id);
    assert.equal(status, 403);
    await page.goto(`${app.url}/admin`);
    await page.getByText('The admin page needs an admin key.').waitFor();
    await page.context().close();
  });
});
