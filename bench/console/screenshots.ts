// Screenshots of the console for the README (docs/img/console-*.png), taken in Debian's chromium
// against the real app on a scratch database. Each page's engineer adds their shots in
// bench/console/shots/<page>.ts and lists them in SHOTS below.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//     node -r @swc-node/register bench/console/screenshots.ts [file-name-substring ...]
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../test/support/app';
import { ensureConsoleBuilt, launchBrowser, loginAs } from '../../test/support/console';
import { DEPLOYMENT_SHOTS } from './shots/deployments';
import { FEDERATION_SHOTS } from './shots/federations';
import { JOB_SHOTS } from './shots/jobs';
import { REGISTRY_SHOTS } from './shots/registry';
import { SIM_NAS_SHOTS } from './shots/sim-nas';
import { STUDY_SHOTS } from './shots/studies';

export interface ShotContext {
  app: TestApp;
  /** Signed in with the admin key, 1280x860. */
  page: Page;
  /** Shared between shots (ids of what an earlier shot created). */
  state: Record<string, string>;
}

export interface Shot {
  /** File name under docs/img/. */
  file: string;
  /** The whole page rather than the 1280x860 window. */
  fullPage?: boolean;
  /** Brings the page to the state to photograph. */
  take(ctx: ShotContext): Promise<void>;
}

export const SHOTS: Shot[] = [
  ...JOB_SHOTS,
  ...REGISTRY_SHOTS,
  ...STUDY_SHOTS,
  ...SIM_NAS_SHOTS,
  ...DEPLOYMENT_SHOTS,
  ...FEDERATION_SHOTS,
];

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'img');

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  await ensureConsoleBuilt();
  const app = await startTestApp({ workers: 2, coordinators: 1 });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await loginAs(page, app.url, app.key);
    const ctx: ShotContext = { app, page, state: {} };
    for (const shot of SHOTS) {
      // Earlier shots may set up state for later ones, so every shot runs; only the chosen are saved.
      await shot.take(ctx);
      if (only.length > 0 && !only.some((o) => shot.file.includes(o))) continue;
      await page.screenshot({ path: path.join(OUT, shot.file), fullPage: shot.fullPage });
      process.stdout.write(`docs/img/${shot.file}\n`);
    }
  } finally {
    await browser.close();
    await app.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
