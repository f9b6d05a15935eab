import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * bin/register-ts.cjs, the loader every source run starts with, against @swc-node/register (the
 * loader it replaces): the same compiler options from tsconfig.json, stack traces on the
 * TypeScript lines, and a disk cache that survives a torn entry.
 */
const root = path.resolve(__dirname, '..');
const loader = path.join(root, 'bin', 'register-ts.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file with no types
const { TS_OPTIONS } = require(loader) as { TS_OPTIONS: Record<string, unknown> };

describe('bin/register-ts.cjs', () => {
  test('compiles with the options @swc-node/register derives from tsconfig.json', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- by path: not in its exports
    const swcNode = require(
      path.join(root, 'node_modules/@swc-node/register/lib/read-default-tsconfig.js'),
    ) as {
      readDefaultTsConfig(file: string): Record<string, unknown>;
      tsCompilerOptionsToSwcConfig(o: Record<string, unknown>, file: string): unknown;
    };
    const options = swcNode.readDefaultTsConfig(path.join(root, 'tsconfig.json'));
    options.module = 1; // @swc-node/register always compiles to CommonJS (ts.ModuleKind.CommonJS)
    const file = path.join(root, 'src', 'app.module.ts');
    // Keys set to undefined are absent to the compiler: compare what JSON keeps.
    const derived = JSON.parse(JSON.stringify(swcNode.tsCompilerOptionsToSwcConfig(options, file)));
    assert.deepEqual(derived, TS_OPTIONS);
  });

  test('a stack trace points at the TypeScript line; a torn cache entry is compiled again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-ts-'));
    try {
      const cache = path.join(dir, 'cache');
      const script = path.join(dir, 'throws.ts');
      // Type annotations and an interface that compile away: the JS lines differ from these.
      fs.writeFileSync(
        script,
        [
          'interface Shape {',
          '  side: number;',
          '}',
          'function area(s: Shape): number {',
          "  if (s.side < 0) throw new Error('negative side');",
          '  return s.side ** 2;',
          '}',
          'try {',
          '  area({ side: -1 });',
          '} catch (e) {',
          "  console.log((e as Error).stack?.split('\\n')[1].trim());",
          '}',
          '',
        ].join('\n'),
      );
      const run = () =>
        execFileSync(process.execPath, ['-r', loader, script], {
          env: { ...process.env, AUTODL_TS_CACHE_DIR: cache, NODE_OPTIONS: '' },
          encoding: 'utf8',
        }).trim();
      assert.equal(run(), `at area (${script}:5:25)`);
      // (bin/v8-code-cache.cjs keeps V8's code in the folder v8/ beside the entries)
      const entries = fs.readdirSync(cache).filter((e) => e.endsWith('.json'));
      assert.equal(entries.length, 1, 'one compiled module cached');
      // A writer that died mid-write leaves a torn file: it is compiled again, not trusted.
      fs.writeFileSync(path.join(cache, entries[0]), '{"code": "thr');
      assert.equal(run(), `at area (${script}:5:25)`);
      const fixed = JSON.parse(fs.readFileSync(path.join(cache, entries[0]), 'utf8'));
      assert.match(fixed.code, /negative side/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('once a day, entries not written for 14 days are removed from both caches', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'register-ts-prune-'));
    try {
      const v8 = path.join(cache, 'v8');
      fs.mkdirSync(v8);
      const month = new Date(Date.now() - 30 * 24 * 3600 * 1000);
      const old = [path.join(cache, 'old.json'), path.join(v8, 'old')];
      const recent = [path.join(cache, 'recent.json'), path.join(v8, 'recent')];
      for (const f of [...old, ...recent]) fs.writeFileSync(f, 'x');
      for (const f of old) fs.utimesSync(f, month, month);
      fs.writeFileSync(path.join(cache, '.pruned'), '');
      fs.utimesSync(path.join(cache, '.pruned'), month, month); // last pruned a month ago
      const start = () =>
        execFileSync(process.execPath, ['-r', loader, '-e', '0'], {
          env: { ...process.env, AUTODL_TS_CACHE_DIR: cache, NODE_OPTIONS: '' },
        });
      start();
      for (const f of old) assert.equal(fs.existsSync(f), false, `${f} removed`);
      for (const f of recent) assert.equal(fs.existsSync(f), true, `${f} kept`);
      // Pruned today: the next start leaves even an old entry alone.
      fs.writeFileSync(old[0], 'x');
      fs.utimesSync(old[0], month, month);
      start();
      assert.equal(fs.existsSync(old[0]), true);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
