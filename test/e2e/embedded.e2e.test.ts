import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import request from 'supertest';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config/app-config';
import { startEmbeddedPostgres } from '../../src/platform/database/embedded-postgres';
import { createTestHome, removeTestHome } from '../support/app';
import { serverPort } from '../support/net';

const JOB_WAIT_MS = 300_000;

test('without DATABASE_URL the service runs its own PostgreSQL under AUTODL_HOME and keeps data across restarts', async () => {
  const home = createTestHome('autodl-embedded-');
  const config = loadConfig({
    AUTODL_HOME: home,
    AUTODL_EMBEDDED_PG_PORT: String(await serverPort()),
    PORT: '0',
    HOST: '127.0.0.1',
    AUTODL_WORKERS: '1',
    AUTODL_COORDINATORS: '0', // a sleep job only: the default would start 2 idle workers per life
    LOG_LEVEL: 'error',
    AUTODL_PRINT_ADMIN_KEY: '0',
  });
  try {
    const first = await startApp(config);
    const key = first.adminKey;
    assert.ok(key, 'first start creates the default project and its admin key');
    const keyFile = path.join(home, 'admin.key');
    assert.equal(fs.readFileSync(keyFile, 'utf8').trim(), key);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(fs.existsSync(path.join(home, 'pg', 'PG_VERSION')));
    const auth = { Authorization: `Bearer ${key}` };
    const job = await request(first.url)
      .post('/v1/jobs')
      .set(auth)
      .send({ kind: 'sleep', spec: { steps: 1, stepMs: 1 } })
      .expect(202);
    // A generous deadline (a loaded 2-core machine can take long to start the worker process).
    const deadline = Date.now() + JOB_WAIT_MS;
    let status = '';
    while (Date.now() < deadline) {
      status = (await request(first.url).get(`/v1/jobs/${job.body.id}`).set(auth)).body.status;
      if (['succeeded', 'failed', 'cancelled'].includes(status)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 'succeeded', `the sleep job ended ${status} within ${JOB_WAIT_MS} ms`);
    await first.close();
    assert.equal(
      fs.existsSync(path.join(home, 'pg', 'postmaster.pid')),
      false,
      'the embedded server stopped cleanly',
    );

    const second = await startApp(config);
    try {
      assert.equal(second.adminKey, null, 'a restart does not create another key');
      const again = await request(second.url).get(`/v1/jobs/${job.body.id}`).set(auth).expect(200);
      assert.equal(again.body.status, 'succeeded');
      assert.equal((await request(second.url).get('/readyz').expect(200)).body.migrations, true);
    } finally {
      await second.close();
    }
  } finally {
    removeTestHome(home);
  }
});

test('the embedded port held by another program: a clear refusal, and the home left untouched', async () => {
  // What a user meets with a second service (another AUTODL_HOME) still running: PostgreSQL's own
  // "Is another postmaster already running" came in a wall of server log lines.
  const port = await serverPort();
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  const home = createTestHome('autodl-port-taken-');
  try {
    await assert.rejects(
      startEmbeddedPostgres(home, port),
      new RegExp(
        `port ${port} on 127.0.0.1 is taken .*AUTODL_EMBEDDED_PG_PORT to a free port, or DATABASE_URL`,
      ),
    );
    assert.equal(fs.existsSync(home), false, 'nothing written under the home');
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
    removeTestHome(home);
  }
});

test('an invalid configuration value stops the start with a message naming the variable', () => {
  assert.throws(
    () => loadConfig({ AUTODL_WORKERS: 'many' }),
    /AUTODL_WORKERS must be a whole number, got "many"/,
  );
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'mysql://x' }),
    /DATABASE_URL must be a postgres:\/\/ URL/,
  );
  assert.throws(
    () => loadConfig({ AUTODL_EXECUTOR: 'slurm' }),
    /AUTODL_EXECUTOR must be one of local, kubernetes/,
  );
  assert.throws(
    () => loadConfig({ AUTODL_HEARTBEAT_MS: '1000', AUTODL_HEARTBEAT_TIMEOUT_MS: '1500' }),
    /AUTODL_HEARTBEAT_TIMEOUT_MS must be more than twice/,
  );
});
