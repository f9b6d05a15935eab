/**
 * A V8 code cache for the CommonJS modules a source run loads (bin/register-ts.cjs installs it):
 * Node 22 has `module.enableCompileCache()`, Node 20 does not.
 *
 * Why: a test run starts ~500 Node processes (test files, job workers, Kubernetes "pods", CLI
 * calls), and each one that loads the app spends ~2.3 s of CPU before doing anything, 30 % of it
 * in V8 compiling the 19 MB of JavaScript the app's module graph holds (TypeORM, NestJS, TF.js,
 * our own modules). With the code V8 compiled last time, a start costs ~0.3 s less.
 *
 * How: Module.prototype._compile compiles the same wrapper Node would (Module.wrap) as a
 * vm.Script with the cached data of an earlier run, runs it with the require function Node would
 * give, and at exit stores the code V8 compiled for the modules that had none (the top level and
 * every function called so far). An entry is one file's, keyed by Node's version, the flags that
 * may be V8's and the file's path, and starts with the digest of the content it was compiled
 * from: an edited file never gets stale code, and its entry is replaced, not added to. V8 itself
 * refuses data made by another build or under other flags; the entry is then made again.
 *
 * Left to Node's own loader: the main module (so `--inspect-brk` still stops on its first line),
 * ES modules, files that do not parse as a CommonJS body, and runs with --enable-source-maps (Node
 * reads a module's source map while it compiles it; the coverage runs use that flag).
 * AUTODL_CODE_CACHE=0 turns it off.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const KEY = Symbol.for('autodl.v8-code-cache');

/**
 * A module that may call `import()` is left to Node: in a vm.Script, `import()` needs a callback
 * that Node 20 offers only as an experimental constant (a warning on every process's stderr), and
 * a script whose code comes from the cache loses it (V8 does not restore it with the cached code).
 * None of our modules keeps an `import()` (swc compiles them to require), few packages do.
 */
const DYNAMIC_IMPORT = /(?<![.\w${])import\s*\(/; // not a method (`table.import(`) nor a JSDoc type

/**
 * Installs the cache under `dir` (once per thread). Returns its counters: modules compiled from
 * the cache (`hits`), without one (`misses`), and with data V8 refused (`rejected`).
 */
function installCodeCache(dir) {
  if (globalThis[KEY]) return globalThis[KEY];
  const stats = { hits: 0, misses: 0, rejected: 0, enabled: false };
  globalThis[KEY] = stats;
  if (process.env.AUTODL_CODE_CACHE === '0' || process.sourceMapsEnabled) return stats;
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch {
    return stats; // a read-only or full disk: Node's own compile, as without the cache
  }
  stats.enabled = true;
  const salt = `${process.version}\0${process.arch}\0${v8Flags().join(' ')}\0`;
  const nodeCompile = Module.prototype._compile;
  /** Scripts compiled without usable data: their code is stored at exit. */
  const fresh = [];

  Module.prototype._compile = function compileCached(content, filename, format) {
    if (format === 'module' || this.id === '.')
      return nodeCompile.call(this, content, filename, format);
    // One entry per file (and flags), overwritten when the file changes: the folder holds one
    // version of each module, not every version ever loaded. The content's digest leads it.
    const entry = path.join(dir, sha1(salt, filename).toString('hex'));
    const digest = sha1(content);
    let cachedData;
    try {
      const stored = fs.readFileSync(entry);
      if (stored.length > digest.length && stored.subarray(0, digest.length).equals(digest))
        cachedData = stored.subarray(digest.length);
    } catch {
      cachedData = undefined;
    }
    // Only a module without one was ever stored: an entry of this content needs no second look.
    if (!cachedData && DYNAMIC_IMPORT.test(content))
      return nodeCompile.call(this, content, filename, format);
    let script;
    try {
      script = new vm.Script(Module.wrap(content), {
        filename,
        cachedData,
      });
    } catch {
      // ES module syntax, a hashbang or a real syntax error: Node's loader decides, and reports.
      return nodeCompile.call(this, content, filename, format);
    }
    if (!cachedData) stats.misses++;
    else if (script.cachedDataRejected) stats.rejected++;
    else stats.hits++;
    if (!cachedData || script.cachedDataRejected) fresh.push([entry, digest, script]);
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(
      this.exports,
      this.exports,
      requireFor(this),
      this,
      filename,
      path.dirname(filename),
    );
  };

  process.once('exit', () => {
    for (const [entry, digest, script] of fresh) {
      try {
        // Atomic: processes starting at once read either nothing or a whole entry.
        const tmp = `${entry}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
        fs.writeFileSync(tmp, Buffer.concat([digest, script.createCachedData()]));
        fs.renameSync(tmp, entry);
      } catch {
        // A full or read-only disk: the next process compiles again.
      }
    }
  });
  return stats;
}

function sha1(...parts) {
  const hash = crypto.createHash('sha1');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest();
}

/**
 * The command-line flags that may be V8's: V8 refuses code cached under other flags, so each set
 * gets its own entries instead of two kinds of process rewriting one entry in turn. Node's own
 * options that cannot change compiled code are left out, as are option values (`-r FILE`).
 */
function v8Flags() {
  const options = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return options
    .filter((a) => a.startsWith('--'))
    .filter((a) => !/^--(require|import|eval|print|test|inspect|enable-source-maps)/.test(a))
    .sort();
}

/** The `require` Node gives a CommonJS module (lib/internal/modules/helpers.js). */
function requireFor(mod) {
  const require = function require(id) {
    return mod.require(id);
  };
  require.resolve = function resolve(request, options) {
    return Module._resolveFilename(request, mod, false, options);
  };
  require.resolve.paths = function paths(request) {
    return Module._resolveLookupPaths(request, mod);
  };
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

module.exports = { installCodeCache };
