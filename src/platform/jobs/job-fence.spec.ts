import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '../../../test/support/database';
import { ArtifactStore } from '../artifacts/artifact-store';
import { ArtifactsRepository } from '../artifacts/artifacts.repository';
import { openDataSource } from '../database/data-source';
import { runMigrations } from '../database/database.module';
import { DbJobContext } from './job-context';
import { JobFence, StaleAttemptError } from './job-fence';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobRunner } from './job-runner';
import { fenceOf, type JobRow } from './job-row';
import { JobsRepository } from './jobs.repository';
import { AttemptProcessGroups } from './process-groups';

/** Medium test on the real database: the queue's writes are fenced by (worker, attempt). */
test('a worker that lost its job cannot write: every write of the stale attempt is refused, the new attempt is untouched', async () => {
  const db = await createTestDatabase();
  const ds = await openDataSource(db.url, 2);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-fence-'));
  try {
    await runMigrations(ds);
    const queue = new JobsRepository(ds);
    const store = new ArtifactStore(root);
    const artifacts = new ArtifactsRepository(ds);
    const [{ id: projectId }] = await ds.query(
      `INSERT INTO projects (name) VALUES ('fence') RETURNING id`,
    );
    const job = await queue.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 5 });
    const context = (row: JobRow, fence: JobFence) =>
      new DbJobContext(row, fence, queue, artifacts, store, new AttemptProcessGroups(fence, null));

    const first = (await queue.claimNext('w1'))!;
    const old = context(first, fenceOf(first, 'w1'));
    await old.metric('loss', 3, 0.9);
    await old.artifact('model.bin', 'attempt 1');
    await old.checkpoint({ step: 4 });

    // w1 is paused past the heartbeat timeout: re-queued, claimed and resumed by w2.
    await new Promise((r) => setTimeout(r, 20));
    const lost = await queue.releaseLost('heartbeat lost', { staleMs: 1 });
    assert.deepEqual(lost, [{ jobId: job.id, workerId: 'w1', attempt: 1 }]);
    const second = (await queue.claimNext('w2'))!;
    assert.equal(second.attempts, 2);
    const current = context(second, fenceOf(second, 'w2'));
    await current.metric('loss', 3, 0.5);
    await current.artifact('model.bin', 'attempt 2');
    await current.checkpoint({ step: 6 });
    await current.progress(0.6, 'attempt 2');

    // w1 continues: every kind of write is refused with a StaleAttemptError.
    await assert.rejects(old.metric('loss', 3, 0.9), StaleAttemptError);
    assert.equal(old.lost, true, 'the first refused write makes the context lost');
    assert.equal(old.signal.aborted, true, 'and aborts the handler');
    const oldFence = fenceOf(first, 'w1');
    await assert.rejects(queue.metric(oldFence, 'loss', 4, 0.9), StaleAttemptError);
    await assert.rejects(queue.event(oldFence, 'log', 'info', 'stale'), StaleAttemptError);
    await assert.rejects(queue.checkpoint(oldFence, { step: 99 }), StaleAttemptError);
    await assert.rejects(queue.progress(oldFence, 0.99, 'stale'), StaleAttemptError);
    let placed = false;
    await assert.rejects(
      artifacts.recordForAttempt(
        oldFence,
        'model.bin',
        { path: 'x', size: 1, sha256: 'x' },
        'text/plain',
        async () => {
          placed = true;
        },
      ),
      StaleAttemptError,
    );
    assert.equal(placed, false, 'a stale attempt never puts its file in place');
    const refused = context(first, oldFence);
    await assert.rejects(refused.artifact('model.bin', 'attempt 1 again'), StaleAttemptError);
    assert.equal(await queue.finish(oldFence, 'succeeded', { result: { stale: true } }), false);
    assert.equal(await queue.release(oldFence), false, 'a stale worker never releases the job');

    // The same worker claiming the job again later is a new attempt: the old fence stays stale.
    assert.equal(await queue.release(fenceOf(second, 'w2')), true);
    const third = (await queue.claimNext('w1'))!;
    assert.equal(third.attempts, 2, 'a release gives the attempt back');
    assert.equal(third.worker_id, oldFence.workerId);
    await assert.rejects(queue.metric(oldFence, 'loss', 3, 0.9), StaleAttemptError);
    await assert.rejects(queue.metric(fenceOf(second, 'w2'), 'loss', 3, 0.9), StaleAttemptError);
    await queue.checkpoint(fenceOf(third, 'w1'), { step: 6 });

    const [row] = await ds.query(
      `SELECT status, worker_id, checkpoint, progress, result FROM jobs WHERE id = $1`,
      [job.id],
    );
    assert.deepEqual(row.checkpoint, { step: 6 });
    assert.equal(row.progress, 0.6);
    assert.equal(row.result, null);
    const metrics = await ds.query(`SELECT step, value FROM metrics WHERE job_id = $1`, [job.id]);
    assert.deepEqual(metrics, [{ step: 3, value: 0.5 }], 'step 3 of the new attempt kept');
    const logs = await ds.query(
      `SELECT count(*)::int AS n FROM job_events WHERE job_id = $1 AND message = 'stale'`,
      [job.id],
    );
    assert.equal(logs[0].n, 0);
    const [artifact] = await ds.query(`SELECT path FROM artifacts WHERE job_id = $1`, [job.id]);
    assert.equal((await store.read(artifact.path)).toString(), 'attempt 2');
    // One file on disk, the current attempt's: the refused one never placed, no temporary file.
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) walk(path.join(dir, e.name));
        else files.push(path.relative(root, path.join(dir, e.name)));
    };
    walk(root);
    assert.deepEqual(files, [artifact.path]);
  } finally {
    await ds.destroy();
    await db.drop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the fence check and the write are one step: a re-queue waits for a write in flight, a write after it is refused', async () => {
  const db = await createTestDatabase();
  const ds: DataSource = await openDataSource(db.url, 4);
  try {
    await runMigrations(ds);
    const queue = new JobsRepository(ds);
    const [{ id: projectId }] = await ds.query(
      `INSERT INTO projects (name) VALUES ('fence2') RETURNING id`,
    );
    const job = await queue.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 5 });
    const claimed = (await queue.claimNext('w1'))!;
    const fence = fenceOf(claimed, 'w1');
    // A write's transaction holds its FOR KEY SHARE lock: releaseLost skips the row meanwhile.
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(
      `SELECT id FROM jobs WHERE id = $1 AND worker_id = $2 AND attempts = $3 FOR KEY SHARE`,
      [fence.jobId, fence.workerId, fence.attempt],
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await queue.releaseLost('heartbeat lost', { staleMs: 1 }), []);
    await runner.commitTransaction();
    await runner.release();
    assert.equal((await queue.releaseLost('heartbeat lost', { staleMs: 1 })).length, 1);
    await assert.rejects(queue.metric(fence, 'm', 0, 1), StaleAttemptError);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM metrics WHERE job_id = $1`, [
      job.id,
    ]);
    assert.equal(n, 0);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});

test('a handler whose write is refused is aborted and the runner gives the job up: no result, no release', async () => {
  const db = await createTestDatabase();
  const ds = await openDataSource(db.url, 2);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-fence-'));
  try {
    await runMigrations(ds);
    const queue = new JobsRepository(ds);
    const [{ id: projectId }] = await ds.query(
      `INSERT INTO projects (name) VALUES ('fence3') RETURNING id`,
    );
    let abortedSeen = false;
    let stolen: JobRow | null = null;
    const registry = new JobHandlerRegistry();
    registry.register({
      kind: 'steal-me',
      validate: (raw) => raw,
      run: async (_spec, ctx) => {
        await ctx.metric('m', 0, 1);
        // Meanwhile the job is re-queued and claimed by another worker (no heartbeat here
        // to notice: the first write after it is refused by the database).
        await new Promise((r) => setTimeout(r, 20));
        await queue.releaseLost('heartbeat lost', { staleMs: 1 });
        stolen = await queue.claimNext('w2');
        await ctx.metric('m', 1, 1).catch(() => undefined); // a handler that swallows errors
        abortedSeen = ctx.signal.aborted && ctx.cancelled;
        return { done: true };
      },
    });
    // No database URL and a long interval: no heartbeat learns of the loss first.
    const runner = new JobRunner(
      queue,
      new ArtifactsRepository(ds),
      new ArtifactStore(root),
      registry,
      60_000,
    );
    const job = await queue.insert({ projectId, kind: 'steal-me', spec: {}, maxAttempts: 3 });
    const claimed = (await queue.claimNext('w1'))!;
    assert.equal(await runner.run(claimed, 'w1'), 'lost');
    assert.equal(abortedSeen, true, 'the handler saw its signal aborted');
    assert.ok(stolen);
    const [row] = await ds.query(
      `SELECT status, worker_id, attempts, result FROM jobs WHERE id = $1`,
      [job.id],
    );
    assert.deepEqual(row, { status: 'running', worker_id: 'w2', attempts: 2, result: null });
    const metrics = await ds.query(`SELECT step FROM metrics WHERE job_id = $1 ORDER BY step`, [
      job.id,
    ]);
    assert.deepEqual(metrics, [{ step: 0 }], 'nothing written after the loss');
  } finally {
    await ds.destroy();
    await db.drop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
