import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ProjectsService } from '../../src/platform/auth/projects.service';
import { startTestApp, TestApp } from '../support/app';

const run = promisify(execFile);
const bin = path.resolve(__dirname, '..', '..', 'bin', 'autodl.js');
let app: TestApp;

before(async () => {
  app = await startTestApp({ workers: 1, coordinators: 0 });
});
after(async () => {
  await app?.close();
});

function cli(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [bin, ...args], {
    env: { ...process.env, AUTODL_URL: app.url, AUTODL_HOME: app.home, ...env },
    timeout: 600_000,
  });
}

test('autodl jobs submit --wait, list and logs against the running service (key from AUTODL_HOME)', async () => {
  const { stdout } = await cli([
    '--json',
    'jobs',
    'submit',
    '--kind',
    'sleep',
    '--spec',
    '{"steps":3,"stepMs":20}',
    '--wait',
  ]);
  const job = JSON.parse(stdout);
  assert.equal(job.status, 'succeeded');
  const list = JSON.parse((await cli(['--json', 'jobs', 'list'])).stdout);
  assert.ok(list.items.some((j: { id: string }) => j.id === job.id));
  // A submitted job is top-level, and has no child jobs.
  const top = JSON.parse((await cli(['--json', 'jobs', 'list', '--top-level'])).stdout);
  assert.ok(top.items.some((j: { id: string }) => j.id === job.id));
  const kids = JSON.parse((await cli(['--json', 'jobs', 'list', '--parent', job.id])).stdout);
  assert.deepEqual([kids.items, kids.total], [[], 0]);
  const logs = (await cli(['jobs', 'logs', job.id])).stdout;
  assert.match(logs, /step 2/);
  const follow = await cli(['jobs', 'logs', job.id, '--follow']);
  assert.match(follow.stderr, /succeeded/);
});

test('a reader that closes the pipe early (autodl jobs list | head) ends the CLI quietly, exit 0', async () => {
  const child = spawn(process.execPath, [bin, 'jobs', 'list'], {
    env: { ...process.env, AUTODL_URL: app.url, AUTODL_HOME: app.home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The reader is gone before the CLI has written its table: its write fails with EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});

test('CLI errors are clear messages with exit code 1, naming the field', async () => {
  await assert.rejects(
    cli(['jobs', 'submit', '--kind', 'sleep', '--spec', '{"steps":"many"}']),
    (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /spec\.steps: must be a whole number/);
      assert.doesNotMatch(e.stderr, /at .*\.ts:\d+/);
      return true;
    },
  );
  await assert.rejects(
    cli(['jobs', 'show', '00000000-0000-4000-8000-000000000000']),
    /404 job .* not found/,
  );
  await assert.rejects(
    cli(['jobs', 'list'], { AUTODL_URL: 'http://127.0.0.1:9' }),
    /cannot reach the service/,
  );
});

test('autodl keys create prints a key that authenticates against the API', async () => {
  const { stdout } = await cli(['--json', 'keys', 'create', '--offline', '--project', 'cli-team'], {
    DATABASE_URL: app.databaseUrl,
  });
  const created = JSON.parse(stdout);
  assert.equal(created.project, 'cli-team');
  const list = await app.get('/v1/jobs', created.key).expect(200);
  assert.equal(list.body.total, 0, 'a new project sees no jobs of the default project');
});

test('autodl keys create / list / revoke and autodl audit over the API (admin key from AUTODL_HOME)', async () => {
  const created = JSON.parse(
    (
      await cli([
        '--json',
        'keys',
        'create',
        '--project',
        'cli-keys',
        '--name',
        'robot',
        '--role',
        'viewer',
        '--expires-in-days',
        '7',
      ])
    ).stdout,
  );
  assert.equal(created.project, 'cli-keys');
  assert.equal(created.role, 'viewer');
  assert.ok(Date.parse(created.expiresAt) > Date.now() + 6 * 86_400_000);
  await app.get('/v1/jobs', created.key).expect(200);
  await app.post('/v1/jobs', { kind: 'noop' }, created.key).expect(403);
  const listed = JSON.parse(
    (await cli(['--json', 'keys', 'list', '--project', 'cli-keys'])).stdout,
  );
  assert.deepEqual(
    listed.items.map((k: { name: string }) => k.name),
    ['robot'],
  );
  const table = (await cli(['keys', 'list', '--project', 'cli-keys'])).stdout;
  assert.match(table, /^ID\s+PROJECT\s+NAME\s+ROLE/);
  assert.match(
    (await cli(['keys', 'revoke', created.id])).stdout,
    /revoked .* \(cli-keys\/robot\)/,
  );
  await app.get('/v1/jobs', created.key).expect(401);
  await assert.rejects(cli(['keys', 'revoke', created.id]), /409 key .* is already revoked/);
  // A viewer's key cannot create keys; the CLI says why.
  const viewer = await app.running.app
    .get(ProjectsService)
    .createKey('cli-keys', 'v2', { role: 'viewer' });
  await assert.rejects(
    cli(['keys', 'create', '--name', 'x'], { AUTODL_API_KEY: viewer.key }),
    /403 a viewer key can only read/,
  );
  const audit = JSON.parse((await cli(['--json', 'audit', '--project', 'default'])).stdout);
  assert.ok(
    audit.items.some(
      (a: { method: string; route: string; targetId: string }) =>
        a.method === 'DELETE' && a.route === '/v1/keys/:id' && a.targetId === created.id,
    ),
  );
  await assert.rejects(cli(['audit'], { AUTODL_API_KEY: viewer.key }), /403/);
});
