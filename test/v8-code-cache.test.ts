import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * bin/v8-code-cache.cjs (installed by bin/register-ts.cjs): a module compiled from V8's cached
 * code behaves as Node's own loader makes it behave (require, require.resolve, __filename,
 * __dirname, module.exports, a stack trace on the TypeScript line), a module with a dynamic import
 * is left to Node and its import still works from the second run on, a second process takes
 * every other module from the cache, an edited file is never given its old code, and
 * runs under other V8 flags keep entries of their own.
 */
const loader = path.resolve(__dirname, '..', 'bin', 'register-ts.cjs');

interface Run {
  out: Record<string, unknown>;
  stats: { hits: number; misses: number; rejected: number; enabled: boolean };
}

describe('bin/v8-code-cache.cjs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v8-code-cache-'));
  const cache = path.join(dir, 'cache');
  const lib = path.join(dir, 'lib.js');
  const shape = path.join(dir, 'shape.ts');
  const dynamic = path.join(dir, 'dynamic.js');
  const main = path.join(dir, 'main.js');
  // A dynamic import: left to Node's loader (in a cached vm.Script it would have no callback).
  fs.writeFileSync(dynamic, 'exports.sep = () => import("node:path").then((p) => p.sep);\n');
  fs.writeFileSync(
    lib,
    [
      "'use strict';",
      'exports.where = { file: __filename, dir: __dirname, self: require.resolve("./lib") };',
      'exports.sameCache = require.cache[__filename] === module;',
      'exports.version = 1;',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    shape,
    [
      'interface Shape {',
      '  side: number;',
      '}',
      'export function area(s: Shape): number {',
      "  if (s.side < 0) throw new Error('negative side');",
      '  return s.side ** 2;',
      '}',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    main,
    [
      "const lib = require('./lib');",
      "const { area } = require('./shape.ts');",
      'let frame = null;',
      'try { area({ side: -1 }); } catch (e) { frame = e.stack.split("\\n")[1].trim(); }',
      "require('./dynamic').sep().then((sep) => {",
      "  const stats = globalThis[Symbol.for('autodl.v8-code-cache')];",
      '  const out = { where: lib.where, sameCache: lib.sameCache, version: lib.version,',
      '    area: area({ side: 3 }), frame, sep };',
      '  console.log(JSON.stringify({ out, stats }));',
      '});',
      '',
    ].join('\n'),
  );
  const run = (nodeArgs: string[] = [], env: Record<string, string> = {}): Run =>
    JSON.parse(
      execFileSync(process.execPath, [...nodeArgs, '-r', loader, main], {
        env: { ...process.env, AUTODL_TS_CACHE_DIR: cache, NODE_OPTIONS: '', ...env },
        encoding: 'utf8',
      }),
    ) as Run;

  test('a module from the cache behaves as one Node compiled; the second run takes both from it', () => {
    const first = run();
    assert.deepEqual(first.stats, { hits: 0, misses: 2, rejected: 0, enabled: true });
    assert.deepEqual(first.out, {
      where: { file: lib, dir, self: lib },
      sameCache: true,
      version: 1,
      area: 9,
      frame: `at area (${shape}:5:25)`,
      sep: path.sep,
    });
    const second = run();
    assert.deepEqual(second.stats, { hits: 2, misses: 0, rejected: 0, enabled: true });
    assert.deepEqual(second.out, first.out);
  });

  test('an edited file is compiled again, never run from its old code, and its entry replaced', () => {
    run();
    const entries = fs.readdirSync(path.join(cache, 'v8'));
    fs.writeFileSync(lib, fs.readFileSync(lib, 'utf8').replace('version = 1', 'version = 2'));
    const edited = run();
    assert.equal(edited.out.version, 2);
    assert.deepEqual(edited.stats, { hits: 1, misses: 1, rejected: 0, enabled: true });
    assert.deepEqual(
      fs.readdirSync(path.join(cache, 'v8')),
      entries,
      'the same entries, one per file',
    );
    assert.deepEqual(run().stats, { hits: 2, misses: 0, rejected: 0, enabled: true });
  });

  test('other V8 flags get entries of their own instead of rewriting these', () => {
    run();
    const flagged = run(['--max-semi-space-size=16']);
    assert.equal(flagged.stats.rejected, 0);
    assert.equal(flagged.stats.hits, 0);
    assert.deepEqual(run().stats, { hits: 2, misses: 0, rejected: 0, enabled: true });
    assert.equal(run(['--max-semi-space-size=16']).stats.hits, 2);
  });

  test('AUTODL_CODE_CACHE=0 and --enable-source-maps leave compiling to Node', () => {
    const off = run([], { AUTODL_CODE_CACHE: '0' });
    assert.equal(off.stats.enabled, false);
    assert.equal(off.out.area, 9);
    const mapped = run(['--enable-source-maps']);
    assert.equal(mapped.stats.enabled, false);
    assert.equal(mapped.out.frame, `at area (${shape}:5:25)`);
  });

  test('a torn entry is compiled again; code V8 refuses is counted, replaced, never run', () => {
    run();
    const v8 = path.join(cache, 'v8');
    const entries = fs.readdirSync(v8).map((e) => path.join(v8, e));
    // A writer killed mid-write: not even the content's digest is whole.
    for (const e of entries) fs.writeFileSync(e, 'torn');
    const torn = run();
    assert.deepEqual(torn.stats, { hits: 0, misses: 2, rejected: 0, enabled: true });
    assert.equal(torn.out.area, 9);
    // The right digest, then bytes that are not V8's code: V8 refuses them.
    for (const e of entries) {
      const whole = fs.readFileSync(e);
      if (whole.length <= 20) continue; // an entry of the flagged runs above, still torn
      fs.writeFileSync(
        e,
        Buffer.concat([whole.subarray(0, 20), Buffer.alloc(whole.length - 20, 7)]),
      );
    }
    const refused = run();
    assert.deepEqual(refused.stats, { hits: 0, misses: 0, rejected: 2, enabled: true });
    assert.deepEqual(refused.out, torn.out);
    assert.deepEqual(run().stats, { hits: 2, misses: 0, rejected: 0, enabled: true });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));
});
