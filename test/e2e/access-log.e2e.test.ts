import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createTestDatabase } from '../support/database';
import { freePort } from '../support/net';
import { createTestHome, removeTestHome } from '../support/app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

/**
 * What the service writes to its standard output while it serves requests (issue 11: one large
 * JSON line per request, ~500 KB in a short run). The real entry point runs as a child process,
 * its stdout a pipe as under a process manager or in a pod.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/** Starts `src/main.ts`, runs `requests` against it, stops it and returns what it printed. */
async function serveAndCapture(
  env: Record<string, string>,
  requests: (url: string, key: string) => Promise<void>,
): Promise<string> {
  const db = await createTestDatabase();
  const home = createTestHome('autodl-log-');
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', sourceLoader(), 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: db.url,
      AUTODL_HOME: home,
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTODL_WORKERS: '0',
      AUTODL_PRINT_ADMIN_KEY: '0',
      AUTODL_TF_BACKEND: 'cpu',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) assert.fail(`the service exited: ${err}`);
      const ok = await request(url)
        .get('/healthz')
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      assert.ok(Date.now() < deadline, `the service did not start in 120 s: ${err}`);
      await sleep(200);
    }
    await requests(url, fs.readFileSync(path.join(home, 'admin.key'), 'utf8').trim());
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
    return out;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await db.drop();
    removeTestHome(home);
  }
}

async function someRequests(url: string, key: string): Promise<void> {
  const auth = {
    Authorization: `Bearer ${key}`,
    'User-Agent':
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  };
  for (let i = 0; i < 10; i++) {
    await request(url).get('/v1/jobs').set(auth).expect(200);
    await request(url)
      .get(`/v1/jobs?status=queued&limit=${i + 1}`)
      .set(auth)
      .expect(200);
  }
  await request(url)
    .post('/v1/jobs')
    .set(auth)
    .send({ kind: 'sleep', spec: { steps: 1, stepMs: 1 } })
    .expect(202);
  await request(url).get('/v1/jobs/00000000-0000-0000-0000-000000000000').set(auth).expect(404);
}

test('at LOG_LEVEL=info, requests leave no multi-KB log line; access lines are debug and short', async () => {
  const info = await serveAndCapture({ LOG_LEVEL: 'info' }, someRequests);
  const lines = info.split('\n').filter((l) => l.length > 0);
  const total = Buffer.byteLength(info);
  const longest = Math.max(...lines.map((l) => Buffer.byteLength(l)));
  assert.ok(longest < 1024, `longest line ${longest} bytes (${total} in all)`);
  for (const line of lines) JSON.parse(line); // stdout is not a TTY: JSON lines
  const access = lines.filter((l) => /"responseTime"/.test(l));
  // Successful requests are logged at debug; the 404 at warn, in one short line.
  assert.equal(access.length, 1, access.join('\n'));
  const notFound = JSON.parse(access[0]);
  assert.equal(notFound.level, 40);
  assert.equal(notFound.msg, 'GET /v1/jobs/00000000-0000-0000-0000-000000000000 404');
  assert.deepEqual(Object.keys(notFound.req).sort(), ['method', 'url']);
  assert.match(notFound.reqId, /^[0-9a-f-]{36}$/);
  assert.equal(notFound.req.headers, undefined, 'no request headers in access lines');
  assert.ok(total < 32 * 1024, `${total} bytes in all`);

  const debug = await serveAndCapture({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }, someRequests);
  const debugAccess = debug
    .split('\n')
    .filter((l) => /"responseTime"/.test(l))
    .map((l) => ({ bytes: Buffer.byteLength(l), entry: JSON.parse(l) }));
  assert.equal(debugAccess.length, 22, 'one access line per request');
  for (const { bytes, entry } of debugAccess) {
    assert.ok(bytes < 512, `${bytes} bytes: ${JSON.stringify(entry)}`);
    assert.equal(typeof entry.responseTime, 'number');
    assert.equal(entry.msg, `${entry.req.method} ${entry.req.url} ${entry.res.statusCode}`);
  }
});

test('LOG_FORMAT=pretty prints one readable line per request instead of JSON', async () => {
  const out = await serveAndCapture({ LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty' }, someRequests);
  const access = out.split('\n').filter((l) => l.includes('GET /v1/jobs?status=queued&limit=3'));
  assert.equal(access.length, 1, out.slice(0, 2000));
  assert.throws(() => JSON.parse(access[0]), 'not JSON');
  assert.match(access[0], /DEBUG.*GET \/v1\/jobs\?status=queued&limit=3 200 \(\d+ ms\)/);
  assert.ok(access[0].length < 200, access[0]);
});
