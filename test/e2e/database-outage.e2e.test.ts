import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import request from 'supertest';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config/app-config';
import { serverPort } from '../support/net';

function postmasterPid(home: string): number {
  return Number(fs.readFileSync(path.join(home, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/**
 * The folder above AUTODL_HOME keeps its mode, except that a PostgreSQL run as another user (the
 * test runs as root) needs search permission (x, not list) through it for as long as it runs.
 */
function parentMode(home: string): number {
  const pgOwnedByOther = fs.statSync(path.join(home, 'pg')).uid !== process.getuid?.();
  return pgOwnedByOther ? 0o751 : 0o750;
}

/**
 * Issue 12, part 6, on the embedded PostgreSQL (its own port): killed under a running app, /v1
 * answers 503 with Retry-After while it is down, the app restarts it, and /v1 answers 200 again
 * with workers running jobs. The same start checks the file modes: AUTODL_HOME 0700, artifacts
 * 0600, and the folder above AUTODL_HOME left as it was.
 */
test('the embedded PostgreSQL killed under a running app: /v1 is 503 with Retry-After meanwhile, it is restarted and /v1 answers 200 again', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-outage-'));
  const parent = path.join(base, 'parent');
  fs.mkdirSync(parent);
  fs.chmodSync(parent, 0o750);
  const home = path.join(parent, 'home');
  const port = await serverPort();
  const config = loadConfig({
    AUTODL_HOME: home,
    AUTODL_EMBEDDED_PG_PORT: String(port),
    PORT: '0',
    HOST: '127.0.0.1',
    AUTODL_WORKERS: '1',
    AUTODL_COORDINATORS: '0',
    LOG_LEVEL: 'fatal',
    AUTODL_PRINT_ADMIN_KEY: '0',
    AUTODL_TF_BACKEND: 'cpu',
  });
  let blocker: net.Server | null = null;
  const app = await startApp(config);
  try {
    const auth = { Authorization: `Bearer ${app.adminKey}` };
    const http = request(app.url);
    await http.get('/v1/jobs').set(auth).expect(200);

    // A checkpoint rewrites <data>/global/pg_control by its absolute path: the server must still
    // reach its data directory after the start (it PANICked when the path was closed again).
    const started = postmasterPid(home);
    const password = fs.readFileSync(path.join(home, 'pg.password'), 'utf8').trim();
    const admin = new Client({
      connectionString: `postgres://autodl:${encodeURIComponent(password)}@127.0.0.1:${port}/autodl`,
    });
    await admin.connect();
    try {
      await admin.query('CHECKPOINT');
      await admin.query('SELECT 1');
    } finally {
      await admin.end();
    }
    assert.equal(postmasterPid(home), started, 'the server survived a checkpoint');

    // Files: the home is the service's only; the folder above it is not opened up.
    // 0700, or 0711 when the embedded PostgreSQL runs as another user and must pass through it
    // (protectHome): either way no one else lists, reads or writes it.
    assert.ok([0o700, 0o711].includes(mode(home)), `home mode ${mode(home).toString(8)}`);
    assert.equal(mode(parent), parentMode(home), 'the folder above AUTODL_HOME is not opened');
    const job = await http
      .post('/v1/jobs')
      .set(auth)
      .send({ kind: 'sleep', spec: { steps: 1, stepMs: 1, recordAttempt: true } })
      .expect(202);
    let status = '';
    for (let i = 0; i < 300 && status !== 'succeeded'; i++, await sleep(100))
      status = (await http.get(`/v1/jobs/${job.body.id}`).set(auth)).body.status;
    assert.equal(status, 'succeeded');
    const artifactDir = path.join(home, 'artifacts');
    const files: string[] = [];
    const walk = (d: string): void => {
      assert.equal(mode(d), 0o700, `${d} is 0700`);
      for (const e of fs.readdirSync(d, { withFileTypes: true }))
        if (e.isDirectory()) walk(path.join(d, e.name));
        else files.push(path.join(d, e.name));
    };
    walk(artifactDir);
    assert.equal(files.length, 1);
    assert.equal(mode(files[0]), 0o600, 'artifacts are 0600');

    // Kill the server and hold its port for a few seconds, so the restarts fail meanwhile (a
    // socket that hangs up at once: the client sees a terminated connection, not a timeout).
    const killed = postmasterPid(home);
    process.kill(killed, 'SIGKILL');
    blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      const tryListen = (left: number) => {
        blocker!.once('error', (e) =>
          left > 0 ? setTimeout(() => tryListen(left - 1), 20) : reject(e),
        );
        blocker!.listen(port, '127.0.0.1', () => resolve());
      };
      tryListen(100);
    });
    const outageStart = Date.now();
    const statuses = new Set<number>();
    while (Date.now() - outageStart < 3000) {
      const res = await http.get('/v1/jobs').set(auth);
      statuses.add(res.status);
      if (res.status === 503) {
        assert.match(res.headers['content-type'], /application\/problem\+json/);
        assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After in seconds');
        assert.equal(res.body.status, 503);
        assert.match(res.body.detail, /database is unavailable/);
      }
      await sleep(100);
    }
    assert.deepEqual([...statuses], [503], 'only 503s while the database is down');
    assert.equal((await http.get('/readyz')).status, 503);
    assert.equal((await http.get('/healthz')).status, 200, 'the process itself stays alive');
    await new Promise((resolve) => blocker!.close(resolve));
    blocker = null;

    // The supervisor's next attempt starts it again: /v1 answers, and workers run jobs.
    let back = 0;
    for (let i = 0; i < 600 && back !== 200; i++, await sleep(100))
      back = (await http.get('/v1/jobs').set(auth)).status;
    assert.equal(back, 200, 'the embedded PostgreSQL is back');
    const restartedAfterMs = Date.now() - outageStart;
    assert.notEqual(postmasterPid(home), killed);
    assert.equal((await http.get('/readyz')).status, 200);
    assert.equal(mode(parent), parentMode(home), 'a restart does not open the folder further');
    // 0700, or 0711 when the embedded PostgreSQL runs as another user and must pass through it
    // (protectHome): either way no one else lists, reads or writes it.
    assert.ok([0o700, 0o711].includes(mode(home)), `home mode ${mode(home).toString(8)}`);
    const after = await http
      .post('/v1/jobs')
      .set(auth)
      .send({ kind: 'sleep', spec: { steps: 2, stepMs: 10 } })
      .expect(202);
    status = '';
    for (let i = 0; i < 600 && status !== 'succeeded'; i++, await sleep(100))
      status = (await http.get(`/v1/jobs/${after.body.id}`).set(auth)).body.status;
    assert.equal(status, 'succeeded', 'workers run jobs again');
    process.stderr.write(`/v1 answered 200 again ${restartedAfterMs} ms after the kill\n`);
  } finally {
    if (blocker) await new Promise((resolve) => blocker!.close(resolve));
    await app.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
});
