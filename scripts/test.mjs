#!/usr/bin/env node
// `npm test`: type-check, lint, then every test in three tiers, each its own run:
//   unit    pure tests (the specs beside the code that need nothing else): run with no database in
//           their environment, so a misclassified test that reaches for one fails loudly;
//   medium  tests on a real PostgreSQL (test/support/database.ts or TEST_DATABASE_URL);
//   e2e     the service as processes, the console in a browser, the Kubernetes manifests and
//           executor (test/browser, test/k8s, *.e2e.test.ts, any test that starts the app).
// Medium and e2e use TEST_DATABASE_URL when set, else a scratch embedded PostgreSQL.
//
//   node scripts/test.mjs                      type-check, lint, unit, medium, e2e
//   node scripts/test.mjs --tier unit [...]     those tiers only (no type-check or lint)
//   node scripts/test.mjs <files...>           those files, each in its tier
//   --coverage                                 line coverage of the unit and medium tiers
//   --no-lint                                  all tiers without type-check and lint
//   --list                                     print each test file's tier, run nothing
//   --record-durations                         store the e2e files' run times in
//                                              scripts/test-durations.json (the run order)
//
// A whole run (no --tier, no files) starts the e2e tier at once and runs the rest beside it: the
// e2e files mostly wait (process starts, polls, a browser, the test API server) and leave about a
// core idle, which the type-checks, linters, unit and medium tiers fill at a lower CPU priority,
// so that they take cycles the e2e tier does not use. Their output is printed when the e2e tier
// ends (a line on stderr says when each one ends), so that two TAP streams do not interleave.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { setPriority, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const TIERS = ['unit', 'medium', 'e2e'];

const args = process.argv.slice(2);
const tierArgs = args.flatMap((a, i) => (args[i - 1] === '--tier' ? a.split(',') : []));
for (const t of tierArgs) if (!TIERS.includes(t)) usage(`unknown tier ${t}`);
const only = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--tier');
const coverage = args.includes('--coverage');
const recordDurations = args.includes('--record-durations');
const tiers = tierArgs.length ? tierArgs : coverage ? ['unit', 'medium'] : TIERS;
const quick = args.includes('--no-lint') || only.length > 0 || tierArgs.length > 0 || coverage;

function usage(message) {
  process.stderr.write(`${message}\nusage: node scripts/test.mjs [--tier unit|medium|e2e]...`);
  process.stderr.write(` [--coverage] [--no-lint] [files...]\n`);
  process.exit(2);
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/**
 * Runs one check; its output is printed when it ends, so that two checks running at once do not
 * interleave. Beside the e2e tier (`side`) it runs at a lower CPU priority, its output is kept for
 * later and a failure is returned instead of ending the run.
 */
function check(name, cmd, cmdArgs, side = null) {
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    if (side) lowerPriority(child.pid);
    const output = [];
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    child.on('close', (code) => {
      if (side) side.output.push(...output);
      else process.stdout.write(Buffer.concat(output));
      if (code !== 0) {
        process.stderr.write(`\n${name} failed\n`);
        if (!side) process.exit(code ?? 1);
        side.failed.push(name);
      } else process.stderr.write(`${name}: ok (${seconds(t)})\n`);
      resolve();
    });
  });
}

/** Runs lanes of checks side by side, each lane's checks one after another. */
async function checks(lanes, side = null) {
  await Promise.all(
    lanes.map(async (lane) => {
      for (const [name, cmd, cmdArgs] of lane) await check(name, cmd, cmdArgs, side);
    }),
  );
}

/**
 * The work beside the e2e tier gets a lower CPU priority (nice 5: about a quarter of a core's
 * share when both compete): the e2e tier is the longest and its waits must stay short; the
 * processes this one starts inherit it.
 */
function lowerPriority(pid) {
  try {
    setPriority(pid, 5);
  } catch {
    // Not allowed or not supported: the run is only slower.
  }
}

function walk(dir, test, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, test, out);
    else if (test(name)) out.push(relative(root, full));
  }
  return out;
}

/**
 * The tier of a test file, from where it lives and what it uses: test/medium is medium;
 * test/browser, test/k8s and *.e2e.test.ts are e2e, as is any test that starts the app (or,
 * under test/e2e, spawns processes); then a test on the test database is medium (wherever it
 * lives); everything else is unit.
 */
