import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import {
  axeCheck,
  BrowserPages,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';
import { shapesZip } from '../fixtures/data/shapes';

/** The part of a 2d canvas the checks read (the test's tsconfig has no DOM library). */
interface Canvas2d {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

/**
 * Fine-tune and explanations pages in Debian's chromium (issue 13): a fine-tune of a tiny CNN on
 * 8x8 shapes started through the form (a server 400 shown next to its field first), its curves
 * and registered model once it finishes, then a LIME explanation page whose overlay canvas
 * follows the opacity slider; an explanation started through its form (a server 400 beside its
 * field first); axe-core on every page; a viewer sees no submit button.
 */
describe('fine-tune and explanation pages in a browser', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  let tunedName = '';
  const pages = new BrowserPages(() => browser);
  before(async () => {
    await ensureConsoleBuilt();
    // Training blocks a worker's event loop for whole batches (see models.e2e.test.ts).
    app = await startTestApp({
      workers: 1,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    browser = await launchBrowser();
    const ds = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
      shapesZip(12),
      'shapes.zip',
    );
    assert.equal(ds.status, 201, ds.text);
    const pre = await app
      .post('/v1/pretrain', {
        dataset: 'shapes',
        architecture: 'small-cnn',
        name: 'shapes-cnn',
        epochs: 2,
        batchSize: 4,
        learningRate: 0.01,
        seed: 1,
      })
      .expect(202);
    const job = await app.waitForJob(pre.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
  });
  afterEach((t) => pages.afterEach(t));
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  function newPage(): Promise<Page> {
    return pages.newPage();
  }

  test('fine-tune through the form: field error from the server, then live run to a registered model', async () => {
    const page = await newPage();
    await loginAs(page, app.url, app.key);
    await page.getByRole('link', { name: 'Fine-tune' }).click();
    await page.getByRole('heading', { name: 'Fine-tune' }).waitFor();
    await page.getByRole('option', { name: /shapes-cnn/ }).waitFor({ state: 'attached' });
    await page.getByLabel('Base model').selectOption('shapes-cnn');
    await page.getByLabel('Data set').selectOption('shapes');
    await page.getByLabel('Method').selectOption('l2');
    await page.getByLabel('Batch size').fill('4');
    await page.getByLabel('flip').check();
    await page.getByLabel(/Record training dynamics/).check();
    await axeCheck(page, 'fine-tune form');
    // Out of bounds: the server's 400 names `epochs` and the form shows its message (what is
    // allowed, what came) beside that field.
    await page.getByLabel('Epochs').fill('0');
    await page.getByRole('button', { name: 'Start fine-tuning' }).click();
    const epochsError = page.locator('.field.invalid').filter({ has: page.getByLabel('Epochs') });
    await epochsError.getByRole('alert').waitFor();
    assert.match(await epochsError.getByRole('alert').innerText(), /must be >= 1, got 0/);
    assert.equal(new URL(page.url()).pathname, '/finetune');
    await axeCheck(page, 'fine-tune form with errors');

    await page.getByLabel('Epochs').fill('3');
    await page.getByRole('button', { name: 'Start fine-tuning' }).click();
    await page.waitForURL(/\/finetune\/[0-9a-f-]{36}$/);
    const jobId = new URL(page.url()).pathname.split('/').pop() as string;
    const model = page.locator('p.done').getByRole('link');
    await model.waitFor({ timeout: 300_000 });
    tunedName = (await model.innerText()).trim();
    const job = (await app.get(`/v1/jobs/${jobId}`).expect(200)).body;
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.equal(job.spec.config.method, 'l2');
    assert.deepEqual(job.spec.augment, [{ name: 'flip' }]);
    assert.equal(tunedName, job.result.modelName);
    // The curves: loss and accuracy series (echarts' SVG draws the legend as text), fed by the
    // job's per-epoch metrics.
    const chart = page.getByRole('img', { name: 'Loss and accuracy per epoch' });
    await chart.locator('svg text', { hasText: 'val_loss' }).waitFor({ state: 'attached' });
    await chart.locator('svg text', { hasText: 'accuracy' }).first().waitFor({ state: 'attached' });
    const losses = (await app.get(`/v1/jobs/${jobId}/metrics?name=loss`).expect(200)).body;
    assert.equal(losses.length, 3);
    // Suspected mislabels: training images with the label they carry and the predicted class.
    const gallery = page.getByRole('region', { name: 'Suspected mislabels' });
    const first = gallery.locator('li.suspect').first();
    await first.locator('img').waitFor();
    const [given, predicted] = await first.locator('dd').allInnerTexts();
    assert.ok(['dark', 'light'].includes(given), given);
    assert.ok(['dark', 'light'].includes(predicted), predicted);
    const dynamics = (await app.get(`/v1/jobs/${jobId}/dynamics`).expect(200)).body;
    assert.equal(await gallery.locator('li.suspect').count(), Math.min(24, dynamics.samples));
    const top = dynamics.suspects[0];
    assert.deepEqual(
      [given, predicted],
      [dynamics.classNames[top.label], dynamics.classNames[top.predicted]],
    );
    await axeCheck(page, 'fine-tune run');
    await page.context().close();
  });

  test('explanation page: the LIME overlay canvas follows the opacity slider', async () => {
    assert.ok(tunedName, 'the fine-tune test registered a model');
    const res = await app
      .post('/v1/explanations', {
        model: tunedName,
        method: 'lime',
        dataset: 'shapes',
        sampleSize: 1,
        parameters: { numSamples: 120, nSegments: 8, seed: 1 },
      })
      .expect(202);
    const id = res.body.id as string;
    const job = await app.waitForJob(id, (j) => ['succeeded', 'failed'].includes(j.status));
    assert.equal(job.status, 'succeeded', job.error ?? '');

    const page = await newPage();
    await loginAs(page, app.url, app.key);
    await page.getByRole('link', { name: 'Explanations' }).click();
    // The list is a lazy chunk: until it has loaded, the router (a React transition) keeps the
    // jobs list on screen, whose row links (to /jobs/<id>) carry the same 8-character name. Wait
    // for the Explanations page itself before clicking its row.
    await page.getByRole('heading', { name: 'Explanations', exact: true }).waitFor();
    await page.getByRole('link', { name: id.slice(0, 8) }).click();
    await page.waitForURL(`**/explanations/${id}`);
    const overlay = page.locator('canvas[aria-label^="LIME heatmap overlay"]');
    await overlay.waitFor();
    // The explained image is drawn under the overlay (non-blank once its PNG has loaded).
    await page.waitForFunction(`(() => {
      const c = document.querySelector('canvas[aria-label^="Explained image"]');
      const d = c && c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return !!d && d.some((v, i) => i % 4 === 3 && v > 0);
    })()`);
    const alphaSum = () =>
      overlay.evaluate((el) => {
        const c = el as unknown as Canvas2d;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = 0;
        for (let i = 3; i < d.length; i += 4) s += d[i];
        return s;
      });
    const size = await overlay.evaluate((el) => {
      const c = el as unknown as Canvas2d;
      return [c.width, c.height];
    });
    assert.deepEqual(size, [8, 8], 'one overlay pixel per image pixel');
    const slider = page.getByLabel('Heatmap opacity');
    await slider.fill('1');
    await page.locator('canvas[data-opacity="1"]').waitFor();
    const full = await alphaSum();
    await slider.fill('0.3');
    await page.locator('canvas[data-opacity="0.3"]').waitFor();
    const faint = await alphaSum();
    await slider.fill('0');
    await page.locator('canvas[data-opacity="0"]').waitFor();
    assert.ok(full > 0, 'the overlay draws the weights');
    // Alpha is opacity x |weight| / max|weight| per pixel: 0.3 of the full sum, up to rounding.
    assert.ok(Math.abs(faint - 0.3 * full) <= 64, `${faint} vs 0.3 x ${full}`);
    assert.equal(await alphaSum(), 0);
    await page.getByText('(for)').waitFor();
    await axeCheck(page, 'explanation');
    await page.getByRole('link', { name: 'Explanations' }).click();
    await page.getByRole('heading', { name: 'Explanations' }).waitFor();
    await axeCheck(page, 'explanations list');
    await page.context().close();
  });

  test('explanation form: a server field error beside its field, then a LIME run opens its page', async () => {
    const page = await newPage();
    await loginAs(page, app.url, app.key);
    await page.getByRole('link', { name: 'Explanations' }).click();
    await page.getByRole('link', { name: 'New explanation' }).click();
    await page.getByRole('heading', { name: 'New explanation' }).waitFor();
    // The fine-tuned model (shapes-cnn-l2-...) is listed too: the base model's option exactly.
    await page.getByRole('option', { name: /^shapes-cnn \(/ }).waitFor({ state: 'attached' });
    await page.getByLabel('Model').selectOption('shapes-cnn');
    // An image model: the superpixel parameters are offered, NormLIME's clusters are not.
    await page.getByLabel('Superpixels').waitFor();
    assert.equal(await page.getByLabel('Concept clusters').count(), 0);
    await page.getByLabel('Data set').selectOption('shapes');
    await page.getByLabel('Method').selectOption('lime');
    await page.getByLabel('Instances').fill('1');
    await page.getByLabel('Superpixels').fill('8');
    await axeCheck(page, 'explanation form');
    // Below LIME's bounds: the server's 400 names parameters.numSamples, shown beside the field.
    await page.getByLabel('Perturbed samples').fill('5');
    await page.getByRole('button', { name: 'Start explanation' }).click();
    const samples = page
      .locator('.field.invalid')
      .filter({ has: page.getByLabel('Perturbed samples') });
    await samples.getByRole('alert').waitFor();
    assert.match(await samples.getByRole('alert').innerText(), /must be >= 10, got 5/);
    assert.equal(new URL(page.url()).pathname, '/explanations/new');
    await axeCheck(page, 'explanation form with errors');

    await page.getByLabel('Perturbed samples').fill('60');
    await page.getByRole('button', { name: 'Start explanation' }).click();
    await page.waitForURL(/\/explanations\/[0-9a-f-]{36}$/);
    const id = new URL(page.url()).pathname.split('/').pop() as string;
    const job = await app.waitForJob(id, (j) => ['succeeded', 'failed'].includes(j.status));
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.equal(job.kind, 'explain');
    const spec = job.spec as {
      model: string;
      sampleSize: number;
      parameters: Record<string, unknown>;
    };
    // The stored spec names the model by its id (references are resolved at submit).
    const models = (await app.get('/v1/models?limit=200').expect(200)).body.items as {
      id: string;
      name: string;
    }[];
    assert.equal(spec.model, models.find((m) => m.name === 'shapes-cnn')?.id);
    assert.equal(spec.sampleSize, 1);
    const params = spec.parameters;
    assert.deepEqual([params.numSamples, params.nSegments], [60, 8]);
    await page.locator('canvas[aria-label^="LIME heatmap overlay"]').waitFor({ timeout: 60_000 });
    await page.context().close();
  });

  test('viewer: the fine-tune and explanation forms have no submit button', async () => {
    const viewer = await app.post('/v1/keys', { name: 'watcher', role: 'viewer' }).expect(201);
    const page = await newPage();
    await loginAs(page, app.url, viewer.body.key as string);
    await page.goto(`${app.url}/finetune`);
    await page.getByText('Your key is read-only').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start fine-tuning' }).count(), 0);
    await page.goto(`${app.url}/explanations`);
    await page.getByRole('heading', { name: 'Explanations' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'New explanation' }).count(), 0);
    await page.goto(`${app.url}/explanations/new`);
    await page.getByText('Your key is read-only: it cannot start explanations').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start explanation' }).count(), 0);
    await page.context().close();
  });
});
