/**
 * Medium test of JobsRepository on the real database (migrated): the queue's order and lanes,
 * the events and notifications its statements write, heartbeats, cancellation, retry, lost
 * workers, project-scoped reads. The fence itself is job-fence.spec.ts's, the Kubernetes
 * dispatch rules test/k8s/dispatch-queue.test.ts's (the DispatchQueue contract).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../../../test/support/database';
import { openDataSource } from '../database/data-source';
import { runMigrations } from '../database/database.module';
import { fenceOf } from './job-row';
import { JOBS_CHANNEL } from './job-statements';
import { JobsRepository } from './jobs.repository';

let db: { url: string; drop(): Promise<void> };
let ds: DataSource;
let jobs: JobsRepository;

before(async () => {
  db = await createTestDatabase();
  ds = await openDataSource(db.url, 3);
  await runMigrations(ds);
  jobs = new JobsRepository(ds);
});
after(async () => {
  await ds?.destroy();
  await db?.drop();
});

async function project(name: string): Promise<string> {
  const [{ id }] = await ds.query(`INSERT INTO projects (name) VALUES ($1) RETURNING id`, [name]);
  return id;
}

async function statusEvents(jobId: string): Promise<string[]> {
  const rows: { message: string }[] = await ds.query(
    `SELECT message FROM job_events WHERE job_id = $1 AND type = 'status' ORDER BY id`,
    [jobId],
  );
  return rows.map((r) => r.message);
}

/** Drains the queue so each test starts on an empty one. */
async function emptyQueue(): Promise<void> {
  await ds.query(`DELETE FROM jobs`);
}