function tierOf(file, source) {
  if (file.startsWith('test/medium/')) return 'medium';
  if (/^test\/(browser|k8s)\/|\.e2e\.test\.ts$/.test(file)) return 'e2e';
  if (/\bstart(Test)?App\b|support\/app['"]|bin\/autodl/.test(source)) return 'e2e';
  if (file.startsWith('test/e2e/') && /['"]node:child_process['"]/.test(source)) return 'e2e';
  if (/support\/database['"]|TEST_DATABASE_URL/.test(source)) return 'medium';
  return 'unit';
}

const files = only.length
  ? only
  : ['src', join('console', 'src'), 'test', 'packages'].flatMap((d) =>
      walk(join(root, d), (n) => /\.(spec|test)\.ts$/.test(n)),
    );
const byTier = Object.fromEntries(TIERS.map((t) => [t, []]));
for (const f of files) byTier[tierOf(f, readFileSync(join(root, f), 'utf8'))].push(f);
// Longest files first: the order `--list` prints. `node --test` runs a tier's files sorted by
// path whatever this order (see runTier). The run time is the measured one of
// scripts/test-durations.json (seconds per file, from a TAP run of the tier on the 2-core CI
// machine; rough numbers are enough, refresh them when a file's cost changes a lot), else
// estimated from the file's size (a second per KB). `--record-durations` refreshes the table.
const durationsFile = join(root, 'scripts/test-durations.json');
const durations = JSON.parse(readFileSync(durationsFile, 'utf8'));
const cost = (f) => durations[f] ?? statSync(join(root, f)).size / 1000;
for (const t of TIERS) byTier[t].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b));

if (args.includes('--list')) {
  for (const tier of tiers) for (const f of byTier[tier]) process.stdout.write(`${tier}\t${f}\n`);
  process.exit(0);
}

// The static checks are single-threaded: two lanes of about equal length keep both cores busy
// (eslint, with type information, and prettier over every file are the longest).
const STATIC_CHECKS = [
  [
    ['lint', 'npx', ['eslint', '.']],
    ['typecheck browser tests', 'npx', ['tsc', '-p', 'test/browser/tsconfig.json']],
    [
      'layers',
      'npx',
      ['depcruise', 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    ],
  ],
  [
    ['format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']],
    ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
    ['typecheck console', 'npx', ['tsc', '-p', 'console/tsconfig.json']],
  ],
];
// A whole run overlaps the rest with the e2e tier (see the top of this file).
const overlap =
  only.length === 0 &&
  tierArgs.length === 0 &&
  !coverage &&
  byTier.e2e.length > 0 &&
  !process.env.AUTODL_TEST_SEQUENTIAL;
if (!quick && !overlap) {
  const t = Date.now();
  await checks(STATIC_CHECKS);
  process.stderr.write(`static checks: ok (${seconds(t)})\n`);
}

const coverageDir = join(root, 'coverage');
if (coverage) {
  rmSync(coverageDir, { recursive: true, force: true });
  mkdirSync(coverageDir, { recursive: true });
}

/** The unit tier's environment: no database of any kind, not even libpq's defaults. */
function withoutDatabase(env) {
  const out = { ...env };
  for (const k of Object.keys(out)) if (/^(TEST_)?DATABASE_URL$|^PG[A-Z]+$/.test(k)) delete out[k];
  // A test that still opens a pg client goes nowhere, at once: a misclassified test fails.
  out.PGHOST = '/nonexistent/unit-tests-have-no-database';
  return out;
}

/**
 * A free port in 54400-54999, so two runs on one machine (two clones, a CI job) do not collide,
 * nor with the ports e2e tests give their own embedded servers (55000 and up).
 */
async function freePort() {
  for (let attempt = 0; ; attempt++) {
    const port = 54400 + Math.floor(Math.random() * 600);
    const server = createServer();
    const free = await new Promise((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free || attempt > 50) return port;
  }
}

let scratch = null;
async function databaseUrl() {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  if (!scratch) {
    require('../bin/register-ts.cjs');
    const { startScratchPostgres } = require(
      join(root, 'src/platform/database/embedded-postgres.ts'),
    );
    const port = Number(process.env.AUTODL_TEST_PG_PORT ?? (await freePort()));
    scratch = await startScratchPostgres(port);
    process.stderr.write(`tests use a scratch embedded PostgreSQL (${scratch.dir})\n`);
  }
  return scratch.url;
}

/**
 * Runs one tier's files in one `node --test` run. Beside the e2e tier (`side`) it runs at a lower
 * CPU priority and its output is kept for later.
 */
async function runTier(tier, tierFiles, side = null) {
  const env =
    tier === 'unit'
      ? withoutDatabase(process.env)
      : {
          ...process.env,
          TEST_DATABASE_URL: await databaseUrl(),
          // Two test files run at once on the 2-core CI machine and neither app knows of the
          // other's workers, so `auto` would start two training threads per job, four on two
          // cores. A job of a test gets one; the thread rules have their own unit tests.
          AUTODL_TRAIN_THREADS: process.env.AUTODL_TRAIN_THREADS ?? '1',
        };
  // Unit and medium files keep the cores busy: two at a time. An e2e file mostly waits (process
  // starts, polls, a browser, the test API server): two at a time left the two cores half idle
  // (about 870 CPU-seconds in 830 s of wall time), and four still took 800 s on the idle 2-core CI
  // machine while the tier's files use about 560 CPU-seconds (their process trees, 2026-12-05),
  // so six run at once. The tier's files used 852 CPU-seconds of their process trees and ~50 of
  // the PostgreSQL server in one run beside other sessions' benchmarks (2026-12-06).
  const concurrency = env.AUTODL_TEST_CONCURRENCY ?? (tier === 'e2e' ? '6' : '2');
  // A reporter given replaces the default one: name the default too.
  const main = [
    `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
    '--test-reporter-destination=stdout',
  ];
  const reporters = coverage
    ? [
        '--enable-source-maps',
        '--experimental-test-coverage',
        ...main,
        `--test-reporter=${join(root, 'scripts/test-coverage-reporter.mjs')}`,
        `--test-reporter-destination=${join(coverageDir, `${tier}.json`)}`,
      ]
    : [];
  const recorded =
    recordDurations && tier === 'e2e' ? join(tmpdir(), `durations-${process.pid}.json`) : null;
  if (recorded)
    reporters.push(
      ...(coverage ? [] : main),
      `--test-reporter=${join(root, 'scripts/test-durations-reporter.mjs')}`,
      `--test-reporter-destination=${recorded}`,
    );
  process.stderr.write(`\n${tier} tier: ${tierFiles.length} file(s)\n`);
  const t = Date.now();
  // `node --test` runs its files sorted by path, whatever the order given. Session 13 ran the e2e
  // tier longest first through node:test's run() instead: the six heaviest files (collab,
  // collab-pool, access-log, console, collab-k8s, artifact-downloads: apps with compute workers)
  // then started together beside the static checks and the unit tier, and at load 27 their
  // processes timed out connecting to PostgreSQL (three files failed in a clean clone, 594 s).
  // In path order they spread over the run (two clean clones green, 704 s and below).
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(root, 'bin/register-ts.cjs'),
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=600000',
      ...reporters,
      ...tierFiles,
    ],
    { cwd: root, env, stdio: side ? ['ignore', 'pipe', 'pipe'] : 'inherit' },
  );
  if (side) {
    lowerPriority(child.pid);
    child.stdout.on('data', (d) => side.output.push(d));
    child.stderr.on('data', (d) => side.output.push(d));
  }
  const code = await new Promise((resolve) =>
    child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))),
  );
  if (recorded) saveDurations(recorded, tierFiles);
  const result = { tier, files: tierFiles.length, code, time: seconds(t) };
  process.stderr.write(`${tier} tier: ${code === 0 ? 'ok' : 'FAILED'} (${result.time})\n`);
  return result;
}

const results = [];
if (overlap) {
  const t = Date.now();
  // One database for both: start the scratch server (when there is no TEST_DATABASE_URL) first.
  if (tiers.some((tier) => tier !== 'unit' && byTier[tier].length)) await databaseUrl();
  const side = { output: [], failed: [] };
  const beside = (async () => {
    if (!quick) {
      await checks(STATIC_CHECKS, side);
      process.stderr.write(
        `static checks: ${side.failed.length ? `FAILED (${side.failed.join(', ')})` : 'ok'} (${seconds(t)})\n`,
      );
    }
    const out = [];
    for (const tier of tiers)
      if (tier !== 'e2e' && byTier[tier].length) out.push(await runTier(tier, byTier[tier], side));
    return out;
  })();
  const e2e = await runTier('e2e', byTier.e2e);
  const others = await beside;
  process.stderr.write('\noutput of the checks and tiers that ran beside the e2e tier:\n');
  process.stdout.write(Buffer.concat(side.output));
  results.push(...others, e2e);
  if (side.failed.length) {
    process.stderr.write(`\n${side.failed.join(', ')} failed\n`);
    results.push({ tier: 'static checks', files: 0, code: 1, time: 'FAILED' });
  }
  process.stderr.write(`all: ${seconds(t)}\n`);
} else {
  for (const tier of tiers)
    if (byTier[tier].length) results.push(await runTier(tier, byTier[tier]));
}
if (scratch) await scratch.stop();
process.stderr.write(
  `\n${results.map((r) => `${r.tier} ${r.files} files ${r.time}`).join(', ')}\n`,
);
if (coverage) writeCoverageSummary(results.map((r) => r.tier));
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);

/**
 * Stores the run times the durations reporter wrote (seconds per file, one decimal) in
 * scripts/test-durations.json, longest first; files that no longer exist are dropped. A test
 * defined in a shared file (a contract suite under test/support) is reported under that file:
 * only the tier's own files are kept.
 */
function saveDurations(recorded, tierFiles) {
  let measured = {};
  try {
    measured = JSON.parse(readFileSync(recorded, 'utf8'));
    rmSync(recorded, { force: true });
  } catch {
    process.stderr.write('no durations recorded\n');
  }
  const merged = { ...durations };
  for (const [f, s] of Object.entries(measured))
    if (tierFiles.includes(f)) merged[f] = Math.max(0.1, Math.round(s * 10) / 10);
  const kept = Object.entries(merged).filter(([f]) => existsSync(join(root, f)));
  kept.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  writeFileSync(durationsFile, JSON.stringify(Object.fromEntries(kept), null, 2) + '\n');
  process.stderr.write(
    `run times of ${tierFiles.filter((f) => f in measured).length} file(s) stored in ${relative(root, durationsFile)}\n`,
  );
}

/**
 * Merges the tiers' per-file line coverage (a line is covered when any tier ran it) and counts
 * the source files no test loaded as uncovered, so the number is of all the code, not only of
 * what the tests happened to import. Writes coverage/summary.txt and prints it.
 */
function writeCoverageSummary(ran) {
  const covered = new Map(); // file -> { total, lines: Set }
  for (const tier of ran) {
    const report = join(coverageDir, `${tier}.json`);
    let files = [];
    try {
      const text = readFileSync(report, 'utf8').trim();
      files = text.split('\n').flatMap((line) => JSON.parse(line));
    } catch {
      process.stderr.write(`no coverage from the ${tier} tier\n`);
    }
    for (const f of files) {
      const file = relative(root, f.path);
      const entry = covered.get(file) ?? { total: f.total, lines: new Set() };
      for (const line of f.covered) entry.lines.add(line);
      covered.set(file, entry);
    }
  }
  const isSource = (n) => /\.tsx?$/.test(n) && !/\.(spec|test)\.tsx?$|\.d\.ts$/.test(n);
  const areas = { src: 'src', console: join('console', 'src') };
  const rows = [];
  let allTotal = 0;
  let allCovered = 0;
  for (const [name, dir] of Object.entries(areas)) {
    let total = 0;
    let hit = 0;
    let loaded = 0;
    const sources = walk(join(root, dir), isSource);
    for (const file of sources) {
      const entry = covered.get(file);
      if (entry) loaded++;
      total +=
        entry?.total ??
        readFileSync(join(root, file), 'utf8').replace(/\n$/, '').split('\n').length;
      hit += entry?.lines.size ?? 0;
    }
    allTotal += total;
    allCovered += hit;
    rows.push(
      `${name}/: ${((100 * hit) / total).toFixed(1)}% of ${total} lines ` +
        `(${sources.length} files, ${sources.length - loaded} never loaded by these tiers)`,
    );
  }
  const text =
    `line coverage of the ${ran.join(' + ')} tier(s), node --experimental-test-coverage:\n` +
    rows.map((r) => `  ${r}\n`).join('') +
    `  all: ${((100 * allCovered) / allTotal).toFixed(1)}% of ${allTotal} lines\n`;
  writeFileSync(join(coverageDir, 'summary.txt'), text);
  process.stderr.write(`\n${text}`);
}
