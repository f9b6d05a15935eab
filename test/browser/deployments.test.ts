import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import {
  axeCheck,
  BrowserPages,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';

/**
 * The Deployments pages in Debian's chromium (issue 17): deploy a registered model from the form,
 * see the detail page's live metrics move after a few predictions, a validation problem beside
 * its field, scale to two instances, the list's req/s and p99, and delete after confirming; a
 * viewer sees the page but no way to change it.
 */
describe('deployments pages in a browser', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  const pages = new BrowserPages(() => browser);
  before(async () => {
    await ensureConsoleBuilt();
    app = await startTestApp({ workers: 0, coordinators: 0 });
    await app
      .post('/v1/models', {
        name: 'console-cnn',
        architecture: 'small-cnn',
        inputShape: [8, 8, 1],
        classNames: ['a', 'b', 'c'],
        seed: 3,
      })
      .expect(201);
    browser = await launchBrowser();
  });
  afterEach((t) => pages.afterEach(t));
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('deploy, live metrics after predictions, a validation error, scale, list, delete', async () => {
    const page = await pages.newPage();
    await loginAs(page, app.url, app.key);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Deployments' })
      .click();
    await page.getByText('No deployments yet.').waitFor();
    const create = page.getByRole('form', { name: 'Deploy a model' });
    await create.getByLabel('Model').selectOption({ label: 'console-cnn (small-cnn, image)' });
    await create.getByLabel('Name').fill('web-cnn');
    await create.getByRole('button', { name: 'Deploy' }).click();
    await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Deployment web-cnn' }).waitFor();
    const kpis = page.locator('dl.kpis').first();
    await kpis.getByText('served').waitFor();

    for (let i = 0; i < 6; i++)
      await app.post('/v1/serve/web-cnn/predict', { instance: Array(64).fill(i / 6) }).expect(200);
    // The page polls: the served count and a p99 appear without a reload.
    await kpis.locator('div', { hasText: 'served' }).getByText('6', { exact: true }).waitFor();
    assert.match(await kpis.locator('div', { hasText: 'p99' }).innerText(), /\d+(\.\d+)? ms/);
    const latency = page.locator('[data-testid="live-latency"]');
    await latency.locator('svg path').first().waitFor({ state: 'attached' });
    assert.match((await page.getByTestId('batch-sizes').getAttribute('aria-label')) ?? '', /of 1/);
    await axeCheck(page, 'deployment');

    const form = page.getByRole('form', { name: 'Scale and batching' });
    await form.getByLabel('Max batch size').fill('5000');
    await form.getByRole('button', { name: 'Save changes' }).click();
    const problem = form.locator('.field', { hasText: 'Max batch size' }).getByRole('alert');
    assert.match(await problem.innerText(), /1024/);
    await form.getByRole('button', { name: 'Reset' }).click();
    await form.getByLabel('Instances').fill('2');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form
      .getByRole('status')
      .getByText(/Applied: generation 2/)
      .waitFor();
    await page
      .getByRole('definition')
      .getByText(/^2 instance\(s\)/)
      .waitFor();
    assert.equal((await app.get('/v1/deployments/web-cnn').expect(200)).body.instances, 2);

    await page.getByRole('link', { name: 'Deployments', exact: true }).first().click();
    const row = page
      .getByRole('table', { name: 'Deployments' })
      .getByRole('row', { name: /web-cnn/ });
    // The list's cache took the PATCH's answer, so the row shows the scale without its next poll;
    // the wait is for the render only.
    await row.getByRole('cell').nth(2).getByText(/\/ 2$/).waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    assert.equal(cells[1], 'console-cnn');
    assert.match(cells[5], /^\d/); // req/s of the last ~10 s
    assert.match(cells[6], /ms$/);

    await row.getByRole('link', { name: 'web-cnn' }).click();
    await page.getByRole('button', { name: 'Delete deployment' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete web-cnn' }).click();
    await page.waitForURL(/\/deployments$/);
    await page.getByText('No deployments yet.').waitFor();
    await app.get('/v1/deployments/web-cnn').expect(404);
  });

  test('viewer: sees a deployment, cannot scale, deploy or delete', async () => {
    await app.post('/v1/deployments', { model: 'console-cnn', name: 'ro-cnn' }).expect(201);
    const viewer = await app.post('/v1/keys', { name: 'watcher', role: 'viewer' }).expect(201);
    const page = await pages.newPage();
    await loginAs(page, app.url, viewer.body.key as string);
    await page.goto(`${app.url}/deployments`);
    await page.getByText('Deploying a model needs a member or admin key.').waitFor();
    await page.getByRole('link', { name: 'ro-cnn' }).click();
    await page.getByText('Your key is read-only: it cannot scale or change batching.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save changes' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Delete deployment' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Start profile' }).count(), 0);
  });
});
