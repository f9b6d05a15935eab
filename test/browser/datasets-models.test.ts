import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { ProjectsService } from '../../src/platform/auth/projects.service';
import { startTestApp, type TestApp } from '../support/app';
import {
  axeCheck,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';
import { darkShape, shapesZip } from '../fixtures/data/shapes';
import { siteZip } from '../support/collab';

/** What the checks read of an <img> (the tests are compiled without the DOM library). */
interface ImageFacts {
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
  alt: string;
}

/** Polls `check` until it holds (30 s: under load the page may take a while to render). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * The data set and model pages in Debian's chromium (issue 13): upload an image data set through
 * the form and see its thumbnails per class; train a small model on it and see its lineage
 * graph, its evaluation and a prediction; a federated model's graph draws every site's data set
 * and the shared set; a viewer sees no upload form; axe on every page.
 */
describe('data sets and models in a browser', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  before(async () => {
    await ensureConsoleBuilt();
    // Training blocks the worker's event loop for whole batches: a generous heartbeat timeout.
    app = await startTestApp({
      workers: 1,
      coordinators: 1, // the federation's coordinator (its site jobs run on the worker)
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  async function signedIn(key = app.key): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await loginAs(page, app.url, key);
    return page;
  }

  test('upload an image data set through the form, then see its class counts and thumbnails', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Data sets' }).click();
    await page.getByRole('heading', { name: 'Data sets' }).waitFor();
    await axeCheck(page, 'data sets list');
    const form = page.getByRole('form', { name: 'Upload a data set' });
    await form.getByLabel('Name').fill('shapes-ui');
    await form.getByLabel(/^File/).setInputFiles({
      name: 'shapes.zip',
      mimeType: 'application/zip',
      buffer: shapesZip(8),
    });
    await form.getByLabel(/^Split/).fill('0.5,0.25,0.25');
    await form.getByRole('button', { name: 'Upload' }).click();
    const status = page.getByRole('status');
    await status.getByText('16 examples').waitFor({ timeout: 60_000 });
    // The list shows it without a reload.
    await page.getByRole('cell', { name: 'shapes-ui' }).waitFor();
    await status.getByRole('link', { name: 'shapes-ui' }).click();
    await page.getByRole('heading', { name: 'Data set shapes-ui' }).waitFor();

    // Thumbnails per class: real PNGs decoded by the browser (8x8 images, upscaled by an integer
    // factor by the server: square, a multiple of 8 wide).
    for (const cls of ['dark', 'light']) {
      const grid = page.getByRole('list', { name: `Examples of class ${cls}` });
      await grid.getByRole('img').first().waitFor();
      await until(async () => {
        const facts = await grid
          .getByRole('img')
          .evaluateAll((els: unknown[]) =>
            (els as ImageFacts[]).map((i): [boolean, number, number] => [
              i.complete,
              i.naturalWidth,
              i.naturalHeight,
            ]),
          );
        return (
          facts.length === 6 && facts.every(([c, w, h]) => c && w > 0 && w % 8 === 0 && w === h)
        );
      }, `6 decoded thumbnails of ${cls}`);
    }
    // Class counts as a bar chart (SVG bars labelled by class) and the split sizes.
    const chart = page.getByRole('img', { name: /^Examples per class: dark 8, light 8/ });
    await chart.locator('svg').waitFor();
    assert.deepEqual(
      await page.getByRole('table', { name: 'Split sizes' }).getByRole('cell').allInnerTexts(),
      ['8', '4', '4'],
    );
    // Only one split: every thumbnail is labelled with it.
    await page.getByRole('combobox', { name: 'Samples of split' }).selectOption('test');
    await until(async () => {
      const alts = await page
        .locator('.thumb-grid img')
        .evaluateAll((els: unknown[]) => (els as ImageFacts[]).map((i) => i.alt));
      return alts.length === 4 && alts.every((alt) => alt.endsWith('(test)'));
    }, 'the 4 test-split thumbnails');
    await axeCheck(page, 'data set page');
    await page.context().close();
  });

  test('add a packaged set through the form: the sets installed here, a class subset, few-shot', async (t) => {
    const catalog = (await app.get('/v1/datasets/packaged').expect(200)).body as {
      items: { name: string; installed: boolean }[];
    };
    if (!catalog.items.some((s) => s.name === 'iris' && s.installed)) {
      t.skip('python3-sklearn is not installed');
      return;
    }
    const page = await signedIn();
    await page.goto(`${app.url}/datasets`);
    const form = page.getByRole('form', { name: 'Add a packaged data set' });
    // Only installed sets can be chosen; the others are listed with what to install.
    await form.getByLabel('Set').waitFor();
    const options = await form.getByLabel('Set').locator('option').allTextContents();
    assert.deepEqual(
      options,
      catalog.items.filter((s) => s.installed).map((s) => s.name),
    );
    const missing = catalog.items.filter((s) => !s.installed);
    if (missing.length > 0)
      await form.getByText(`Not installed on this server (${missing.length})`).waitFor();
    await form.getByLabel('Set').selectOption('iris');
    await form
      .getByTestId('packaged-description')
      .getByText(/150 examples/)
      .waitFor();
    await form.getByLabel('Name').fill('iris-ui');
    await form.getByLabel('Classes').fill('setosa,1');
    await form.getByLabel('Training examples per class').fill('10');
    await form.getByRole('button', { name: 'Add' }).click();
    // 100 examples of two classes, split 0.7/0.15/0.15, then 10 per class kept for training:
    // 20 + 30 (the API's rule, models.e2e.test.ts).
    await form.getByRole('status').getByText('50 examples').waitFor({ timeout: 60_000 });
    await page.getByRole('cell', { name: 'iris-ui' }).waitFor();
    const listed = (await app.get('/v1/datasets').expect(200)).body.items.find(
      (d: { name: string }) => d.name === 'iris-ui',
    );
    assert.deepEqual(listed.stats.classNames, ['setosa', 'versicolor']);
    assert.deepEqual([listed.stats.size, listed.splitSizes.train], [50, 20]);
    // A class the set does not have: the API's 400, shown beside the form.
    await form.getByLabel('Name').fill('iris-bad');
    await form.getByLabel('Classes').fill('0,7');
    await form.getByRole('button', { name: 'Add' }).click();
    await form.getByRole('alert').waitFor();
    await axeCheck(page, 'data sets list with the packaged form');
    await page.context().close();
  });

  test('a trained model: lineage graph, evaluation, a prediction from a dropped image', async () => {
    const job = await app
      .post('/v1/pretrain', {
        dataset: 'shapes-ui',
        architecture: 'small-cnn',
        name: 'shapes-ui-cnn',
        epochs: 4,
        batchSize: 4,
        learningRate: 0.01,
        seed: 1,
      })
      .expect(202);
    const done = await app.waitForJob(job.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');

    const page = await signedIn();
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    await axeCheck(page, 'models list');
    await page.getByRole('link', { name: 'shapes-ui-cnn' }).click();
    await page.getByRole('heading', { name: 'Model shapes-ui-cnn' }).waitFor();

    // Lineage: the graph draws the model, its data set and its job; the list links them.
    const graph = page.getByRole('img', { name: /^Lineage of shapes-ui-cnn/ });
    await graph.locator('svg').waitFor();
    await until(async () => {
      const texts = await graph.locator('svg text').allTextContents();
      return (
        texts.includes('shapes-ui-cnn') &&
        texts.includes('shapes-ui') &&
        texts.some((t) => t.startsWith('job '))
      );
    }, 'the model, its data set and its job in the lineage graph');
    await page
      .getByRole('list', { name: 'Lineage' })
      .getByRole('link', { name: 'shapes-ui' })
      .waitFor();

    // Evaluation: the confusion heatmap and one precision/recall row per class, matching the API.
    const evaluation = (await app.get('/v1/models/shapes-ui-cnn/evaluation').expect(200)).body;
    await page
      .getByRole('img', { name: /^Confusion matrix/ })
      .locator('svg')
      .waitFor();
    const rows = page
      .getByRole('table', { name: 'Per-class precision and recall' })
      .getByRole('row');
    assert.equal(await rows.count(), 3);
    const support = (await rows.nth(1).getByRole('cell').allInnerTexts())[3];
    assert.equal(
      Number(support),
      evaluation.confusion[0].reduce((s: number, n: number) => s + n, 0),
    );
    await page.getByText(`on ${evaluation.count} test examples`).waitFor();

    // Predict playground: an image of class dark; the shown label is the API's answer.
    await page.getByLabel(/^Drop an image/).setInputFiles({
      name: 'dark.png',
      mimeType: 'image/png',
      buffer: darkShape(3),
    });
    const shown = page.getByRole('status');
    await shown.getByRole('table', { name: 'Class probabilities' }).waitFor({ timeout: 30_000 });
    const api = (
      await app
        .post('/v1/models/shapes-ui-cnn/predict', { images: [darkShape(3).toString('base64')] })
        .expect(200)
    ).body;
    assert.equal(await shown.locator('strong').innerText(), api.predictions[0].label as string);
    assert.equal(await shown.getByRole('row').count(), 3);

    // Files: download through fetch + blob (the key is a header, not in the link).
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download model.json' }).click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'model.json');
    const body = await (await file.createReadStream()).toArray();
    assert.ok(JSON.parse(Buffer.concat(body).toString('utf8')).modelTopology);
    await axeCheck(page, 'model page');
    await page.context().close();
  });

  test('a federated model: the lineage graph draws every site’s data set and the shared set', async () => {
    for (const [i, name] of ['fed-site-0', 'fed-site-1', 'fed-shared'].entries()) {
      const res = await app.uploadDataset(
        { name, split: '0.5,0.25,0.25', seed: String(i) },
        siteZip(i, 4),
        `${name}.zip`,
      );
      assert.equal(res.status, 201, res.text);
    }
    const created = await app
      .post('/v1/federations', {
        name: 'fed-shapes',
        architecture: 'small-cnn',
        width: 4,
        sites: [
          { name: 'a', dataset: 'fed-site-0' },
          { name: 'b', dataset: 'fed-site-1' },
        ],
        sharedDataset: 'fed-shared',
        algorithm: 'fedavg',
        epochs: 1,
        localEpochs: 1,
        learningRate: 0.02,
        batchSize: 4,
        seed: 1,
      })
      .expect(202);
    const done = await app.waitForJob(created.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');

    // A viewer reads the data sets: the graph names them.
    const viewer = await app.post('/v1/keys', { name: 'fed-reader', role: 'viewer' }).expect(201);
    const page = await signedIn(viewer.body.key as string);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('link', { name: 'fed-shapes' }).click();
    await page.getByRole('heading', { name: 'Model fed-shapes' }).waitFor();
    const graph = page.getByRole('img', { name: /^Lineage of fed-shapes/ });
    await graph.locator('svg').waitFor();
    const wanted = ['fed-shapes', 'fed-site-0', 'fed-site-1', 'fed-shared (shared)', 'shared set'];
    let texts: string[] = [];
    await until(async () => {
      texts = await graph.locator('svg text').allTextContents();
      return wanted.every((w) => texts.includes(w)) && texts.some((t) => t.startsWith('job '));
    }, 'the model, its job, both site data sets and the shared set in the lineage graph');
    assert.equal(texts.filter((t) => t === 'site').length, 2, 'one site edge per site data set');
    const list = page.getByRole('list', { name: 'Lineage' });
    for (const name of ['fed-site-0', 'fed-site-1', 'fed-shared'])
      await list.getByRole('link', { name }).waitFor();
    assert.match(await list.innerText(), /Shared set: fed-shared/);
    await axeCheck(page, 'federated model page');
    await list.getByRole('link', { name: 'fed-site-1' }).click();
    await page.getByRole('heading', { name: 'Data set fed-site-1' }).waitFor();
    // The way back: a site's data set lists the federated model, and says it was a site.
    const used = page.getByRole('list', { name: 'Models trained on this data set' });
    await used.getByRole('link', { name: 'fed-shapes' }).waitFor();
    assert.match(
      await used.innerText(),
      /fed-shapes \(federation site, collab-fedavg, small-cnn\)/,
    );
    await used.getByRole('link', { name: 'fed-shapes' }).click();
    await page.getByRole('heading', { name: 'Model fed-shapes' }).waitFor();
    await page
      .getByRole('list', { name: 'Lineage' })
      .getByRole('link', { name: 'fed-shared' })
      .click();
    await page.getByRole('heading', { name: 'Data set fed-shared' }).waitFor();
    assert.match(
      await used.innerText(),
      /fed-shapes \(federation shared set, collab-fedavg, small-cnn\)/,
    );
    await page.context().close();
  });

  test('a project without models: the list says so and the ways to get one', async () => {
    const { key } = await app.running.app
      .get(ProjectsService)
      .createKey('no-models-yet', 'reader', { role: 'viewer' });
    const page = await signedIn(key);
    await page.goto(`${app.url}/models`);
    await page.getByText('No models yet.').waitFor();
    await page.getByText('autodl pretrain --dataset iris --arch mlp').waitFor();
    await page.getByRole('link', { name: 'Fine-tune', exact: true }).last().waitFor();
    await axeCheck(page, 'models list (empty)');
    await page.context().close();
  });

  test('viewer: the data sets page has no upload form; the API refuses an upload with 403', async () => {
    const viewer = await app.post('/v1/keys', { name: 'reader', role: 'viewer' }).expect(201);
    const page = await signedIn(viewer.body.key as string);
    await page.goto(`${app.url}/datasets`);
    await page.getByRole('link', { name: 'shapes-ui' }).waitFor();
    assert.equal(await page.getByRole('form', { name: 'Upload a data set' }).count(), 0);
    assert.equal(await page.getByRole('form', { name: 'Add a packaged data set' }).count(), 0);
    const status = await page.evaluate(async (key) => {
      const form = new FormData();
      form.set('name', 'nope');
      form.set('file', new Blob(['x,label\n1,a\n'], { type: 'text/csv' }), 'x.csv');
      const res = await fetch('/v1/datasets', {
        method: 'POST',
        body: form,
        headers: { authorization: `Bearer ${key}` },
      });
      return res.status;
    }, viewer.body.key as string);
    assert.equal(status, 403);
    await axeCheck(page, 'data sets list (viewer)');
    await page.context().close();
  });
});
