/**
 * The user container's wrapper, run by a real POSIX sh (/bin/sh) in a temporary directory that
 * stands for the pod's emptyDir: output reaches both the pod log (its stdout) and the output
 * file, the exit code is written only after the output is complete, the stop file stops a
 * running command (SIGTERM: exit 143, as sh reports a process killed by signal 15) or keeps one
 * from starting, and the command script passes argv and environment through sh unchanged.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  TRIAL_FILES,
  TRIAL_WRAPPER,
  parseExitCode,
  shQuote,
  trialCommandScript,
} from '../core/trial-container';

function wrapper(dir: string): { done: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn('sh', ['-c', TRIAL_WRAPPER], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AUTODL_TRIAL_POD_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return {
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout }))),
  };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-trial-wrapper-'));
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('trial container wrapper (sh)', () => {
  test('runs the command: output in the pod log and the file, exit code after it', async () => {
    const dir = tmp();
    const run = wrapper(dir);
    const argv = ['sh', '-c', 'echo "loss=$1 $GREETING"; echo warn >&2; exit 3', 'x', "it's 2"];
    fs.writeFileSync(
      path.join(dir, TRIAL_FILES.command),
      trialCommandScript(argv, { GREETING: 'a "b" $c' }),
    );
    const { code, stdout } = await run.done;
    assert.equal(code, 0, 'the wrapper exits 0: the outcome is the collector to record');
    const output = fs.readFileSync(path.join(dir, TRIAL_FILES.output), 'utf8');
    assert.equal(output, `loss=it's 2 a "b" $c\nwarn\n`);
    assert.equal(stdout, output, 'the pod log shows the same lines');
    const exit = fs.readFileSync(path.join(dir, TRIAL_FILES.exit), 'utf8');
    assert.equal(parseExitCode(exit), 3);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the stop file stops a running command with SIGTERM', async () => {
    const dir = tmp();
    const run = wrapper(dir);
    fs.writeFileSync(
      path.join(dir, TRIAL_FILES.command),
      trialCommandScript(['sh', '-c', 'echo started; exec sleep 60'], {}),
    );
    const out = path.join(dir, TRIAL_FILES.output);
    await until(
      'the command to start',
      () => fs.existsSync(out) && /started/.test(fs.readFileSync(out, 'utf8')),
    );
    const t0 = Date.now();
    fs.writeFileSync(path.join(dir, TRIAL_FILES.stop), '');
    await run.done;
    assert.ok(Date.now() - t0 < 10_000, 'stopped by SIGTERM, before the SIGKILL grace');
    assert.equal(parseExitCode(fs.readFileSync(path.join(dir, TRIAL_FILES.exit), 'utf8')), 143);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a stop before any command ends the container without running anything', async () => {
    const dir = tmp();
    const run = wrapper(dir);
    fs.writeFileSync(path.join(dir, TRIAL_FILES.stop), '');
    const { code } = await run.done;
    assert.equal(code, 0);
    assert.equal(fs.existsSync(path.join(dir, TRIAL_FILES.output)), false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('quoting and exit-file parsing', () => {
    assert.equal(shQuote("a'b"), `'a'\\''b'`);
    assert.throws(() => trialCommandScript([], {}), /program/);
    assert.throws(() => trialCommandScript(['x'], { 'A-B': '1' }), /environment name/);
    assert.equal(parseExitCode('0\n'), 0);
    assert.equal(parseExitCode(''), null);
  });
});
