/**
 * Runs the TypeScript source of a checkout: `node -r ./bin/register-ts.cjs src/....ts`. The
 * tests, their workers, threads and CLI processes, `npm run start:dev` and bin/autodl.js before
 * `npm run build` start through it; built code (dist/) never needs it.
 *
 * Why not `-r @swc-node/register` (which still works, and which the bench commands in the docs
 * use): it loads the TypeScript compiler (9 MB of JavaScript, ~0.2 s) in every process and every
 * worker thread to read tsconfig.json, and hashes each module's options again, ~0.45 s of CPU per
 * process start on the 2-core CI machine. A test run starts ~500 processes (test files, job
 * workers, CLI runs). This file gives the same output from the same compiler: @swc-node/core
 * with the options @swc-node/register derives from tsconfig.json (TS_OPTIONS below; a unit test,
 * test/register-ts.test.ts, keeps the two equal), each module compiled once into a disk cache
 * keyed by its path, its source and the options.
 *
 * bin/v8-code-cache.cjs then keeps the code V8 compiles for every CommonJS module of the process
 * (ours and node_modules'), which saves another ~0.3 s of each start that loads the app.
 *
 * Stack traces: the source map is inlined (debuggers bind breakpoints from it) and, unless Node
 * maps stacks itself (--enable-source-maps), kept for @swc-node/sourcemap-support, as
 * @swc-node/register does by default.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');

/** @swc-node/core's options for tsconfig.json (what @swc-node/register computes from it). */
const TS_OPTIONS = {
  module: 'commonjs',
  target: 'es2022',
  jsx: false,
  sourcemap: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  esModuleInterop: true,
  dynamicImport: true,
  keepClassNames: true,
  externalHelpers: false,
  paths: {},
  ignoreDynamic: false,
  swc: {},
};

const KEY = Symbol.for('autodl.register-ts');

/**
 * Split so that this file holds no such comment itself: source-map-support reads the last one
 * in the file of every stack frame, this file's included (a stack trace of an error thrown while
 * a module loads has a frame here), and would decode the template as a map and throw.
 */
const INLINE_MAP = '//# source' + 'MappingURL=data:application/json;charset=utf-8;base64,';

function register() {
  if (globalThis[KEY]) return;
  globalThis[KEY] = __filename;
  const { transformSync } = require('@swc-node/core');
  const swcVersion = require('@swc/core/package.json').version;
  const salt = `${swcVersion}\0${JSON.stringify(TS_OPTIONS)}\0`;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const cacheDir =
    process.env.AUTODL_TS_CACHE_DIR || path.join(os.tmpdir(), `autodl-register-ts-${uid}`);
  let cacheable = true;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
  } catch {
    cacheable = false;
  }
  if (cacheable) pruneDaily(cacheDir);
  const maps = process.sourceMapsEnabled ? null : sourceMapStore();
  // Every CommonJS module of the run, TypeScript or not, compiled from V8's cache of the last run.
  require('./v8-code-cache.cjs').installCodeCache(path.join(cacheDir, 'v8'));

  function compile(source, filename) {
    const key = crypto.createHash('sha1').update(salt).update(filename).update('\0');
    const file = path.join(cacheDir, `${key.update(source).digest('hex')}.json`);
    let out = null;
    if (cacheable)
      try {
        out = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        out = null; // not cached yet, or a torn file from a crashed writer: compile again
      }
    if (!out) {
      const { code, map } = transformSync(source, filename, TS_OPTIONS);
      out = { code, map: map ?? null };
      if (cacheable)
        try {
          // Atomic: processes starting at once read either nothing or a whole entry.
          const tmp = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(tmp, JSON.stringify(out));
          fs.renameSync(tmp, file);
        } catch {
          // A full or read-only disk: the next process compiles again.
        }
    }
    if (!out.map) return out.code;
    if (maps) maps.set(filename, out.map);
    const inline = Buffer.from(out.map, 'utf8').toString('base64');
    return `${out.code}\n${INLINE_MAP}${inline}`;
  }

  Module._extensions['.ts'] = function loadTs(module, filename) {
    module._compile(compile(fs.readFileSync(filename, 'utf8'), filename), filename);
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Entries (compiled modules, V8's code) not written for this long are removed. */
const UNUSED_MS = 14 * DAY_MS;

/**
 * Keeps the caches from growing without end: every checkout, every edit of a module and every
 * version of a package adds entries (about 100 MB of compiled modules and 200 MB of V8's code
 * for five clones in a day), and nothing else removes them. Once a day (a stamp file's time),
 * the first process to start removes the entries of both folders not written for 14 days; a
 * module still in use is compiled again once. Best effort: two processes may prune at once.
 */
function pruneDaily(cacheDir) {
  const stamp = path.join(cacheDir, '.pruned');
  const now = Date.now();
  try {
    if (now - fs.statSync(stamp).mtimeMs < DAY_MS) return;
  } catch {
    // No stamp yet: prune now.
  }
  try {
    fs.writeFileSync(stamp, '');
  } catch {
    return;
  }
  for (const dir of [cacheDir, path.join(cacheDir, 'v8')]) {
    let names = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name === '.pruned' || name === 'v8') continue;
      const file = path.join(dir, name);
      try {
        if (now - fs.statSync(file).mtimeMs > UNUSED_MS) fs.unlinkSync(file);
      } catch {
        // Gone already, or not ours to remove.
      }
    }
  }
}

/** Maps Error.stack to the TypeScript lines, from the maps kept as modules load. */
function sourceMapStore() {
  const { SourcemapMap, installSourceMapSupport } = require('@swc-node/sourcemap-support');
  installSourceMapSupport();
  return SourcemapMap;
}

register();

module.exports = { TS_OPTIONS };
