import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../support/app';

test('the service restarted while jobs are queued: none lost, all finish', async () => {
  // First life: an API without workers accepts 20 jobs, one is cancelled while queued.
  const first = await startTestApp({ workers: 0, coordinators: 0 });
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await first
      .post('/v1/jobs', { kind: 'sleep', spec: { steps: 2, stepMs: 20 } })
      .expect(202);
    ids.push(res.body.id);
  }
  const cancelled = await first.post(`/v1/jobs/${ids[0]}/cancel`).expect(202);
  assert.equal(cancelled.body.status, 'cancelled');
  const reuse = {
    databaseUrl: first.databaseUrl,
    home: first.home,
    key: first.key,
    drop: async () => undefined,
  };
  await first.stop();

  // Second life on the same database, now with workers.
  const second = await startTestApp({
    workers: 2,
    coordinators: 0, // sleep jobs only: no driver to run
    reuse: { ...reuse, drop: async () => undefined },
  });
  try {
    for (const id of ids.slice(1)) await second.waitForJob(id, (j) => j.status === 'succeeded');
    const list = await second.get('/v1/jobs?limit=200').expect(200);
    assert.equal(list.body.total, 20);
    assert.equal(
      list.body.items.filter((j: { status: string }) => j.status === 'succeeded').length,
      19,
    );
    assert.equal((await second.get(`/v1/jobs/${ids[0]}`).expect(200)).body.status, 'cancelled');
  } finally {
    await second.stop();
    const { Client } = await import('pg');
    const dbName = new URL(first.databaseUrl).pathname.slice(1);
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
});
