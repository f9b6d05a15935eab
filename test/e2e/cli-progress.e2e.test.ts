/**
 * `autodl jobs logs <id> --follow` as a user sees it: run in a real terminal (a tmux pane of
 * 100 x 40), the screen captured once the job finished. The progress bar (stderr) must stay on
 * one line below the log lines (stdout), never copied above or between them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, TestApp } from '../support/app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts');
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();
// A server of our own (-L), so nothing else's tmux sessions are touched.
const SOCKET = `autodl-test-${process.pid}`;
const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
// A progress bar line, whatever its glyphs: `... 42% | message`.
const BAR = /\d+% \| /;

let app: TestApp;
before(async () => {
  // A loaded machine may miss a 3 s heartbeat; a re-queued step would only repeat a log line.
  if (hasTmux)
    app = await startTestApp({
      workers: 1,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
});
after(async () => {
  if (!hasTmux) return;
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  await app?.close();
});

test(
  'jobs logs --follow in a terminal: log lines scroll above one progress bar',
  { skip: !hasTmux && 'tmux is not installed' },
  async () => {
    const job = (
      await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 8, stepMs: 400 } }).expect(202)
    ).body as { id: string };
    const command = [
      `AUTODL_URL=${app.url}`,
      `AUTODL_API_KEY=${app.key}`,
      process.execPath,
      '-r',
      sourceLoader(),
      MAIN,
      'jobs',
      'logs',
      job.id,
      '--follow',
      '; echo CLI-EXIT $?; sleep 600',
    ].join(' ');
    tmux('new-session', '-d', '-s', 'cli', '-x', '100', '-y', '40', '-c', process.cwd(), command);
    let screen: string[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      screen = tmux('capture-pane', '-p', '-t', 'cli').split('\n');
      if (screen.some((l) => l.startsWith('CLI-EXIT'))) break;
      await sleep(250);
    }
    const text = screen.join('\n');
    assert.ok(
      screen.some((l) => l === 'CLI-EXIT 0'),
      `the CLI finished with 0:\n${text}`,
    );
    const logLines = screen
      .map((l, i) => ({ l, i }))
      .filter(({ l }) => /\binfo\s+step \d\b/.test(l));
    assert.deepEqual(
      [...new Set(logLines.map(({ l }) => /step (\d)/.exec(l)?.[1]))].sort(),
      ['0', '1', '2', '3', '4', '5', '6', '7'],
      `the step lines:\n${text}`,
    );
    const bars = screen.map((l, i) => ({ l, i })).filter(({ l }) => BAR.test(l));
    assert.equal(bars.length, 1, `one bar on screen:\n${text}`);
    assert.match(bars[0].l, /100% \| succeeded/);
    assert.ok(
      logLines.every(({ i }) => i < bars[0].i),
      `the bar is below every log line:\n${text}`,
    );
    for (const { l } of logLines) assert.doesNotMatch(l, /[#]{3}|%/, 'no bar inside a log line');
  },
);
