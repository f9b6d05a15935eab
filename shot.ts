import { startTestApp } from './test/support/app';
import { siteZip } from './test/support/collab';
import { ensureConsoleBuilt, launchBrowser, loginAs } from './test/support/console';

async function main() {
  await ensureConsoleBuilt();
  const app = await startTestApp({ workers: 2, coordinators: 1, env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' } });
  const browser = await launchBrowser();
  try {
    for (const s of [0, 1, 2]) await app.uploadDataset({ name: `d${s}`, split: '0.5,0.25,0.25', seed: String(s) }, siteZip(s, 8), 's.zip');
    const c = await app.post('/v1/federations', { architecture: 'small-cnn', width: 4, algorithm: 'codistill', publicDataset: 'd2', epochs: 2, localEpochs: 1, sites: [{ name: 'a', dataset: 'd0' }, { name: 'b', dataset: 'd1', architecture: 'mobilenet' }] });
    console.log(c.status, c.text.slice(0, 300));
    await app.waitForJob(c.body.id, (j) => ['succeeded', 'failed'].includes(j.status));
    const dp = await app.post('/v1/federations', { architecture: 'small-cnn', width: 4, epochs: 2, sites: [{ name: 'a', dataset: 'd0' }, { name: 'b', dataset: 'd1' }], dp: { clipNorm: 1, noiseMultiplier: 1 }, classifierCalibration: 'ccvr' });
    console.log(dp.status, dp.text.slice(0, 200));
    const ccvr = await app.post('/v1/federations', { architecture: 'small-cnn', width: 4, epochs: 2, sites: [{ name: 'a', dataset: 'd0' }, { name: 'b', dataset: 'd1' }], classifierCalibration: 'ccvr' });
    console.log(ccvr.status);
    const dponly = await app.post('/v1/federations', { architecture: 'small-cnn', width: 4, epochs: 2, sites: [{ name: 'a', dataset: 'd0' }, { name: 'b', dataset: 'd1' }], dp: { clipNorm: 1, noiseMultiplier: 1 } });
    for (const id of [ccvr.body.id, dponly.body.id]) await app.waitForJob(id, (j) => ['succeeded', 'failed'].includes(j.status));
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
    await loginAs(page, app.url, app.key);
    let n = 0;
    for (const id of [c.body.id, ccvr.body.id, dponly.body.id]) {
      await page.goto(`${app.url}/federations/${id}`);
      await page.waitForTimeout(2000);
      await page.screenshot({ path: `/tmp/s22/kind${n++}.png`, fullPage: true });
    }
  } finally {
    await browser.close();
    await app.close();
  }
}
void main();
