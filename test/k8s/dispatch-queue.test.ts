/**
 * The DispatchQueue contract (test/k8s/dispatch-queue-contract.ts) against the in-memory fake
 * and against PgDispatchQueue on a real, migrated PostgreSQL, where the worker's side is played
 * by the platform's own JobsRepository (claimById/finish) and cancel/retry by the real JobsService.
 */
import * as os from 'node:os';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { jobName } from '../../src/deploy/core/job-spec';
import { PgDispatchQueue } from '../../src/deploy/pg-dispatch-queue';
import { ArtifactStore } from '../../src/platform/artifacts/artifact-store';
import type { Principal } from '../../src/platform/auth/projects.service';
import { loadConfig } from '../../src/platform/config/app-config';
import { openDataSource } from '../../src/platform/database/data-source';
import { runMigrations } from '../../src/platform/database/database.module';
import { JobHandlerRegistry } from '../../src/platform/jobs/job-handler.registry';
import { ArtifactsRepository } from '../../src/platform/artifacts/artifacts.repository';
import { JobsRepository } from '../../src/platform/jobs/jobs.repository';
import { JobsService } from '../../src/platform/jobs/jobs.service';
import { createTestDatabase } from '../support/database';
import { dispatchQueueContract, type QueueDriver } from './dispatch-queue-contract';
import { MemoryDispatchQueue } from './memory-dispatch-queue';

dispatchQueueContract('in memory', async () => {
  const q = new MemoryDispatchQueue();
  return {
    queue: q,
    insert: async (o = {}) =>
      q.add({
        priority: o.priority ?? 0,
        maxAttempts: o.maxAttempts ?? 3,
        ...(o.resources ? { resources: o.resources } : {}),
      }).id,
    workerClaim: async (id) => q.workerClaim(id),
    workerFinish: async (id, status) => q.workerFinish(id, status),
    requestCancel: async (id) => q.requestCancel(id),
    row: async (id) => {
      const r = q.row(id);
      return {
        status: r.status,
        attempts: r.attempts,
        externalId: r.externalId,
        error: r.error ?? null,
      };
    },
    events: async (id) => q.eventsOf(id).map((e) => e.message),
    close: async () => undefined,
  };
});

let db: { url: string; drop(): Promise<void> };
let ds: DataSource;
before(async () => {
  db = await createTestDatabase();
  ds = await openDataSource(db.url, 4);
  await runMigrations(ds);
});
after(async () => {
  await ds?.destroy();
  await db?.drop();
});

/** Each scenario starts on an empty queue, as with a new MemoryDispatchQueue. */
async function pgDriver(): Promise<QueueDriver & { principal: Principal; jobs: JobsService }> {
  await ds.query(`DELETE FROM jobs`);
  const [project] = await ds.query(
    `INSERT INTO projects (name) VALUES ('contract-' || gen_random_uuid()) RETURNING id, name`,
  );
  const platform = new JobsRepository(ds);
  const jobs = new JobsService(
    platform,
    new ArtifactsRepository(ds),
    new JobHandlerRegistry(),
    loadConfig({}),
    new ArtifactStore(os.tmpdir()),
  );
  const principal: Principal = {
    projectId: project.id,
    projectName: project.name,
    keyId: 'k',
    role: 'member',
  };
  const workers = new Map<string, string>();
  const attemptOf = async (id: string): Promise<number> =>
    (await ds.query(`SELECT attempts FROM jobs WHERE id = $1`, [id]))[0]?.attempts ?? 0;
  return {
    principal,
    jobs,
    queue: new PgDispatchQueue(platform, db.url),
    insert: async (o = {}) => {
      const job = await platform.insert({
        projectId: project.id,
        kind: 'sleep',
        spec: o.resources ? { resources: o.resources } : {},
        priority: o.priority,
        maxAttempts: o.maxAttempts ?? 3,
      });
      // created_at is the transaction time: keep insertion order visible to ORDER BY.
      await new Promise((r) => setTimeout(r, 2));
      return job.id;
    },
    workerClaim: async (id) => {
      const worker = `pod-${id.slice(0, 8)}:1:${workers.size}`;
      workers.set(id, worker);
      return (await platform.claimById(id, worker, 'kubernetes')) !== null;
    },
    workerFinish: async (id, status) =>
      platform.finish(
        { jobId: id, workerId: workers.get(id) ?? '', attempt: await attemptOf(id) },
        status,
        status === 'succeeded' ? { result: {} } : {},
      ),
    requestCancel: async (id) => {
      await jobs.cancel(principal, id);
    },
    row: async (id) => {
      const [r] = await ds.query(
        `SELECT status, attempts, external_id, error FROM jobs WHERE id = $1`,
        [id],
      );
      return { status: r.status, attempts: r.attempts, externalId: r.external_id, error: r.error };
    },
    events: async (id) =>
      (await ds.query(`SELECT message FROM job_events WHERE job_id = $1 ORDER BY id`, [id])).map(
        (e: { message: string }) => e.message,
      ),
    close: async () => undefined,
  };
}

