/**
 * bench/edge/cache-speedup.ts in headless Chromium (Debian's chromium, playwright-core): the same
 * streams (bench/edge/online-stream.ts) on TF.js' webgl and cpu backends in a page.
 *
 *   nice -n 10 node -r @swc-node/register bench/edge/chromium-cache-speedup.ts
 *     [--backends webgl,cpu] [--seeds 3] [--stream 64] [--json out.json]
 *
 * The page and its script are served by page.route (no server, no network).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser } from '../../test/support/console';
import { describeRow, type ComparisonRow } from './online-stream';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const ROOT = path.resolve(__dirname, '..', '..');
const VITE_BIN = path.join(path.dirname(require.resolve('vite')), '..', '..', 'bin', 'vite.js');

async function main(): Promise<void> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-bench-'));
  const built = spawnSync(
    process.execPath,
    [VITE_BIN, 'build', '--config', 'bench/edge/browser.vite.mjs', '--outDir', out],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (built.status !== 0) throw new Error('bench bundle build failed');
  const script = fs.readFileSync(path.join(out, 'bench.js'), 'utf8');
  fs.rmSync(out, { recursive: true, force: true });
  const browser = await launchBrowser();
  const rows: ComparisonRow[] = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(0);
    await page.route('http://edge-bench.invalid/**', (route) =>
      route.fulfill(
        route.request().url().endsWith('.js')
          ? { contentType: 'text/javascript', body: script }
          : { contentType: 'text/html', body: '<!doctype html><script src="bench.js"></script>' },
      ),
    );
    await page.goto('http://edge-bench.invalid/');
    for (const backend of arg('--backends', 'webgl,cpu').split(',')) {
      const result = (await page.evaluate(
        ([b, s, l]) =>
          (
            globalThis as unknown as {
              edgeBench: { run(b: string, s: number, l: number): Promise<unknown> };
            }
          ).edgeBench.run(b as string, s as number, l as number),
        [backend, Number(arg('--seeds', '3')), Number(arg('--stream', '64'))] as const,
      )) as ComparisonRow[];
      for (const row of result) {
        rows.push({ ...row, backend: `chromium ${row.backend}` });
        process.stdout.write(`chromium ${describeRow(row)}\n`);
      }
    }
  } finally {
    await browser.close();
  }
  const json = arg('--json', '');
  if (json) fs.writeFileSync(json, JSON.stringify(rows, null, 2) + '\n');
}

void main();
