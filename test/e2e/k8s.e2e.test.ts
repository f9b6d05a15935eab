/**
 * AUTODL_EXECUTOR=kubernetes end to end: the real app (startApp, as `autodl serve`), the real
 * PostgreSQL, the Kubernetes executor talking real HTTP/watch to the test API server, and pods
 * whose container command (`node dist/worker.js run <jobId>`) the scripted controller really
 * runs as the worker from source, with the pod's environment (DATABASE_URL from the Secret,
 * the ConfigMap, AUTODL_HOME). Expected behaviour: docs/deploy.md "How jobs run", the Job/Pod
 * lifecycle of kubernetes.io/docs/concepts/workloads/controllers/job, and the local executor's
 * job semantics (test/e2e/jobs.e2e.test.ts) which a Kubernetes run must match.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jobName } from '../../src/deploy/core/job-spec';
import { waitFor, type FakeCluster } from '../k8s/harness';
import { NS, startKubernetesTestApp, type KubernetesTestApp } from '../k8s/kubernetes-app';
import type { Scenario } from '../k8s/scripted-controller';
import { JOB_WAIT_MS, JobBody, TestApp } from '../support/app';

/** Deadline for a Kubernetes event (pod started, Job deleted): generous, only bounds a failure. */
const EVENT_WAIT_MS = 120_000;

interface EventBody {
  type: string;
  level: string;
  message: string;
  attempt: number;
}

