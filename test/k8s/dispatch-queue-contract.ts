/**
 * One DispatchQueue contract, run against every implementation (Optuna runs one storage test
 * suite against each storage backend): MemoryDispatchQueue, which the executor's unit tests
 * use, and PgDispatchQueue on a real PostgreSQL. The rules are the ones written on the port
 * (src/deploy/dispatch-queue.port.ts): taken = has a Job name, one attempt per Job counted once
 * (by the worker's claim or by the executor), final states are never overridden.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DispatchQueue, JobToDispatch } from '../../src/deploy/dispatch-queue.port';
import { jobName } from '../../src/deploy/core/job-spec';

export interface RowView {
  status: string;
  attempts: number;
  externalId: string | null;
  error: string | null;
}

export interface QueueDriver {
  queue: DispatchQueue;
  insert(options?: {
    priority?: number;
    maxAttempts?: number;
    resources?: JobToDispatch['resources'];
  }): Promise<string>;
  /** The pod's worker: `worker.js run <id>` claims the row (JobsRepository.claimById). */
  workerClaim(id: string): Promise<boolean>;
  /** The worker records the outcome (JobsRepository.finish). */
  workerFinish(id: string, status: 'succeeded' | 'failed' | 'cancelled'): Promise<boolean>;
  /** The API's cancel (JobsService.cancel). */
  requestCancel(id: string): Promise<void>;
  row(id: string): Promise<RowView>;
  /** Messages of the events the queue recorded for the job. */
  events(id: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Takes the job the way the executor does: listed, then claimed under its next Job name. */
async function take(d: QueueDriver, id: string): Promise<JobToDispatch> {
  const listed = (await d.queue.listQueued(100)).find((j) => j.id === id);
  assert.ok(listed, `job ${id} is listed as queued`);
  assert.equal(await d.queue.claim(listed, jobName(id, listed.attempt)), true);
  return listed;
}

export function dispatchQueueContract(name: string, open: () => Promise<QueueDriver>): void {
  describe(`DispatchQueue contract: ${name}`, () => {
    const run = (title: string, body: (d: QueueDriver) => Promise<void>) =>
      test(title, async () => {
        const d = await open();
        try {
          await body(d);
        } finally {
          await d.close();
        }
      });

    run(
      'listQueued: queue order (priority, then age), attempt = attempts + 1, resources, limit',
      async (d) => {
        const low = await d.insert({ priority: 0 });
        const high = await d.insert({ priority: 5, resources: { gpu: 2, memory: '8Gi' } });
        const low2 = await d.insert({ priority: 0 });
        const listed = await d.queue.listQueued(10);
        assert.deepEqual(
          listed.map((j) => j.id),
          [high, low, low2],
        );
        assert.equal(listed[0].attempt, 1);
        assert.deepEqual(listed[0].resources, { gpu: 2, memory: '8Gi' });
        assert.equal(listed[1].resources, undefined);
        assert.deepEqual(
          (await d.queue.listQueued(1)).map((j) => j.id),
          [high],
        );
      },
    );

    run(
      'claim is atomic: of two claims exactly one wins; taken rows leave the queue',
      async (d) => {
        const id = await d.insert();
        const [job] = await d.queue.listQueued(10);
        const name = jobName(id, 1);
        const wins = await Promise.all([d.queue.claim(job, name), d.queue.claim(job, name)]);
        assert.deepEqual(wins.filter(Boolean).length, 1);
        assert.deepEqual(await d.queue.listQueued(10), []);
        assert.equal((await d.row(id)).externalId, name);
        assert.deepEqual(await d.queue.activeDispatched(), [
          {
            id,
            projectId: job.projectId,
            kind: job.kind,
            attempt: 1,
            externalId: name,
            status: 'queued',
          },
        ]);
      },
    );

    run('claim refuses a stale attempt, a cancelled job and a final one', async (d) => {
      const stale = await d.insert();
      const [listed] = await d.queue.listQueued(10);
      assert.equal(await d.queue.claim({ ...listed, attempt: 2 }, jobName(stale, 2)), false);
      await d.requestCancel(stale);
      assert.equal(await d.queue.claim(listed, jobName(stale, 1)), false);
      assert.equal((await d.row(stale)).externalId, null);
      assert.deepEqual(await d.queue.listQueued(10), []);
    });

    run('a pod that died before its worker claimed: requeue counts the attempt', async (d) => {
      const id = await d.insert();
      await take(d, id);
      await d.queue.requeue(id, 'Evicted: node low on memory');
      assert.deepEqual(await d.row(id), {
        status: 'queued',
        attempts: 1,
        externalId: null,
        error: null,
      });
      const [next] = await d.queue.listQueued(10);
      assert.equal(next.attempt, 2);
      assert.ok((await d.events(id)).some((m) => m.includes('Evicted: node low on memory')));
    });

    run('a pod whose worker claimed: requeue does not count the attempt twice', async (d) => {
      const id = await d.insert();
      const first = await take(d, id);
      assert.equal(await d.workerClaim(id), true);
      assert.equal((await d.row(id)).attempts, 1);
      assert.deepEqual(await d.queue.activeDispatched(), [
        {
          id,
          projectId: first.projectId,
          kind: 'sleep',
          attempt: 1,
          externalId: jobName(id, 1),
          status: 'running',
        },
      ]);
      await d.queue.requeue(id, 'OOMKilled: exit code 137');
      assert.equal((await d.row(id)).attempts, 1);
      assert.equal((await d.row(id)).status, 'queued');
      // Attempt 2 runs to success: the worker counts it, the executor's late requeue is a no-op.
      const second = await take(d, id);
      assert.equal(second.attempt, 2);
      assert.equal(await d.workerClaim(id), true);
      assert.equal(await d.workerFinish(id, 'succeeded'), true);
      await d.queue.requeue(id, 'late pod event');
      assert.deepEqual(await d.row(id), {
        status: 'succeeded',
        attempts: 2,
        externalId: jobName(id, 2),
        error: null,
      });
    });

    run('attempts reaching max_attempts fail the job, naming the last reason', async (d) => {
      const id = await d.insert({ maxAttempts: 2 });
      await take(d, id);
      await d.queue.requeue(id, 'ImagePullBackOff');
      await take(d, id);
      await d.workerClaim(id);
      await d.queue.requeue(id, 'OOMKilled: exit code 137');
      const row = await d.row(id);
      assert.equal(row.status, 'failed');
      assert.equal(row.attempts, 2);
      assert.match(row.error ?? '', /^OOMKilled: exit code 137 \(attempt 2 of 2\)$/);
      assert.deepEqual(await d.queue.activeDispatched(), []);
    });

    run(
      'fail: counts a taken attempt whose worker never started, not a refused untaken job',
      async (d) => {
        const deadline = await d.insert();
        const refused = await d.insert();
        await take(d, deadline);
        await d.queue.fail(deadline, 'DeadlineExceeded');
        await d.queue.fail(refused, 'requests 9 GPUs');
        assert.equal((await d.row(deadline)).status, 'failed');
        assert.equal((await d.row(deadline)).attempts, 1);
        assert.equal((await d.row(deadline)).error, 'DeadlineExceeded');
        assert.equal((await d.row(refused)).status, 'failed');
        assert.equal((await d.row(refused)).attempts, 0);
      },
    );

    run('final states are never overridden by requeue, fail or markCancelled', async (d) => {
      const ok = await d.insert();
      const failed = await d.insert();
      for (const id of [ok, failed]) {
        await take(d, id);
        await d.workerClaim(id);
      }
      await d.workerFinish(ok, 'succeeded');
      await d.workerFinish(failed, 'failed');
      for (const id of [ok, failed]) {
        await d.queue.requeue(id, 'pod failed');
        await d.queue.fail(id, 'deadline');
        await d.queue.markCancelled(id, 'Job deleted');
      }
      assert.equal((await d.row(ok)).status, 'succeeded');
      assert.equal((await d.row(failed)).status, 'failed');
      assert.equal((await d.row(ok)).attempts, 1);
      assert.equal((await d.row(failed)).error, null);
    });

    run(
      'cancel: a queued job the API cancelled keeps its state and gets the Job-deleted event',
      async (d) => {
        const id = await d.insert();
        const other = await d.insert();
        await take(d, id);
        await d.requestCancel(id);
        assert.equal((await d.row(id)).status, 'cancelled');
        assert.deepEqual(await d.queue.cancelRequested([id, other]), [id]);
        await d.queue.markCancelled(id, 'cancelled before its pod started; Kubernetes Job deleted');
        assert.equal((await d.row(id)).status, 'cancelled');
        assert.ok((await d.events(id)).some((m) => m.includes('Kubernetes Job deleted')));
        assert.deepEqual(await d.queue.activeDispatched(), []);
      },
    );

    run(
      'cancel: a running job whose pod dies after the cancel request ends cancelled, not retried',
      async (d) => {
        const id = await d.insert();
        await take(d, id);
        await d.workerClaim(id);
        await d.requestCancel(id);
        assert.equal((await d.row(id)).status, 'running');
        await d.queue.requeue(id, 'Error: container exited with code 137');
        assert.equal((await d.row(id)).status, 'cancelled');
        const running = await d.insert();
        await take(d, running);
        await d.workerClaim(running);
        await d.queue.markCancelled(running, 'the worker did not stop within 30s');
        assert.equal((await d.row(running)).status, 'cancelled');
      },
    );

    run('events of unknown jobs are ignored, not errors', async (d) => {
      const missing = '99999999-0000-4000-8000-000000000009';
      await d.queue.appendEvent(missing, 'info', 'late log line');
      await d.queue.markPending(missing, 'Unschedulable');
      await d.queue.markRunning(missing, 'on node-1');
      await d.queue.requeue(missing, 'gone');
      await d.queue.fail(missing, 'gone');
      await d.queue.markCancelled(missing, 'gone');
      assert.deepEqual(await d.queue.cancelRequested([missing]), []);
    });
  });
}
