import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Shared by the browser tests (test/browser/*.test.ts): the console built once, Debian's
 * chromium driven by playwright-core, sign-in and an axe-core check.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CONSOLE = path.join(ROOT, 'console');
const DIST_INDEX = path.join(CONSOLE, 'dist', 'index.html');
const LOCK = path.join(CONSOLE, '.build-lock');
/** vite's CLI (its package exports do not include bin/, so found from its main entry). */
const VITE_BIN = path.join(path.dirname(require.resolve('vite')), '..', '..', 'bin', 'vite.js');

/** The flags of CONSOLE.md: headless, no sandbox (root in CI), nothing reaching the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string | null {
  const candidates = [
    process.env.AUTODL_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
  ];
  return candidates.find((p): p is string => !!p && fs.existsSync(p)) ?? null;
}

/** For `describe(..., { skip: browserSkipReason() })`: false when a chromium is installed. */
export function browserSkipReason(): string | false {
  return chromiumPath()
    ? false
    : 'no chromium: install Debian `chromium` (.ci/run does) or set AUTODL_CHROMIUM';
}

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

function consoleIsFresh(): boolean {
  if (!fs.existsSync(DIST_INDEX)) return false;
  const sources = Math.max(
    newestMtime(path.join(CONSOLE, 'src')),
    newestMtime(path.join(CONSOLE, 'index.html')),
    newestMtime(path.join(CONSOLE, 'vite.config.mts')),
    newestMtime(path.join(ROOT, 'package.json')),
    // The console bundles the on-device library from its sources (vite alias @autodl/edge).
    newestMtime(path.join(ROOT, 'packages', 'edge', 'src')),
  );
  return fs.statSync(DIST_INDEX).mtimeMs >= sources;
}

/**
 * Builds console/dist when it is missing or older than its sources. Test files run in parallel:
 * a lock directory lets one build while the others wait (a lock older than 10 minutes is stale).
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  while (!consoleIsFresh()) {
    try {
      fs.mkdirSync(LOCK);
    } catch {
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age > 10 * 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another console build');
      await sleep(500);
      continue;
    }
    try {
      if (consoleIsFresh()) break;
      const r = spawnSync(process.execPath, [VITE_BIN, 'build', 'console', '--logLevel', 'warn'], {
        cwd: ROOT,
        stdio: 'inherit',
      });
      if (r.status !== 0) throw new Error(`console build failed (exit ${r.status})`);
      // The build may finish within the sources' mtime resolution: mark it as newer.
      const now = new Date();
      fs.utimesSync(DIST_INDEX, now, now);
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(String(browserSkipReason()));
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Where a failed browser test leaves its evidence (ignored by git). */
export const FAILURE_DIR = path.join(ROOT, 'test-results', 'browser');

/**
 * The pages of a browser suite: waits sized for a loaded 2-core machine, and evidence when a test
 * fails. Register `afterEach((t) => pages.afterEach(t))`: after a failed test, each page it left
 * open is saved as a screenshot beside a text file with its URL, the navigations, console
 * messages, page errors and failed requests, under test-results/browser/ (the paths are printed).
 * Every context the test opened is closed afterwards.
 */
export class BrowserPages {
  private open: { context: BrowserContext; page: Page; log: string[] }[] = [];

  constructor(
    private readonly browser: () => Browser,
    private readonly timeoutMs = 60_000,
  ) {}

  async newPage(): Promise<Page> {
    const context = await this.browser().newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(this.timeoutMs);
    const log: string[] = [];
    const note = (line: string) => {
      log.push(`${new Date().toISOString()} ${line}`);
      if (log.length > 200) log.shift();
    };
    page.on('framenavigated', (f) => f === page.mainFrame() && note(`navigated ${f.url()}`));
    page.on('console', (m) => note(`console.${m.type()} ${m.text()}`));
    page.on('pageerror', (e) => note(`pageerror ${e.message}`));
    page.on('requestfailed', (r) => note(`requestfailed ${r.url()} ${r.failure()?.errorText}`));
    this.open.push({ context, page, log });
    return page;
  }

  async afterEach(t: { name: string; passed?: boolean }): Promise<void> {
    const open = this.open;
    this.open = [];
    for (const [i, { context, page, log }] of open.entries()) {
      if (t.passed === false && !page.isClosed()) {
        const base = path.join(
          FAILURE_DIR,
          `${t.name.replace(/[^\w-]+/g, '-').slice(0, 80)}-${Date.now()}-${i}`,
        );
        try {
          fs.mkdirSync(FAILURE_DIR, { recursive: true });
          await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10_000 });
          fs.writeFileSync(`${base}.txt`, [`url ${page.url()}`, ...log].join('\n') + '\n');
          process.stderr.write(`browser test failed: see ${base}.png and ${base}.txt\n`);
        } catch (error) {
          process.stderr.write(`could not save the failed page: ${String(error)}\n`);
        }
      }
      await context.close().catch(() => undefined);
    }
  }
}

/** Signs in on the login page with `key`; resolves on the page the console lands on (/jobs). */
export async function loginAs(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 30_000 });
  await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: 30_000 });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe-core on the page as it is; fails on any serious or critical violation. */
export async function axeCheck(page: Page, label = page.url()): Promise<AxeViolation[]> {
  const { source } = (await import('axe-core')) as unknown as { source: string };
  await page.addScriptTag({ content: source });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  const bad = (violations as AxeViolation[]).filter(
    (v) => v.impact === 'serious' || v.impact === 'critical',
  );
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(v.nodes[0]?.target)}`),
    [],
    `axe on ${label}`,
  );
  return violations as AxeViolation[];
}
