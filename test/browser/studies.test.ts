/**
 * The studies console in a real browser (Debian's Chromium via playwright-core) against the real
 * app and PostgreSQL: log in, run a 12-trial ask/tell study, open its page, read the history
 * chart's data from its echarts instance (12 points, best-so-far ending at the best value),
 * paginate the server-side trials table, add a note, and run axe-core (no serious or critical
 * violations) on the list and the study page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import axe from 'axe-core';
import { Browser, Page } from 'playwright-core';
import { startTestApp, TestApp } from '../support/app';
// One build of the console under a lock shared by every browser suite (they run concurrently).
import { browserSkipReason, ensureConsoleBuilt, launchBrowser } from '../support/console';

async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  // Evaluated as a string: the tests compile without DOM types.
  const violations = (await page.evaluate(
    `axe.run().then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length })))`,
  )) as { id: string; impact: string; n: number }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.n})`);
}

describe('studies console in Chromium', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  let studyId: string;
  const values: number[] = [];
  before(async () => {
    await ensureConsoleBuilt();
    app = await startTestApp({ workers: 0, coordinators: 0 });
    studyId = (
      await app
        .post('/v1/studies', {
          name: 'browser-quadratic',
          space: { x: { type: 'float', low: -5, high: 5 }, y: { type: 'int', low: 0, high: 4 } },
          direction: 'minimize',
        })
        .expect(202)
    ).body.id;
    for (let i = 0; i < 12; i++) {
      const asked = (await app.post(`/v1/studies/${studyId}/ask`).expect(201)).body;
      const value = (asked.params.x - 1) ** 2 + asked.params.y;
      values.push(value);
      await app
        .post(`/v1/studies/${studyId}/trials/${asked.number}/tell`, { values: [value] })
        .expect(200);
    }
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('log in, open the study, history has 12 points, table paginates, a note is added', async () => {
    const context = await browser.newContext();
    const whoami = await app.get('/v1/whoami');
    if (whoami.status === 404)
      // GET /v1/whoami comes with h/c-core; until it is merged the session check is answered here.
      await context.route('**/v1/whoami', (route) =>
        route.fulfill({ json: { project: 'default', role: 'admin' } }),
      );
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await page.getByLabel('API key').fill(app.key);
    await page.getByRole('button', { name: /sign in|log in/i }).click();
    await page.goto(`${app.url}/studies`);
    await page.getByRole('link', { name: 'browser-quadratic' }).click();
    await page.waitForSelector('[data-testid="history-chart"][data-rendered="true"]', {
      timeout: 60_000,
    });

    // The chart element exposes its echarts instance (console/src/charts/echart.tsx).
    const plotted = (await page.evaluate(
      `document.querySelector('[data-testid="history-chart"]').chart.getOption().series.map((s) => ({ name: s.name, data: s.data }))`,
    )) as { name: string; data: number[][] }[];
    assert.equal(plotted[0].data.length, 12, 'one dot per trial');
    assert.deepEqual(
      plotted[0].data.map((p) => p[1]),
      values,
    );
    assert.equal(plotted[1].name, 'best so far');
    assert.equal(plotted[1].data.at(-1)![1], Math.min(...values));
    await page.getByText('12 points from 12 complete trials').waitFor();

    await page.getByLabel('Rows per page').selectOption('10');
    const range = page.getByTestId('trials-range');
    await range.getByText('1–10 of 12').waitFor();
    assert.equal(await page.locator('[data-testid="trials-table"] tbody tr').count(), 10);
    await page
      .getByRole('navigation', { name: 'Pages of trials' })
      .getByRole('button', { name: 'Next' })
      .click();
    await range.getByText('11–12 of 12').waitFor();
    assert.equal(await page.locator('[data-testid="trials-table"] tbody tr').count(), 2);

    await page.getByLabel('Note', { exact: true }).fill('x close to 1 wins');
    await page.getByLabel('Trial (optional)').fill('3');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByTestId('notes').getByText('x close to 1 wins').waitFor();
    const notes = (await app.get(`/v1/studies/${studyId}/notes`).expect(200)).body.items;
    assert.deepEqual(
      notes.map((n: { trial: number; body: string }) => [n.trial, n.body]),
      [[3, 'x close to 1 wins']],
    );

    // Plots below the fold are drawn too.
    await page.getByRole('heading', { name: 'Parameter importance' }).waitFor();
    assert.deepEqual(await axeSerious(page), [], 'study page: no serious/critical axe violations');
    await page.goto(`${app.url}/studies`);
    await page.getByRole('link', { name: 'browser-quadratic' }).waitFor();
    assert.deepEqual(
      await axeSerious(page),
      [],
      'studies list: no serious/critical axe violations',
    );
    await context.close();
  });
});
