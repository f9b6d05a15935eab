import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import { siteZip } from '../support/collab';
import {
  axeCheck,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';

/**
 * Federations in Debian's chromium (issue 14): a federation started from the console's form runs
 * to the end on the workers; its page shows the rounds the API reports (table and chart, by
 * rounds and by bytes), the sites with their data sets and the registered model. The server's
 * problems land on the fields they name. axe on the form and the page.
 */
describe('federation pages in a browser', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  before(async () => {
    await ensureConsoleBuilt();
    app = await startTestApp({
      workers: 2,
      coordinators: 1,
      // site-x: a namespace the form offers for a site's placement (no federation here uses it:
      // this app's executor is the local one).
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000', AUTODL_K8S_PLACEMENT_NAMESPACES: 'site-x' },
    });
    for (const site of [0, 1]) {
      const res = await app.uploadDataset(
        { name: `site-${site}`, split: '0.5,0.25,0.25', seed: String(site) },
        siteZip(site, 8),
        `site-${site}.zip`,
      );
      assert.equal(res.status, 201, res.text);
    }
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('the form starts a federation; its page follows it to the registered model', async () => {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await loginAs(page, app.url, app.key);
    await page.getByRole('navigation', { name: 'Main' }).getByText('Federations').click();
    await page.getByText('No federations yet').waitFor();
    await page.getByRole('link', { name: 'New federation' }).click();
    const form = page.getByRole('form', { name: 'New federation' });
    await form.waitFor();
    await axeCheck(page, 'federation form');

    // Site 2 without a data set: the form says so at that site's field, and nothing is queued.
    await page.getByLabel('Site 1 data set').selectOption('site-0');
    await page.getByLabel('Epochs').fill('2');
    await page.getByLabel('Period').fill('1');
    await page.getByLabel('Width').fill('4');
    await page.getByLabel('Batch size').fill('4');
    await page.getByRole('button', { name: 'Start the federation' }).click();
    const site2 = page.getByRole('group', { name: 'Site 2' });
    assert.match(await site2.getByRole('alert').innerText(), /choose a data set/);
    assert.equal((await app.get('/v1/federations').expect(200)).body.total, 0);

    // A site's own data set as the shared set: the server's 422 lands at the shared set's field.
    await page.getByLabel('Site 2 data set').selectOption('site-1');
    await page.getByLabel('Shared labelled set').selectOption('site-1');
    await page.getByRole('button', { name: 'Start the federation' }).click();
    const shared = page.locator('.field', { has: page.getByLabel('Shared labelled set') });
    assert.match(await shared.getByRole('alert').innerText(), /it is site site-b's data set/);
    assert.equal((await app.get('/v1/federations').expect(200)).body.total, 0);
    await page.getByLabel('Shared labelled set').selectOption('');

    // A third site, then removed again: the body has two.
    await page.getByRole('button', { name: 'Add a site' }).click();
    assert.equal(await page.getByLabel('Site 3 name').inputValue(), 'site-c');
    await page.getByRole('button', { name: 'Remove site 3' }).click();
    // codistill reads other fields: a public set and local epochs, no period, no head to calibrate.
    await page.getByLabel('Algorithm').selectOption('codistill');
    assert.ok(await page.getByLabel('Public set').isVisible());
    assert.ok(await page.getByLabel('Local epochs').isVisible());
    assert.equal(await page.getByLabel('Period').count(), 0);
    assert.equal(await page.getByLabel(/Calibrate the head/).count(), 0);
    await page.getByLabel('Algorithm').selectOption('esp-clr');
    await page.getByLabel(/Calibrate the head after the last round/).check();

    // Differential privacy: its numbers show once it is ticked, the form asks for the clip norm
    // before the server does, and the server's refusal of privacy with CCVR lands at CCVR's box.
    assert.equal(await page.getByLabel('Clip norm').count(), 0);
    await page.getByLabel(/Differential privacy:/).check();
    await page.getByLabel('Noise multiplier').fill('0.5');
    await page.getByRole('button', { name: 'Start the federation' }).click();
    const clip = page.locator('.field', { has: page.getByLabel('Clip norm') });
    assert.match(await clip.getByRole('alert').innerText(), /required with differential privacy/);
    await page.getByLabel('Clip norm').fill('10');
    await page.getByRole('button', { name: 'Start the federation' }).click();
    const ccvr = page.locator('div.invalid', { has: page.getByLabel(/Calibrate the head/) });
    assert.match(await ccvr.getByRole('alert').innerText(), /not combined with dp/);
    assert.equal((await app.get('/v1/federations').expect(200)).body.total, 0);
    await page.getByLabel(/Differential privacy:/).uncheck();
    assert.equal(await page.getByLabel('Clip norm').count(), 0);

    await page.getByRole('button', { name: 'Start the federation' }).click();
    await page.waitForURL(/\/federations\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').at(-1) as string;
    const spec = (await app.get(`/v1/jobs/${id}`).expect(200)).body.spec;
    assert.deepEqual(
      spec.sites.map((s: { name: string }) => s.name),
      ['site-a', 'site-b'],
    );
    assert.equal(spec.epochs, 2);
    assert.equal(spec.period, 1);
    assert.equal(spec.classifierCalibration, 'ccvr');
    await app.waitForJob(id, (j) => j.status === 'succeeded');

    // The page refetches while the federation runs: it reaches the end on its own.
    await page.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 });
    const api = (await app.get(`/v1/federations/${id}`).expect(200)).body;
    assert.equal(api.rounds.length, 2);
    // The settings it ran with, from the job's stored spec (defaults filled in).
    const settings = await page.locator('dt:has-text("Settings") + dd').innerText();
    assert.match(settings, /^2 epochs, averaged every 1; momentum at 0\.05 → 0\.001; batch 4;/);
    assert.match(settings, /head calibration ccvr; quorum 2 of 2 sites; seed 0$/);
    // CCVR ran after the last round: the page shows its before and after.
    const cal = api.summary.classifierCalibration;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    assert.equal(
      await page.locator('dt:has-text("Head calibration") + dd').innerText(),
      `ccvr: ${pct(cal.uncalibratedAccuracy)} → ${pct(cal.calibratedAccuracy)}`,
    );
    const rows = page.getByRole('table', { name: 'Rounds' }).locator('tbody tr');
    await rows.nth(api.rounds.length - 1).waitFor();
    assert.equal(await rows.count(), api.rounds.length);
    const lastAccuracy = api.rounds.at(-1).globalAccuracy as number;
    assert.equal(
      await rows
        .nth(api.rounds.length - 1)
        .locator('td')
        .nth(4)
        .innerText(),
      lastAccuracy.toFixed(4),
    );
    const sites = page.getByRole('table', { name: 'Sites' }).locator('tbody tr');
    assert.equal(await sites.count(), 2);
    // Each site with its data set by name (the federation holds ids).
    assert.match(await sites.first().innerText(), /site-a\s+site-0\s+small-cnn\s+8/);

    const chart = page.getByTestId('federation-rounds');
    await chart.locator('svg path').first().waitFor({ state: 'attached', timeout: 30_000 });
    const read = () =>
      chart.evaluate((el) => {
        const o = (
          el as unknown as {
            chart: {
              getOption(): {
                xAxis: { name: string }[];
                series: { name: string; data: [number, number][] }[];
              };
            };
          }
        ).chart.getOption();
        return { x: o.xAxis[0].name, series: o.series.map((s) => [s.name, s.data]) };
      });
    const byRound = await read();
    assert.equal(byRound.x, 'round');
    assert.deepEqual(byRound.series[0], [
      'global model',
      api.rounds.map((r: { round: number; globalAccuracy: number }) => [
        r.round + 1,
        r.globalAccuracy,
      ]),
    ]);
    assert.deepEqual(
      byRound.series.slice(1).map((s) => s[0]),
      ['site site-a', 'site site-b'],
    );
    await page.getByLabel('bytes exchanged').check();
    await page.waitForFunction(
      () =>
        (
          document.querySelector('[data-testid="federation-rounds"]') as unknown as {
            chart: { getOption(): { xAxis: { name: string }[] } };
          }
        ).chart.getOption().xAxis[0].name === 'MiB exchanged',
    );
    const byBytes = await read();
    const lastX = byBytes.series[0][1] as unknown as [number, number][];
    // The last point sits at everything exchanged in the rounds, in MiB.
    const roundBytes = api.rounds.reduce(
      (n: number, r: { bytesUp: number; bytesDown: number }) => n + r.bytesUp + r.bytesDown,
      0,
    );
    assert.ok(Math.abs(lastX.at(-1)![0] - roundBytes / 2 ** 20) < 1e-9);
    await axeCheck(page, 'federation page');

    const model = (await app.get(`/v1/models/${api.modelId}`).expect(200)).body;
    await page.getByRole('link', { name: model.name }).click();
    await page.getByRole('heading', { name: /^Model / }).waitFor();
    // The generic job page links to the federation's own.
    await page.goto(`${app.url}/jobs/${id}`);
    await page.getByRole('link', { name: 'the federation’s rounds and sites' }).click();
    await page.getByRole('heading', { name: `Federation ${id.slice(0, 8)}` }).waitFor();
    await page.goto(`${app.url}/federations`);
    const list = page.getByRole('table', { name: 'Federations' }).locator('tbody tr');
    await list.first().waitFor();
    assert.equal(await list.count(), 1);
    assert.match(await list.first().innerText(), /esp-clr[\s\S]*site-a, site-b[\s\S]*2\/2/);
    assert.deepEqual(errors, []);
  });

  test("a data set's page splits it into sites and hands them to a new federation", async () => {
    const page = await (await browser.newContext()).newPage();
    await loginAs(page, app.url, app.key);
    const source = (await app.get('/v1/datasets/site-0').expect(200)).body;
    await page.goto(`${app.url}/datasets/${source.id}`);
    const form = page.getByRole('form', { name: 'Split into federation sites' });
    await form.getByLabel('Sites').fill('3');
    await form.getByLabel('Seed').fill('4');
    await form.getByRole('button', { name: 'Split' }).click();
    const made = page.getByRole('list', { name: 'Site data sets' }).getByRole('listitem');
    await made.first().waitFor();
    assert.equal(await made.count(), 3);
    // What the API registered: the same three, split from the source with Dirichlet(0.5).
    const api = (await app.get('/v1/datasets?limit=500').expect(200)).body.items.filter(
      (d: { options: { derivedFrom?: string } }) => d.options.derivedFrom === source.id,
    );
    assert.deepEqual(api.map((d: { name: string }) => d.name).sort(), [
      'site-0-site-1',
      'site-0-site-2',
      'site-0-site-3',
    ]);
    assert.deepEqual(api[0].options.split, { kind: 'dirichlet', alpha: 0.5 });
    // The source's page lists the sites split from it (its data set list refreshed).
    const splitInto = page.locator('p', { hasText: 'Split into sites:' });
    await splitInto.waitFor();
    assert.equal(await splitInto.getByRole('link').count(), 3);
    await axeCheck(page, 'data set page with its site split');
    await page.getByRole('link', { name: 'Start a federation over them' }).click();
    await page.getByRole('form', { name: 'New federation' }).waitFor();
    for (const k of [1, 2, 3]) {
      const select = page.getByLabel(`Site ${k} data set`);
      // The data sets' options arrive after the form: the chosen one shows once they are in.
      await select.locator(`option[value="site-0-site-${k}"]`).waitFor({ state: 'attached' });
      assert.equal(await select.inputValue(), `site-0-site-${k}`);
    }
  });

  test('a running federation is cancelled from its own page, and can be retried there', async () => {
    // Long enough to be running when the button is pressed: 200 rounds of one epoch.
    const started = await app
      .post('/v1/federations')
      .send({
        architecture: 'small-cnn',
        width: 4,
        algorithm: 'esp-clr',
        epochs: 200,
        period: 1,
        batchSize: 4,
        sites: [
          { name: 'a', dataset: 'site-0' },
          { name: 'b', dataset: 'site-1' },
        ],
      })
      .expect(202);
    const id = started.body.id as string;
    // A round done first, so there is a checkpoint for the retry to resume from.
    const roundsOf = async () =>
      (await app.get(`/v1/federations/${id}`).expect(200)).body.rounds.length as number;
    for (let t = Date.now(); (await roundsOf()) === 0;) {
      assert.ok(Date.now() - t < 120_000, 'no round finished in 120 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    const page = await (await browser.newContext()).newPage();
    await loginAs(page, app.url, app.key);
    await page.goto(`${app.url}/federations/${id}`);
    assert.equal(await page.getByRole('button', { name: 'Retry federation' }).count(), 0);
    await page.getByRole('button', { name: 'Cancel federation' }).click();
    await app.waitForJob(id, (j) => j.status === 'cancelled');
    // The page follows the status: cancelled, the cancel button gone, a retry offered.
    await page.getByText('cancelled', { exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Retry federation' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel federation' }).count(), 0);
    const rounds = await roundsOf();
    assert.ok(rounds < 200, `${rounds} rounds ran`);
    // A retry resumes at the checkpoint, and the page says from where.
    await page.getByText(`resumes after round ${rounds}; the rounds done are kept`).waitFor();
  });
  test('a site’s namespace, FedDF, the quorum and codistill’s per-site architectures go into the body', async () => {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const posted: Record<string, unknown>[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/federations'))
        posted.push(r.postDataJSON() as Record<string, unknown>);
    });
    await loginAs(page, app.url, app.key);
    await page.goto(`${app.url}/federations/new?datasets=site-0,site-1`);
    await page.getByRole('form', { name: 'New federation' }).waitFor();
    const before = (await app.get('/v1/federations').expect(200)).body.total as number;

    // The operator allows one namespace (GET /v1/site-placements): each local site may go there.
    await page.getByLabel('Site 1 Kubernetes namespace').selectOption('site-x');
    assert.equal(await page.getByLabel('Site 1 architecture').count(), 0);
    // FedDF asks for its public set before anything is sent.
    assert.equal(await page.getByLabel('Public set', { exact: true }).count(), 0);
    await page.getByLabel(/FedDF:/).check();
    await page.getByLabel('Distillation steps').fill('50');
    await page.getByRole('button', { name: 'Start the federation' }).click();
    const publicSet = page.locator('.field', {
      has: page.getByLabel('Public set', { exact: true }),
    });
    assert.match(await publicSet.getByRole('alert').innerText(), /FedDF distills on a public set/);
    assert.equal(posted.length, 0);
    await page.getByLabel('Public set', { exact: true }).selectOption('site-1');
    await axeCheck(page, 'federation form with FedDF and a placement');

    // Steps that are not a number: the server's one problem, at the steps field only.
    await page.getByLabel('Distillation steps').fill('abc');
    await submitted(page);
    const steps = page.locator('.field', { has: page.getByLabel('Distillation steps') });
    assert.equal(await steps.getByRole('alert').innerText(), 'must be a whole number, got "abc"');
    const fedDf = page.locator('div', { has: page.getByLabel(/FedDF:/) }).last();
    assert.equal(await fedDf.getByRole('alert').count(), 0);
    await page.getByLabel('Distillation steps').fill('50');
    posted.length = 0;

    // A quorum above the two sites: the server refuses the whole body, at the Quorum field.
    await page.getByLabel('Quorum').fill('3');
    await submitted(page);
    const quorum = page.locator('.field', { has: page.getByLabel('Quorum') });
    assert.match(await quorum.getByRole('alert').innerText(), /at most the 2 sites/);
    assert.equal(posted.length, 1);
    assert.deepEqual(posted[0].sites, [
      { name: 'site-a', dataset: 'site-0', placement: { namespace: 'site-x' } },
      { name: 'site-b', dataset: 'site-1' },
    ]);
    assert.deepEqual(posted[0].serverDistillation, { steps: 50 });
    assert.equal(posted[0].publicDataset, 'site-1');
    assert.equal(posted[0].quorum, 3);

    // codistill: sites exchange predictions, each may have its own architecture; it takes no
    // placement and no FedDF.
    await page.getByLabel('Algorithm').selectOption('codistill');
    assert.equal(await page.getByLabel('Site 1 Kubernetes namespace').count(), 0);
    assert.equal(await page.getByLabel(/FedDF:/).count(), 0);
    await page.getByLabel('Site 2 architecture').selectOption('mobilenet');
    await submitted(page);
    assert.match(await quorum.getByRole('alert').innerText(), /at most the 2 sites/);
    assert.equal(posted.length, 2);
    assert.deepEqual(posted[1].sites, [
      { name: 'site-a', dataset: 'site-0' },
      { name: 'site-b', dataset: 'site-1', architecture: 'mobilenet' },
    ]);
    assert.equal(posted[1].serverDistillation, undefined);
    assert.equal((await app.get('/v1/federations').expect(200)).body.total, before);
    assert.deepEqual(errors, []);
  });
});

/** Clicks Start and waits for the server's answer to the POST it sends. */
async function submitted(page: Page): Promise<void> {
  await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().endsWith('/v1/federations'),
    ),
    page.getByRole('button', { name: 'Start the federation' }).click(),
  ]);
}
