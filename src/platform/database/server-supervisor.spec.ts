import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ServerProcess, ServerSupervisor } from './server-supervisor';

class FakeServer extends EventEmitter implements ServerProcess {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  die(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.signalCode = signal;
    this.emit('exit', null, signal);
  }
}

function harness(failures: number, delays: number[]) {
  const started: FakeServer[] = [];
  const gaveUp: unknown[] = [];
  let attempts = 0;
  const supervisor = new ServerSupervisor({
    start: async () => {
      attempts++;
      if (attempts > 1 && attempts <= 1 + failures) throw new Error(`attempt ${attempts} failed`);
      const s = new FakeServer();
      started.push(s);
      return s;
    },
    restartDelaysMs: delays,
    log: () => undefined,
    onGiveUp: (e) => gaveUp.push(e),
  });
  return { supervisor, started, gaveUp, attempts: () => attempts };
}

const until = async (check: () => boolean) => {
  const end = Date.now() + 2000;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

test('a server that dies is restarted after the backoff, again on every death', async () => {
  const h = harness(2, [1, 1, 1, 1]);
  await h.supervisor.start();
  h.started[0].die();
  await until(() => h.started.length === 2);
  assert.equal(h.started.length, 2);
  assert.equal(h.attempts(), 4, 'two failed attempts, then a start');
  assert.equal(h.supervisor.process, h.started[1]);
  h.started[1].die();
  await until(() => h.started.length === 3);
  assert.equal(h.started.length, 3);
  assert.deepEqual(h.gaveUp, []);
});

test('when every restart fails the supervisor gives up once (the service then exits non-zero)', async () => {
  const h = harness(10, [1, 1, 1]);
  await h.supervisor.start();
  h.started[0].die();
  await until(() => h.gaveUp.length > 0);
  assert.equal(h.gaveUp.length, 1);
  assert.match(String(h.gaveUp[0]), /attempt 4 failed/);
  assert.equal(h.attempts(), 4);
  assert.equal(h.supervisor.process, null);
});

test('a server stopped on purpose is not restarted', async () => {
  const h = harness(0, [1]);
  await h.supervisor.start();
  await h.supervisor.stop();
  h.started[0].die('SIGINT');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.attempts(), 1);
  assert.deepEqual(h.gaveUp, []);
});
