import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, TestApp } from '../support/app';

/** `autodl deploy create|list|show|scale|predict|delete` against the running service. */
const run = promisify(execFile);
const bin = path.resolve(__dirname, '..', '..', 'bin', 'autodl.js');
let app: TestApp;

before(async () => {
  app = await startTestApp({ workers: 0, coordinators: 0 });
  await app
    .post('/v1/models', {
      name: 'cli-base',
      architecture: 'mlp',
      inputShape: [4],
      classNames: ['no', 'yes'],
      seed: 2,
    })
    .expect(201);
});
after(async () => {
  await app?.close();
});

function cli(args: string[]) {
  return run(process.execPath, [bin, ...args], {
    env: { ...process.env, AUTODL_URL: app.url, AUTODL_HOME: app.home },
    timeout: 300_000,
  });
}

test('deploy create, predict, scale, list, show and delete', async () => {
  const created = await cli([
    'deploy',
    'create',
    'cli-base',
    '--name',
    'mlp',
    '--instances',
    '1',
    '--max-batch',
    '4',
    '--max-delay-ms',
    '2',
  ]);
  assert.match(created.stderr, /deploying cli-base/);
  assert.match(created.stdout, /deployment mlp .*: running/);
  assert.match(created.stdout, /batch +maxSize 4, maxDelayMs 2/);

  const predicted = await cli(['deploy', 'predict', 'mlp', '[0.1, 0.2, 0.3, 0.4]']);
  assert.match(predicted.stdout, /^(no|yes) +\(batch of 1,/);

  const scaled = JSON.parse(
    (await cli(['--json', 'deploy', 'scale', 'mlp', '--instances', '2', '--queue-capacity', '9']))
      .stdout,
  );
  assert.equal(scaled.instances, 2);
  assert.equal(scaled.queue.capacity, 9);
  assert.equal(scaled.status.metrics.instances, 2);
  assert.equal(scaled.generation, 2);

  const list = await cli(['deploy', 'list']);
  assert.match(list.stdout, /mlp +cli-base +2 +4\/2ms +9\/1000ms +running +1/);
  const shown = await cli(['deploy', 'show', 'mlp']);
  assert.match(shown.stdout, /requests +1 served, 0 dropped/);
  assert.match(shown.stdout, /latency ms +p50 /);

  // Errors as the other commands print them: the status, the detail, one line per field.
  const bad = await cli(['deploy', 'predict', 'mlp', '[1, 2]']).catch(
    (e: { stderr: string; code: number }) => e,
  );
  assert.equal((bad as { code: number }).code, 1);
  assert.match((bad as { stderr: string }).stderr, /400 .*instance.*\[4\]/);
  const none = await cli(['deploy', 'scale', 'mlp']).catch((e: { stderr: string }) => e);
  assert.match((none as { stderr: string }).stderr, /give --instances/);

  await cli(['deploy', 'delete', 'mlp']);
  const after = JSON.parse((await cli(['--json', 'deploy', 'list'])).stdout);
  assert.deepEqual(after.items, []);
});
