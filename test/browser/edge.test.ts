import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Request } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import { browserSkipReason, launchBrowser } from '../support/console';
import { USER_CLASSES } from '../../packages/edge/test/user-data';
import type { HarnessResult } from './edge-harness/harness';

const ROOT = path.resolve(__dirname, '..', '..');
const VITE_BIN = path.join(path.dirname(require.resolve('vite')), '..', '..', 'bin', 'vite.js');

/** packages/edge + TF.js as one browser script (edge-harness/), built into a scratch folder. */
function buildHarness(outDir: string): string {
  const r = spawnSync(
    process.execPath,
    [
      VITE_BIN,
      'build',
      '--config',
      'test/browser/edge-harness/vite.config.mts',
      '--outDir',
      outDir,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`harness build failed (exit ${r.status})`);
  return fs.readFileSync(path.join(outDir, 'harness.js'), 'utf8');
}

/**
 * Issue 15 in a real headless Chromium: the library loads a bundle from the running service,
 * personalises on the user's examples (held-out accuracy goes up), learns from feedback without
 * a backbone pass, keeps the head in IndexedDB; and the network log shows nothing but the
 * bundle's GETs leaving the page (the harness page itself is served by the test, not fetched).
 */
describe('@autodl/edge in Chromium', { skip: browserSkipReason() }, () => {
  let app: TestApp;
  let browser: Browser;
  let harness: string;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-harness-'));

  before(async () => {
    harness = buildHarness(out);
    app = await startTestApp({ workers: 0, coordinators: 0 });
    await app
      .post('/v1/models', {
        name: 'edge-browser',
        architecture: 'small-cnn',
        inputShape: [8, 8, 1],
        classNames: [...USER_CLASSES],
        seed: 1,
      })
      .expect(201);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('load a bundle from the service, personalise: accuracy up, only the bundle fetched', async (t) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageUrl = `${app.url}/edge-harness/`;
    // The page and its script come from the test (same origin as the API), not the network.
    await page.route(`${app.url}/edge-harness/**`, (route) =>
      route.fulfill(
        route.request().url().endsWith('.js')
          ? { contentType: 'text/javascript', body: harness }
          : {
              contentType: 'text/html',
              body: '<!doctype html><title>edge</title><script src="harness.js"></script>',
            },
      ),
    );
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    await page.goto(pageUrl);
    const result = (await page.evaluate(
      ([service, key]) =>
        (
          globalThis as unknown as {
            edgeHarness: { run(s: string, m: string, k: string): Promise<unknown> };
          }
        ).edgeHarness.run(service, 'edge-browser', key),
      [app.url, app.key],
    )) as HarnessResult;

    t.diagnostic(`TF.js backend ${result.backend}: accuracy ${result.before} -> ${result.after}`);
    assert.ok(result.before <= 0.5, `before ${result.before}`);
    assert.ok(
      result.after >= 0.8,
      `after ${result.after} (before ${result.before}), ${result.backend}`,
    );
    assert.equal(result.feedbackCached, true);
    assert.equal(result.backbonePassesByFeedback, 0);
    assert.equal(result.reloaded, 0, 'the head loaded from IndexedDB predicts as the saved one');

    const harnessUrls = new Set([pageUrl, `${pageUrl}harness.js`]);
    const left = requests.filter((r) => !harnessUrls.has(r.url()));
    const allowed = /^\/v1\/models\/[^/]+\/(bundle|files\/(model\.json|weights\.bin))$/;
    assert.deepEqual(
      left.filter((r) => r.method() !== 'GET' || !allowed.test(new URL(r.url()).pathname)),
      [],
      'only the bundle leaves the page',
    );
    // Two loads (the personalised model and the fresh one the saved head goes into): each is the
    // manifest, model.json and weights.bin.
    assert.equal(left.length, 6, left.map((r) => r.url()).join('\n'));
    assert.ok(left.every((r) => r.postData() === null));
    await context.close();
  });
});
