import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sourceLoader } from '../../platform/runtime/source-thread';

const ROOT = path.resolve(__dirname, '../../..');

/** The pure modules: this barrel and every core file of the capabilities built on it. */
function pureModules(): string[] {
  const cores = ['registry', 'datasets', 'transfer'].flatMap((c) => {
    const dir = path.join(ROOT, 'src', c, 'core');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
      .map((f) => path.join(dir, f));
  });
  return [path.join(__dirname, 'index.ts'), ...cores];
}

// Runs in a fresh process: requires the modules and prints, for every request of a file-system
// module, the chain of modules that led to it (a barrel re-export shows up in that chain, which
// the lint rule on import statements cannot see).
const PROBE = `
const Module = require('node:module');
const path = require('node:path');
const load = Module._load;
const hits = [];
Module._load = function (request, parent) {
  if (/^(node:)?fs(\\/promises)?$/.test(request)) {
    const chain = [];
    for (let p = parent; p; p = p.parent) chain.push(path.relative(process.cwd(), p.filename));
    if (chain.some((c) => c.startsWith('src' + path.sep))) hits.push(chain.join(' <- '));
  }
  return load.apply(this, arguments);
};
for (const file of process.argv.slice(1)) require(file);
process.stdout.write(JSON.stringify(hits));
`;

test('the ml/data barrel and the registry, datasets and transfer cores load no file-system module, not even through a barrel', () => {
  const out = execFileSync(
    process.execPath,
    ['-r', sourceLoader(), '-e', PROBE, ...pureModules()],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.deepEqual(JSON.parse(out) as string[], []);
});