dispatchQueueContract('PostgreSQL', pgDriver);

test('PostgreSQL: a job retried through the API after a Kubernetes failure is dispatched again as attempt 1', async () => {
  const d = await pgDriver();
  const id = await d.insert({ maxAttempts: 1 });
  const [job] = await d.queue.listQueued(10);
  assert.equal(await d.queue.claim(job, jobName(id, 1)), true);
  await d.queue.requeue(id, 'OOMKilled');
  assert.equal((await d.row(id)).status, 'failed');
  await d.jobs.retry(d.principal, id);
  const [again] = await d.queue.listQueued(10);
  assert.equal(again?.id, id);
  assert.equal(again.attempt, 1);
  assert.equal(await d.queue.claim(again, jobName(id, 1)), true);
});

test('PostgreSQL: events carry the attempt their Kubernetes Job belongs to', async () => {
  const d = await pgDriver();
  const id = await d.insert();
  const [job] = await d.queue.listQueued(10);
  await d.queue.claim(job, jobName(id, 1));
  await d.queue.markPending(id, 'Unschedulable: 0/3 nodes are available');
  await d.workerClaim(id);
  await d.queue.appendEvent(id, 'info', '[pod] step 1');
  await d.queue.requeue(id, 'OOMKilled');
  const [next] = await d.queue.listQueued(10);
  await d.queue.claim(next, jobName(id, 2));
  await d.queue.markRunning(id, 'on node-1');
  const rows: { message: string; attempt: number }[] = await ds.query(
    `SELECT message, attempt FROM job_events WHERE job_id = $1 ORDER BY id`,
    [id],
  );
  const attemptOf = (text: string) => rows.find((r) => r.message.includes(text))?.attempt;
  assert.equal(attemptOf('Unschedulable'), 1);
  assert.equal(attemptOf('[pod] step 1'), 1);
  assert.equal(attemptOf('queued: OOMKilled'), 1);
  assert.equal(attemptOf('on node-1'), 2);
});

test('PostgreSQL: onQueued is woken by a new job and by a re-queue (LISTEN/NOTIFY at commit)', async () => {
  const d = await pgDriver();
  let wakes = 0;
  let signal: () => void = () => undefined;
  const next = () => new Promise<void>((resolve) => (signal = resolve));
  const stop = await (d.queue as PgDispatchQueue).onQueued(() => {
    wakes += 1;
    signal();
  });
  try {
    let woken = next();
    const id = await d.insert();
    await woken;
    // The row is visible when the notification arrives (NOTIFY is delivered at commit).
    assert.deepEqual(
      (await d.queue.listQueued(10)).map((j) => j.id),
      [id],
    );
    const [job] = await d.queue.listQueued(10);
    await d.queue.claim(job, jobName(id, 1));
    woken = next();
    await d.queue.requeue(id, 'Evicted');
    await woken;
    assert.ok(wakes >= 2);
  } finally {
    await stop();
  }
});
