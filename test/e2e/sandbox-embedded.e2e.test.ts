/**
 * The default deployment (no DATABASE_URL: the embedded PostgreSQL under AUTODL_HOME, the
 * service as root): a command trial tries to reach the database as an attacker would, with
 * guessed URLs over TCP and the Unix socket and the password file, and must fail every time
 * (docs/security.md). The service's own key and database keep working meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config/app-config';
import { serverPort } from '../support/net';

test('embedded PostgreSQL: a trial cannot connect with a guessed URL nor read the password file', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-embedded-sbx-'));
  const port = await serverPort();
  const app = await startApp(
    loadConfig({
      AUTODL_HOME: home,
      AUTODL_EMBEDDED_PG_PORT: String(port),
      PORT: '0',
      HOST: '127.0.0.1',
      AUTODL_WORKERS: '1',
      AUTODL_COORDINATORS: '1',
      LOG_LEVEL: 'error',
      AUTODL_PRINT_ADMIN_KEY: '0',
    }),
  );
  try {
    const auth = { Authorization: `Bearer ${app.adminKey}` };
    const tries = [
      `postgres://autodl@127.0.0.1:${port}/autodl`,
      `postgres://autodl:autodl@127.0.0.1:${port}/autodl`,
      `postgres://autodl:password@127.0.0.1:${port}/autodl`,
      `postgres://postgres@127.0.0.1:${port}/postgres`,
      `postgres://postgres:postgres@127.0.0.1:${port}/autodl`,
      `postgresql:///autodl?host=/tmp&port=${port}&user=autodl`,
      `postgresql:///autodl?host=/var/run/postgresql&port=${port}&user=postgres`,
    ];
    const script = [
      `n=0`,
      ...tries.map(
        (u) =>
          `if PGCONNECT_TIMEOUT=5 psql -w "${u}" -Atc 'select count(*) from api_keys' >&2; then n=$((n+1)); fi`,
      ),
      `echo "== connected $n"`,
      `if cat "${home}/pg.password" >/dev/null 2>&1; then echo "== password READ"; else echo "== password refused"; fi`,
      `if ls "${home}/pg" >/dev/null 2>&1; then echo "== data dir LISTED"; else echo "== data dir refused"; fi`,
    ].join('\n');
    const created = await request(app.url)
      .post('/v1/studies')
      .set(auth)
      .send({
        name: 'db-attack',
        space: { x: { type: 'float', low: 0, high: 1 } },
        metrics: ['loss'],
        budget: { nTrials: 1, parallelism: 1 },
        runner: { type: 'command', command: ['/bin/sh', '-c', `(${script}) >&2; exit 3`] },
      })
      .expect(202);
    let trial: { state: string; userAttrs: Record<string, string> } | undefined;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const res = await request(app.url).get(`/v1/studies/${created.body.id}/trials`).set(auth);
      trial = res.body.items?.[0];
      if (trial && trial.state !== 'running') break;
      await sleep(200);
    }
    assert.equal(trial?.state, 'failed', JSON.stringify(trial));
    const out = trial.userAttrs.stderrTail;
    assert.match(out, /== connected 0/, out);
    assert.match(out, /== password refused/);
    assert.match(out, /== data dir refused/);
    assert.match(out, /password authentication failed|no password supplied/);
    // The service itself still reaches its database.
    await request(app.url).get('/v1/jobs').set(auth).expect(200);
  } finally {
    await app.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
