import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { openDataSource } from '../database/data-source';
import { runMigrations } from '../database/database.module';
import { createTestDatabase } from '../../../test/support/database';
import { HeartbeatThread } from './heartbeat-thread';

/** Busy-waits without yielding, like a synchronous TF.js training step. */
function blockFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

test('heartbeats continue while the main thread is blocked, and cancellation is visible without yielding', async () => {
  const db = await createTestDatabase();
  const ds = await openDataSource(db.url, 2);
  try {
    await runMigrations(ds);
    const [{ id: projectId }] = await ds.query(
      `INSERT INTO projects (name) VALUES ('hb') RETURNING id`,
    );
    const [{ id: jobId }] = await ds.query(
      `INSERT INTO jobs (project_id, kind, spec, status, worker_id, heartbeat_at) VALUES ($1, 'sleep', '{}', 'running', 'w1', now() - interval '1 hour') RETURNING id`,
      [projectId],
    );
    const thread = new HeartbeatThread(db.url, 50);
    const beat = thread.track({ jobId, workerId: 'w1', attempt: 0 });
    // Ended in `finally`: a failed assertion must not leave it connected to a database that is
    // then dropped (the drop's termination would hide the assertion behind an uncaught error).
    const admin = new Client({ connectionString: db.url });
    try {
      await admin.connect();
      const lastBeat = async (): Promise<number> =>
        Number(
          (
            await admin.query(
              `SELECT extract(epoch FROM heartbeat_at) AS t FROM jobs WHERE id = $1`,
              [jobId],
            )
          ).rows[0].t,
        );
      // The thread's first beat (its start-up and connection take a while on a loaded machine).
      const stale = await lastBeat();
      const started = Date.now() + 10_000;
      while ((await lastBeat()) === stale && Date.now() < started)
        await new Promise((r) => setTimeout(r, 20));
      const before = await lastBeat();
      assert.notEqual(before, stale, 'the heartbeat thread never beat');
      blockFor(1000);
      const after = await lastBeat();
      assert.ok(after > before, `no heartbeat during 1 s of blocked main thread`);
      await admin.query(`UPDATE jobs SET cancel_requested_at = now() WHERE id = $1`, [jobId]);
      let seen = false;
      const end = Date.now() + 3000;
      while (!seen && Date.now() < end) {
        blockFor(20);
        seen = beat.cancelRequested; // read from shared memory, no await in between
      }
      assert.equal(seen, true, 'cancellation visible to a main thread that never yields');
      assert.equal(beat.lost, false);
      await admin.query(`UPDATE jobs SET worker_id = 'w2' WHERE id = $1`, [jobId]);
      const lostBy = Date.now() + 3000;
      while (!beat.lost && Date.now() < lostBy) await new Promise((r) => setTimeout(r, 20));
      assert.equal(beat.lost, true, 'a job taken over by another worker is reported lost');
      // The next job starts with clean flags; the old handle no longer reports.
      const next = thread.track({ jobId, workerId: 'w2', attempt: 0 });
      assert.equal(next.lost, false);
      assert.equal(beat.lost, false, 'a handle of an earlier job reads nothing');
      next.stop();
    } finally {
      await admin.end().catch(() => undefined);
      await thread.close();
    }
  } finally {
    await ds.destroy();
    await db.drop();
  }
});