describe('kubernetes executor e2e (real app and worker, test API server)', () => {
  let k: KubernetesTestApp;
  let app: TestApp;
  let cluster: FakeCluster;

  before(async () => {
    k = await startKubernetesTestApp();
    app = k.app;
    cluster = k.cluster;
  });

  after(async () => {
    await k?.close();
  });

  const projectWith = (name: string, list: Scenario[]) => k.projectWith(name, list);

  async function events(id: string, key?: string): Promise<EventBody[]> {
    return (await app.get(`/v1/jobs/${id}/events?limit=1000`, key).expect(200)).body;
  }

  /** app.waitForJob for a job of another project (its key). */
  async function waitJob(
    id: string,
    predicate: (j: JobBody) => boolean,
    key: string,
    timeoutMs = JOB_WAIT_MS,
  ): Promise<JobBody> {
    // waitFor returns only a truthy value.
    return (await waitFor(
      `job ${id}`,
      async () => {
        const res = await app.get(`/v1/jobs/${id}`, key);
        return res.status === 200 && predicate(res.body) ? (res.body as JobBody) : null;
      },
      timeoutMs,
    )) as JobBody;
  }

  /** Polls the job's events until one satisfies `match`. */
  async function waitEvent(
    id: string,
    match: (e: EventBody) => boolean,
    key?: string,
    timeoutMs = EVENT_WAIT_MS,
  ): Promise<EventBody> {
    return (await waitFor(
      `event of job ${id}`,
      async () => (await events(id, key)).find(match),
      timeoutMs,
    )) as EventBody;
  }

  async function submit(spec: Record<string, unknown>, key?: string): Promise<string> {
    const res = await app.post('/v1/jobs', { kind: 'sleep', spec }, key).expect(202);
    return res.body.id;
  }

  test('the API reports the kubernetes executor', async () => {
    const ready = await app.http.get('/readyz').expect(200);
    assert.equal(ready.body.executor, 'kubernetes');
  });

  test('parallel sleep jobs run as Kubernetes Jobs end to end, with progress, metrics and results', async () => {
    // 4 s each: long enough to overlap even when a loaded machine starts the pods seconds apart.
    const ids = await Promise.all([1, 2].map(() => submit({ steps: 10, stepMs: 400 })));
    const running = await app.waitForJob(ids[0], (j) => j.status === 'running' && j.progress > 0);
    assert.equal(running.executor, 'kubernetes');
    assert.equal(running.externalId, jobName(ids[0], 1));
    // Sample the cluster while they run: how many of their pods run at the same time.
    let mostRunning = 0;
    await waitFor(
      'all succeeded',
      async () => {
        const pods = cluster.api
          .list('pods', NS)
          .filter((p) => ids.includes(p.metadata.labels?.['autodl.io/job-id'] ?? ''));
        const runningNow = pods.filter((p) => p.status?.phase === 'Running').length;
        mostRunning = Math.max(mostRunning, runningNow);
        const states = await Promise.all(ids.map((id) => app.get(`/v1/jobs/${id}`)));
        return states.every((r) => r.body.status === 'succeeded');
      },
      JOB_WAIT_MS,
    );
    assert.equal(mostRunning, 2, 'the two pods ran side by side');
    const done: JobBody[] = [];
    for (const id of ids) done.push(await app.waitForJob(id, () => true));
    for (const [i, job] of done.entries()) {
      assert.equal(job.progress, 1);
      assert.deepEqual(job.result, { steps: 10, resumedFrom: 0, attempt: 1 });
      assert.equal(job.attempts, 1);
      const metrics = await app.get(`/v1/jobs/${ids[i]}/metrics?name=step`).expect(200);
      assert.deepEqual(
        metrics.body.map((m: { step: number }) => m.step),
        [...Array(10).keys()],
      );
    }
    // The Job the executor created is the one the spec builder describes for this image.
    const k8sJob = cluster.api.get('jobs', NS, jobName(ids[0], 1));
    const container = (
      k8sJob?.spec?.template as { spec: { containers: { image: string; command: string[] }[] } }
    ).spec.containers[0];
    assert.equal(container.image, 'registry.example/autodl:e2e');
    assert.deepEqual(container.command, ['node', 'dist/worker.js', 'run', ids[0]]);
    // Status history as with the local executor; Kubernetes' part as log events.
    const ev = await events(ids[0]);
    assert.deepEqual(
      ev.filter((e) => e.type === 'status').map((e) => e.message.split(' ')[0]),
      ['queued', 'running', 'succeeded'],
    );
    const logs = ev.filter((e) => e.type === 'log').map((e) => e.message);
    assert.ok(logs.some((m) => m.startsWith(`created Kubernetes Job ${NS}/${jobName(ids[0], 1)}`)));
    assert.ok(logs.some((m) => m.startsWith('pod running')));
    await waitEvent(ids[0], (e) => e.message.includes(`${jobName(ids[0], 1)} succeeded`));
  });

  test('an OOMKilled pod is retried as a new Job that resumes from the checkpoint', async () => {
    const key = await projectWith('oom-team', ['run-oom', 'run-oom']);
    // The worker SIGKILLs itself at step 2 on attempt 1, as the kernel's OOM killer would.
    const id = await submit({ steps: 4, stepMs: 50, crashAtStep: 2, crashOnAttempt: 1 }, key);
    const done = await waitJob(id, (j) => j.status === 'succeeded', key);
    assert.equal(done.attempts, 2, 'each pod attempt counted once');
    assert.deepEqual(done.result, { steps: 4, resumedFrom: 2, attempt: 2 });
    assert.equal(done.externalId, jobName(id, 2));
    const ev = await events(id, key);
    const requeued = ev.find((e) => e.type === 'status' && e.message.startsWith('queued: '));
    assert.match(requeued?.message ?? '', /^queued: OOMKilled: .*137.*memory limit 2Gi/);
    assert.equal(requeued?.attempt, 1);
    assert.ok(cluster.api.get('jobs', NS, jobName(id, 1)), 'the failed Job stays for its TTL');
  });

  test('cancel: a pending pod is deleted at once; a running worker stops itself', async () => {
    const key = await projectWith('pending-team', ['unschedulable']);
    const pending = await submit({ steps: 3, stepMs: 10 }, key);
    await waitEvent(pending, (e) => e.message.startsWith('pod pending: Unschedulable'), key);
    await app.post(`/v1/jobs/${pending}/cancel`, undefined, key).expect(202);
    await waitFor(
      'Job deleted',
      () => !cluster.api.get('jobs', NS, jobName(pending, 1)),
      EVENT_WAIT_MS,
    );
    const cancelled = await waitJob(pending, (j) => j.status === 'cancelled', key);
    assert.equal(cancelled.attempts, 0, 'no worker ever ran');
    const del = cluster.api.requests.find(
      (r) => r.method === 'DELETE' && r.path.endsWith(`/jobs/${jobName(pending, 1)}`),
    );
    assert.equal(del?.query.propagationPolicy, 'Background');

    const long = await submit({ steps: 200, stepMs: 100 });
    await app.waitForJob(long, (j) => j.status === 'running' && j.progress > 0);
    await app.post(`/v1/jobs/${long}/cancel`).expect(202);
    const stopped = await app.waitForJob(long, (j) => j.status === 'cancelled');
    assert.ok(stopped.progress < 1);
    assert.equal(stopped.attempts, 1);
  });

  test('cancel: a pod that ignores the cancellation is deleted after the grace period', async () => {
    const key = await projectWith('hang-team', ['hang']);
    const id = await submit({ steps: 3, stepMs: 10 }, key);
    await waitEvent(id, (e) => e.message.startsWith('pod running'), key);
    const asked = Date.now();
    await app.post(`/v1/jobs/${id}/cancel`, undefined, key).expect(202);
    await waitFor('Job deleted', () => !cluster.api.get('jobs', NS, jobName(id, 1)), EVENT_WAIT_MS);
    assert.ok(Date.now() - asked >= 1900, 'not before AUTODL_K8S_CANCEL_GRACE_SECONDS=2');
    await waitEvent(id, (e) => e.message.includes('did not stop within 2s'), key);
    assert.equal((await waitJob(id, () => true, key)).status, 'cancelled');
  });

  test('an API restart re-attaches to running Jobs and deletes the Jobs of jobs that ended', async () => {
    const long = await submit({ steps: 30, stepMs: 150 });
    await app.waitForJob(long, (j) => j.status === 'running' && j.progress > 0);
    // Jobs of the earlier tests' finished jobs are still there (their TTL has not passed).
    const ended = cluster.api.list('jobs', NS).filter((j) => j.metadata.name !== jobName(long, 1));
    assert.ok(ended.length > 0);
    const atStop = await app.waitForJob(long, () => true);
    app = await k.restart();
    // The new executor deleted every Job whose job ended (orphans) and kept the running one.
    assert.deepEqual(
      cluster.api.list('jobs', NS).map((j) => j.metadata.name),
      [jobName(long, 1)],
    );
    const done = await app.waitForJob(long, (j) => j.status === 'succeeded');
    assert.equal(atStop.status, 'running', 'the job was still running when the API stopped');
    assert.equal(done.attempts, 1, 'the running pod was kept, not restarted');
    assert.deepEqual(done.result, { steps: 30, resumedFrom: 0, attempt: 1 });
    const ev = await events(long);
    assert.ok(ev.some((e) => e.message.startsWith(`re-attached to Kubernetes Job`)));
    // The pod's end reaches the executor through the watch, after the worker's own write.
    await waitEvent(long, (e) => e.message.includes(`${jobName(long, 1)} succeeded`));
  });
});
