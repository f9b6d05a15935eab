#!/usr/bin/env node
// `npm test`: type-check, lint, then every test (unit specs beside the code, medium and e2e tests
// under test/) on a real PostgreSQL: TEST_DATABASE_URL when set, else a scratch embedded server.
import { spawnSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const quick = args.includes('--no-lint') || only.length > 0;

function step(name, cmd, cmdArgs) {
  const t = Date.now();
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`\n${name} failed\n`);
    process.exit(r.status ?? 1);
  }
  process.stderr.write(`${name}: ok (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(spec|test)\.ts$/.test(name)) out.push(relative(root, full));
  }
  return out;
}

if (!quick) {
  step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  step('typecheck console', 'npx', ['tsc', '-p', 'console/tsconfig.json']);
  step('typecheck browser tests', 'npx', ['tsc', '-p', 'test/browser/tsconfig.json']);
  step('lint', 'npx', ['eslint', '.']);
  step('layers', 'npx', [
    'depcruise',
    'src',
    '--config',
    '.dependency-cruiser.cjs',
    '--output-type',
    'err',
  ]);
  step('format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']);
}

const files = (
  only.length
    ? only
    : [
        ...walk(join(root, 'src')),
        ...walk(join(root, 'console', 'src')),
        ...walk(join(root, 'test')),
      ]
).sort();
let scratch = null;
const env = { ...process.env };
if (!env.TEST_DATABASE_URL) {
  require('@swc-node/register');
  const { startScratchPostgres } = require(
    join(root, 'src/platform/database/embedded-postgres.ts'),
  );
  scratch = await startScratchPostgres(Number(env.AUTODL_TEST_PG_PORT ?? 54388));
  env.TEST_DATABASE_URL = scratch.url;
  process.stderr.write(`tests use a scratch embedded PostgreSQL (${scratch.dir})\n`);
} else {
  process.stderr.write(`tests use TEST_DATABASE_URL\n`);
}

const concurrency = env.AUTODL_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  [
    '-r',
    '@swc-node/register',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=600000',
    ...files,
  ],
  { cwd: root, env, stdio: 'inherit' },
);
const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
if (scratch) await scratch.stop();
process.exit(code);
