import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUARD_SCRIPT, sandboxCommand, sandboxEnv } from './sandbox-plan';

const LIMITS = { cpuSeconds: 60, addressSpaceBytes: 1 << 30, openFiles: 256, processes: 64 };

test('sandboxCommand: guard with pdeathsig, then the uid drop, then hard rlimits, then argv', () => {
  const { file, args } = sandboxCommand({
    argv: ['python3', 'train.py', '--lr=0.1'],
    limits: LIMITS,
    dropTo: { uid: 65534, gid: 65534 },
  });
  assert.equal(file, 'setpriv');
  assert.deepEqual(args.slice(0, 7), [
    '--pdeathsig',
    'HUP',
    '--',
    '/bin/sh',
    '-c',
    GUARD_SCRIPT,
    'autodl-trial-guard',
  ]);
  const rest = args.slice(7);
  assert.deepEqual(rest.slice(0, rest.indexOf('prlimit')), [
    'setpriv',
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '--inh-caps=-all',
    '--no-new-privs',
    '--',
  ]);
  assert.deepEqual(rest.slice(rest.indexOf('prlimit')), [
    'prlimit',
    '--cpu=60',
    `--as=${1 << 30}`,
    '--nofile=256',
    '--nproc=64',
    '--',
    'python3',
    'train.py',
    '--lr=0.1',
  ]);
});

test('sandboxCommand: no uid change when the service is not root; never root; never empty', () => {
  const { args } = sandboxCommand({ argv: ['true'], limits: LIMITS, dropTo: null });
  assert.ok(!args.some((a) => a.startsWith('--reuid')));
  assert.ok(args.includes('--no-new-privs'));
  assert.throws(() =>
    sandboxCommand({ argv: ['true'], limits: LIMITS, dropTo: { uid: 0, gid: 0 } }),
  );
  assert.throws(() => sandboxCommand({ argv: [], limits: LIMITS, dropTo: null }));
});

test("sandboxEnv: only PATH, HOME/TMPDIR (the work dir), LANG, the study's env and AUTODL_TRIAL_*", () => {
  const env = sandboxEnv({
    path: '/usr/bin:/bin',
    workDir: '/tmp/autodl-trials/j1',
    declared: { OMP_NUM_THREADS: '1', AUTODL_TRIAL_NUMBER: 'spoofed' },
    trial: { AUTODL_TRIAL_NUMBER: '3', AUTODL_TRIAL_PARAMS: '{}', AUTODL_STUDY_ID: 's' },
  });
  assert.deepEqual(env, {
    PATH: '/usr/bin:/bin',
    HOME: '/tmp/autodl-trials/j1',
    TMPDIR: '/tmp/autodl-trials/j1',
    LANG: 'C.UTF-8',
    OMP_NUM_THREADS: '1',
    AUTODL_TRIAL_NUMBER: '3',
    AUTODL_TRIAL_PARAMS: '{}',
    AUTODL_STUDY_ID: 's',
  });
});
