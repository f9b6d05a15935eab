import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Request } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import {
  axeCheck,
  BrowserPages,
  browserSkipReason,
  ensureConsoleBuilt,
  launchBrowser,
  loginAs,
} from '../support/console';
import { grayPng } from '../fixtures/data/images';
import { USER_CLASSES, userExamples } from '../../packages/edge/test/user-data';

/** The synthetic user's images (packages/edge/test/user-data.ts) as the PNG files they drop. */
function userPngs(count: number, seed: number): { name: string; label: string; png: Buffer }[] {
  return userExamples(count, seed).map((e, i) => {
    const px = e.input as Float32Array;
    return {
      name: `${e.label}-${i}.png`,
      label: String(e.label),
      png: grayPng(8, 8, (x, y) => Math.round(px[y * 8 + x] * 255)),
    };
  });
}

/**
 * The console's "personalise in your browser" page (issue 15) in Debian's chromium: load a
 * model, drop labelled images, train on the device, see the accuracy change; the network log
 * holds the page's own assets and API reads, the bundle's GETs, and nothing after the images
 * were added (no upload of any kind).
 */
describe('personalise in your browser (console page)', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  let modelId: string;
  const pages = new BrowserPages(() => browser, 120_000);
  before(async () => {
    await ensureConsoleBuilt();
    app = await startTestApp({ workers: 0, coordinators: 0 });
    modelId = (
      await app
        .post('/v1/models', {
          name: 'edge-console',
          architecture: 'small-cnn',
          inputShape: [8, 8, 1],
          classNames: [...USER_CLASSES],
          seed: 1,
        })
        .expect(201)
    ).body.id;
    browser = await launchBrowser();
  });
  afterEach((t) => pages.afterEach(t));
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('drop labelled images, train on the device: accuracy goes up, nothing uploaded', async () => {
    const page = await pages.newPage();
    await loginAs(page, app.url, app.key);
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    await page.goto(`${app.url}/models/${modelId}`);
    await page.getByRole('link', { name: 'Personalise in your browser' }).click();
    await page.getByRole('heading', { name: 'Personalise in your browser' }).waitFor();
    await axeCheck(page, 'personalise page');

    const files = userPngs(24, 1);
    const fromAddingImages = requests.length;
    for (const label of USER_CLASSES) {
      await page.getByLabel('Label for the images you add').selectOption(label);
      await page
        .getByLabel(/^Images/)
        .setInputFiles(
          files
            .filter((f) => f.label === label)
            .map((f) => ({ name: f.name, mimeType: 'image/png', buffer: f.png })),
        );
      await page
        .getByRole('img', { name: files.filter((f) => f.label === label).at(-1)?.name })
        .waitFor();
    }
    assert.equal(
      await page.getByRole('list', { name: 'Your images' }).getByRole('listitem').count(),
      24,
    );
    // The test's model is freshly initialised: a larger step than the default (for pretrained).
    await page.getByLabel('Learning rate').fill('0.01');
    await page.getByRole('button', { name: 'Train on this device' }).click();
    const status = page.getByRole('status');
    // A bound only: the e2e tier's parallel files leave the page's training a fraction of a core.
    await status.waitFor({ timeout: 300_000 });
    const text = (await status.textContent()) ?? '';
    const [, before, after] = /(\d+\.\d)% before, (\d+\.\d)% after/.exec(text) ?? [];
    assert.ok(Number(before) <= 50, text);
    assert.ok(Number(after) >= 80, text);

    const after24 = requests.slice(fromAddingImages).filter((r) => !r.url().startsWith('blob:'));
    assert.deepEqual(
      after24.map((r) => `${r.method()} ${r.url()}`),
      [],
      'nothing leaves the page once images are added',
    );
    const api = requests.filter((r) => new URL(r.url()).pathname.startsWith('/v1/'));
    assert.deepEqual(
      api.filter((r) => r.method() !== 'GET' || r.postData() !== null).map((r) => r.url()),
      [],
    );
    const bundle = api.filter((r) => /\/(bundle|files\/(model\.json|weights\.bin))$/.test(r.url()));
    assert.equal(bundle.length, 3, api.map((r) => r.url()).join('\n'));
  });
});