describe('JobsRepository', () => {
  test('insert writes the row, its queued event and a notification delivered at commit', async () => {
    await emptyQueue();
    const projectId = await project('insert');
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const notified = new Promise<string>((resolve) =>
      listener.on('notification', (n) => resolve(n.payload ?? '')),
    );
    await listener.query(`LISTEN ${JOBS_CHANNEL}`);
    try {
      const job = await jobs.insert({
        projectId,
        kind: 'sleep',
        spec: { steps: 2 },
        maxAttempts: 3,
        idempotencyKey: 'k1',
        requestHash: 'h',
      });
      assert.equal(job.status, 'queued');
      assert.deepEqual(job.spec, { steps: 2 });
      assert.equal(await notified, 'sleep');
      assert.deepEqual(await statusEvents(job.id), ['queued']);
      assert.equal((await jobs.findByIdempotencyKey(projectId, 'k1'))?.id, job.id);
      assert.equal((await jobs.findInProject(projectId, job.id))?.requestHash, 'h');
      assert.equal(await jobs.findInProject(await project('other'), job.id), null);
    } finally {
      await listener.end();
    }
  });

  test('claims take the highest priority then the oldest, of the worker lane’s kinds only', async () => {
    await emptyQueue();
    const projectId = await project('claims');
    const low = await jobs.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 3 });
    const high = await jobs.insert({
      projectId,
      kind: 'sleep',
      spec: {},
      maxAttempts: 3,
      priority: 5,
    });
    const driver = await jobs.insert({ projectId, kind: 'study', spec: {}, maxAttempts: 3 });
    const first = await jobs.claimNext('w1', ['sleep']);
    assert.equal(first?.id, high.id);
    assert.equal(first?.attempts, 1);
    assert.equal((await jobs.claimNext('w1', ['sleep']))?.id, low.id);
    assert.equal(await jobs.claimNext('w1', ['sleep']), null, 'the study is another lane’s');
    assert.equal((await jobs.claimNext('w2'))?.id, driver.id);
    assert.deepEqual(await statusEvents(high.id), ['queued', 'running on w1']);
    const pod = await jobs.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 3 });
    assert.equal((await jobs.claimById(pod.id, 'pod-1', 'kubernetes'))?.worker_id, 'pod-1');
    assert.equal(await jobs.claimById(pod.id, 'pod-2', 'kubernetes'), null, 'taken already');
  });

  test('heartbeats carry cancellation; a cancelled queued job never runs', async () => {
    await emptyQueue();
    const projectId = await project('cancel');
    const running = await jobs.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 3 });
    const fence = fenceOf((await jobs.claimNext('w1'))!, 'w1');
    assert.deepEqual(await jobs.heartbeat(fence), { cancelRequested: false });
    await jobs.requestCancel(running.id);
    assert.deepEqual(await jobs.heartbeat(fence), { cancelRequested: true });
    assert.equal(await jobs.heartbeat({ ...fence, workerId: 'w9' }), null, 'not its attempt');
    const queued = await jobs.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 3 });
    await jobs.requestCancel(queued.id);
    assert.equal((await jobs.findInProject(projectId, queued.id))?.status, 'cancelled');
    assert.equal(await jobs.claimNext('w1'), null);
    assert.deepEqual(await statusEvents(running.id), [
      'queued',
      'running on w1',
      'cancel requested',
    ]);
    const statuses = await jobs.statusesOf([running.id, queued.id]);
    assert.deepEqual(
      statuses.map((s) => [s.id, s.status, s.cancelRequested]).sort(),
      [
        [running.id, 'running', true],
        [queued.id, 'cancelled', true],
      ].sort(),
    );
  });

  test('a lost worker’s job is re-queued, then failed once its attempts are used up; retry starts afresh', async () => {
    await emptyQueue();
    const projectId = await project('lost');
    const job = await jobs.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 2 });
    const one = fenceOf((await jobs.claimNext('w1'))!, 'w1');
    assert.deepEqual(await jobs.releaseLost('worker died', { jobId: job.id, workerId: 'w1' }), [
      one,
    ]);
    const two = fenceOf((await jobs.claimNext('w2'))!, 'w2');
    assert.equal(two.attempt, 2);
    await ds.query(`UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [
      job.id,
    ]);
    assert.deepEqual(await jobs.releaseLost('heartbeat lost', { staleMs: 60_000 }), [two]);
    const failed = await jobs.findInProject(projectId, job.id);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error, 'heartbeat lost (after 2 attempts)');
    await jobs.retry(job.id);
    const again = await jobs.findInProject(projectId, job.id);
    assert.equal(again?.status, 'queued');
    assert.equal(again?.attempts, 0);
    assert.equal(again?.error, null);
  });

  test('a driver the platform ends cancelled takes its children with it: queued ones at once, running ones by their flag', async () => {
    await emptyQueue();
    const projectId = await project('orphans');
    const childrenOf = async (parentId: string) => {
      const running = await jobs.insert({
        projectId,
        kind: 'sleep',
        spec: {},
        maxAttempts: 3,
        parentId,
      });
      const fence = fenceOf(
        (await jobs.claimById(running.id, `w-${running.id}`, 'local'))!,
        `w-${running.id}`,
      );
      const queued = await jobs.insert({
        projectId,
        kind: 'sleep',
        spec: {},
        maxAttempts: 3,
        parentId,
      });
      return { running, fence, queued };
    };
    const expectCancelled = async (
      kids: Awaited<ReturnType<typeof childrenOf>>,
      parentId: string,
    ) => {
      assert.deepEqual(await jobs.heartbeat(kids.fence), { cancelRequested: true });
      assert.equal((await jobs.findInProject(projectId, kids.queued.id))?.status, 'cancelled');
      assert.deepEqual(
        (await statusEvents(kids.running.id)).at(-1),
        `cancel requested: its parent job ${parentId} was cancelled`,
      );
      assert.deepEqual(
        (await statusEvents(kids.queued.id)).at(-1),
        `cancelled: its parent job ${parentId} was cancelled`,
      );
    };

    // The three ways the platform ends a driver whose cancel was requested.
    const endings: [string, string, (id: string, worker: string) => Promise<unknown>][] = [
      // Local: its worker died (or was killed for ignoring the cancel).
      ['local', 'w1', (id, w) => jobs.releaseLost('worker died', { jobId: id, workerId: w })],
      // Kubernetes: the executor deleted its Job after the grace period.
      ['kubernetes', 'pod-1', (id) => jobs.markDispatchedCancelled(id, 'did not stop within 30s')],
      // Kubernetes: its pod died (REQUEUE ends it cancelled).
      ['kubernetes', 'pod-2', (id) => jobs.requeueDispatched(id, 'pod deleted')],
    ];
    for (const [executor, worker, end] of endings) {
      const driver = await jobs.insert({ projectId, kind: 'study', spec: {}, maxAttempts: 3 });
      await jobs.claimById(driver.id, worker, executor);
      const kids = await childrenOf(driver.id);
      await jobs.requestCancel(driver.id);
      await end(driver.id, worker);
      assert.equal((await jobs.findInProject(projectId, driver.id))?.status, 'cancelled', worker);
      await expectCancelled(kids, driver.id);
    }

    // A lost driver without a cancel is re-queued: its children run on for its next attempt.
    const lost = await jobs.insert({ projectId, kind: 'study', spec: {}, maxAttempts: 3 });
    await jobs.claimById(lost.id, 'w2', 'local');
    const kept = await childrenOf(lost.id);
    await jobs.releaseLost('worker died', { jobId: lost.id, workerId: 'w2' });
    assert.equal((await jobs.findInProject(projectId, lost.id))?.status, 'queued');
    assert.deepEqual(await jobs.heartbeat(kept.fence), { cancelRequested: false });
    assert.equal((await jobs.findInProject(projectId, kept.queued.id))?.status, 'queued');
  });

  test('release gives the job back without using an attempt; finish is the attempt’s only', async () => {
    await emptyQueue();
    const projectId = await project('release');
    const job = await jobs.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 3 });
    const first = fenceOf((await jobs.claimNext('w1'))!, 'w1');
    assert.equal(await jobs.release(first), true);
    assert.equal((await jobs.findInProject(projectId, job.id))?.attempts, 0);
    const second = fenceOf((await jobs.claimNext('w2'))!, 'w2');
    assert.equal(await jobs.release(first), false, 'a stale attempt releases nothing');
    await jobs.progress(second, 0.5, 'half');
    await jobs.metric(second, 'loss', 1, 0.25);
    await jobs.metric(second, 'loss', 1, 0.125);
    await jobs.event(second, 'log', 'info', 'hello');
    assert.equal(await jobs.finish(first, 'succeeded', { result: {} }), false);
    assert.equal(await jobs.finish(second, 'succeeded', { result: { ok: true } }), true);
    const done = await jobs.findInProject(projectId, job.id);
    assert.deepEqual([done?.status, done?.progress, done?.result], ['succeeded', 1, { ok: true }]);
    assert.deepEqual(
      (await jobs.metrics(job.id, 'loss')).map((m) => [m.step, m.value]),
      [[1, 0.125]],
      'one point per step, the last write wins',
    );
    const events = await jobs.events(job.id, 0, 100);
    assert.deepEqual(
      events.map((e) => e.message),
      [
        'queued',
        'running on w1',
        'queued: worker shut down, job released',
        'running on w2',
        'hello',
        'succeeded',
      ],
    );
    assert.deepEqual(
      (await jobs.events(job.id, events[3].id, 100)).map((e) => e.message),
      ['hello', 'succeeded'],
    );
  });

  test('listing and the live stream are scoped to the project', async () => {
    await emptyQueue();
    const mine = await project('mine');
    const theirs = await project('theirs');
    const a = await jobs.insert({ projectId: mine, kind: 'sleep', spec: {}, maxAttempts: 1 });
    const b = await jobs.insert({ projectId: mine, kind: 'noop', spec: {}, maxAttempts: 1 });
    await jobs.insert({ projectId: theirs, kind: 'sleep', spec: {}, maxAttempts: 1 });
    const all = await jobs.list(mine, {});
    assert.equal(all.total, 2);
    assert.deepEqual(
      all.items.map((j) => j.id),
      [b.id, a.id],
      'newest first',
    );
    assert.deepEqual(
      (await jobs.list(mine, { kind: 'noop' })).items.map((j) => j.id),
      [b.id],
    );
    const live = await jobs.liveEventsAfter({ projectId: mine }, '0', 10);
    assert.deepEqual(live.map((e) => e.jobId).sort(), [a.id, b.id].sort());
    assert.deepEqual(
      (await jobs.liveEventsByIds([live[0].id])).map((e) => e.message),
      ['queued'],
    );
  });
});
