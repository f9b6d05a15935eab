/**
 * KubernetesExecutor against the FakeApiServer (real client-node HTTP, watch and log
 * protocol) with the scripted controller standing in for the Job controller and kubelet, and
 * an in-memory DispatchQueue. Expected behaviours follow the Kubernetes Job and Pod lifecycle
 * documentation (kubernetes.io/docs/concepts/workloads/controllers/job,
 * .../pods/pod-lifecycle) and the API concepts page on efficient detection of changes
 * (resourceVersion, 410 Gone).
 *
 * Over 400 lines on purpose: one scenario per behaviour of the executor as a whole (its parts
 * only make sense together against a cluster), all sharing the fake cluster set-up above them.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../test/k8s/fake-apiserver';
import { startFakeCluster, waitFor, type FakeCluster } from '../../test/k8s/harness';
import { kubeConfigFor } from '../../test/k8s/kubeconfig';
import { MemoryDispatchQueue } from '../../test/k8s/memory-dispatch-queue';
import type { Scenario, ScriptedControllerOptions } from '../../test/k8s/scripted-controller';
import { buildJobManifest, jobName, managedSelector } from './core/job-spec';
import { KUBERNETES_EXECUTOR_DEFAULTS, type KubernetesExecutorConfig } from './kubernetes-config';
import { KubernetesExecutor } from './kubernetes-executor';

const NS = 'autodl';

interface Setup {
  cluster: FakeCluster;
  queue: MemoryDispatchQueue;
  clock: { t: number; now(): number };
  scenarios: Map<string, Scenario[]>;
  executor(overrides?: Partial<KubernetesExecutorConfig>): KubernetesExecutor;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
});

async function setup(controller: ScriptedControllerOptions = {}): Promise<Setup> {
  const scenarios = new Map<string, Scenario[]>();
  const cluster = await startFakeCluster({
    ...controller,
    stepMs: 5,
    scenario: (job: K8sObject) => {
      const labels = job.metadata.labels ?? {};
      const list = scenarios.get(labels['autodl.io/job-id'] ?? '') ?? [];
      return list[Number(labels['autodl.io/attempt']) - 1] ?? 'succeed';
    },
  });
  cleanups.push(() => cluster.close());
  const queue = new MemoryDispatchQueue();
  const clock = {
    t: 1_000_000,
    now() {
      return this.t;
    },
  };
  return {
    cluster,
    queue,
    clock,
    scenarios,
    executor(overrides = {}) {
      const ex = new KubernetesExecutor({
        kubeConfig: cluster.kubeConfig,
        queue,
        clock,
        config: {
          ...KUBERNETES_EXECUTOR_DEFAULTS,
          namespace: NS,
          dispatchIntervalMs: 15,
          ...overrides,
        },
        logger: { warn: () => undefined },
      });
      cleanups.push(() => ex.stop());
      return ex;
    },
  };
}

function levels(q: MemoryDispatchQueue, jobId: string, level: string): string[] {
  return q
    .eventsOf(jobId)
    .filter((e) => e.level === level)
    .map((e) => e.message);
}

describe('KubernetesExecutor', () => {
  test('creates the Job the spec builder describes, follows it to success and streams pod logs', async () => {
    const s = await setup();
    const row = s.queue.add({ kind: 'finetune', resources: { gpu: 1 } });
    s.scenarios.set(row.id, ['hang']);
    const ex = s.executor();
    await ex.start();
    const name = jobName(row.id, 1);
    await waitFor('running', () => levels(s.queue, row.id, 'running').length > 0);
    // The kubelet's part, scripted here: more output, the container exits 0, the Job completes.
    const pod = s.cluster.api.list('pods', NS, `job-name=${name}`)[0].metadata.name;
    s.cluster.api.appendLog(NS, pod, 'step 1/2\nstep 2/2\ndone\n');
    s.cluster.api.endLog(NS, pod);
    s.cluster.api.update('pods', NS, pod, (p) => {
      p.status = {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'worker', state: { terminated: { exitCode: 0 } } }],
      };
    });
    await waitFor('success event', () =>
      levels(s.queue, row.id, 'info').some((m) => m.includes('succeeded')),
    );
    await waitFor('log lines', () =>
      levels(s.queue, row.id, 'info').some((m) => m.endsWith('] done')),
    );
    await ex.idle();
    const created = s.cluster.api.requests.find((r) => r.method === 'POST');
    assert.equal(created?.path, `/apis/batch/v1/namespaces/${NS}/jobs`);
    const stored = s.cluster.api.get('jobs', NS, name);
    const expected = buildJobManifest(
      { id: row.id, projectId: row.projectId, kind: 'finetune', attempt: 1, resources: { gpu: 1 } },
      { ...KUBERNETES_EXECUTOR_DEFAULTS, namespace: NS },
    );
    assert.deepEqual(stored?.spec, expected.spec);
    assert.deepEqual(stored?.metadata.labels, expected.metadata.labels);
    assert.equal(s.queue.row(row.id).externalId, name);
    // Pending -> running transitions and the pod's log lines, in order, as job events.
    const kinds = s.queue.eventsOf(row.id).map((e) => e.level);
    assert.ok(kinds.indexOf('pending') < kinds.indexOf('running'));
    const logLines = levels(s.queue, row.id, 'info').filter((m) => m.startsWith('['));
    assert.deepEqual(
      logLines.map((m) => m.replace(/^\[[^\]]+\] /, '')),
      [`worker starting job ${row.id}`, 'step 1/2', 'step 2/2', 'done'],
    );
    // Watches were opened with the label selector and a resourceVersion from the list.
    const watches = s.cluster.api.requests.filter((r) => r.query.watch === 'true');
    assert.equal(watches.length, 2);
    for (const w of watches) {
      assert.equal(w.query.labelSelector, managedSelector('autodl'));
      assert.match(w.query.resourceVersion ?? '', /^\d+$/);
    }
    // No polling: after start, the only GETs without watch are the two initial lists per informer
    // plus the start-up lists.
    const plainLists = s.cluster.api.requests.filter(
      (r) => r.method === 'GET' && r.query.watch !== 'true' && !r.path.endsWith('/log'),
    );
    assert.equal(plainLists.length, 4);
    // The worker recorded the outcome itself: the executor neither failed nor re-queued the row.
    assert.equal(
      levels(s.queue, row.id, 'fail').length + levels(s.queue, row.id, 'requeue').length,
      0,
    );
  });

  test('pod failures: OOMKilled, Evicted and a crash are re-queued as attempt 2; DeadlineExceeded fails', async () => {
    const s = await setup();
    const oom = s.queue.add({ id: 'aaaaaaaa-0000-4000-8000-000000000001' });
    const evicted = s.queue.add({ id: 'aaaaaaaa-0000-4000-8000-000000000002' });
    const crash = s.queue.add({ id: 'aaaaaaaa-0000-4000-8000-000000000003' });
    const deadline = s.queue.add({ id: 'aaaaaaaa-0000-4000-8000-000000000004' });
    s.scenarios.set(oom.id, ['oom', 'succeed']);
    s.scenarios.set(evicted.id, ['evicted', 'succeed']);
    s.scenarios.set(crash.id, ['error', 'succeed']);
    s.scenarios.set(deadline.id, ['deadline']);
    const ex = s.executor();
    await ex.start();
    for (const r of [oom, evicted, crash]) {
      await waitFor(`second attempt of ${r.id}`, () =>
        levels(s.queue, r.id, 'info').some((m) => m.includes(`${jobName(r.id, 2)} succeeded`)),
      );
    }
    await waitFor('deadline failure', () => s.queue.row(deadline.id).status === 'failed');
    await ex.idle();
    assert.match(
      levels(s.queue, oom.id, 'requeue')[0],
      /^OOMKilled: .*exit code 137.*memory limit 2Gi/,
    );
    assert.match(
      levels(s.queue, evicted.id, 'requeue')[0],
      /^Evicted: The node was low on resource: memory/,
    );
    assert.match(levels(s.queue, crash.id, 'requeue')[0], /^Error: container exited with code 1/);
    for (const r of [oom, evicted, crash]) {
      // Scripted pods run no worker, so no claim counted attempts: the executor counted the
      // failed first Job when it re-queued it; the second one's worker would count itself.
      assert.equal(s.queue.row(r.id).attempts, 1);
      assert.equal(s.queue.row(r.id).externalId, jobName(r.id, 2));
    }
    assert.match(s.queue.row(deadline.id).error ?? '', /^DeadlineExceeded/);
    assert.equal(s.cluster.api.get('jobs', NS, jobName(deadline.id, 2)), undefined);
  });

  test('a job is failed once its attempts reach max_attempts', async () => {
    const s = await setup();
    const row = s.queue.add({ maxAttempts: 2 });
    s.scenarios.set(row.id, ['error', 'error', 'succeed']);
    const ex = s.executor();
    await ex.start();
    await waitFor('final failure', () => s.queue.row(row.id).status === 'failed');
    await ex.idle();
    assert.equal(s.queue.row(row.id).attempts, 2);
    assert.match(s.queue.row(row.id).error ?? '', /attempt 2 of 2/);
    assert.equal(s.cluster.controller.podsCreated.length, 2);
  });

  test('Unschedulable and ImagePullBackOff are reported as pending, then failed after their timeouts', async () => {
    const s = await setup();
    const unsched = s.queue.add();
    const pull = s.queue.add();
    s.scenarios.set(unsched.id, ['unschedulable']);
    s.scenarios.set(pull.id, ['image-pull']);
    const ex = s.executor({ imagePullTimeoutSeconds: 60, unschedulableTimeoutSeconds: 600 });
    await ex.start();
    await waitFor('unschedulable', () =>
      levels(s.queue, unsched.id, 'pending').some((m) => m.startsWith('Unschedulable:')),
    );
    await waitFor('image pull', () =>
      levels(s.queue, pull.id, 'pending').some((m) => m.startsWith('ImagePull:')),
    );
    assert.match(
      levels(s.queue, unsched.id, 'pending').at(-1) ?? '',
      /Insufficient nvidia.com\/gpu/,
    );
    // ErrImagePull then ImagePullBackOff are one pending reason: reported once.
    assert.equal(
      levels(s.queue, pull.id, 'pending').filter((m) => m.startsWith('ImagePull')).length,
      1,
    );
    s.clock.t += 61_000;
    await ex.reconcile();
    await ex.idle();
    assert.equal(s.queue.row(pull.id).status, 'failed');
    assert.match(s.queue.row(pull.id).error ?? '', /ImagePull for more than 60s/);
    assert.equal(s.cluster.api.get('jobs', NS, jobName(pull.id, 1)), undefined);
    assert.equal(s.queue.row(unsched.id).status, 'queued');
    s.clock.t += 600_000;
    await ex.reconcile();
    await ex.idle();
    assert.equal(s.queue.row(unsched.id).status, 'failed');
    assert.match(s.queue.row(unsched.id).error ?? '', /Unschedulable for more than 600s/);
  });

  test('Kueue: Jobs carry the queue label and start suspended; unadmitted they wait for quota (no timeout); admitted they run', async () => {
    const s = await setup();
    // Two jobs of one project with a per-project cap of 1: Kueue's quota decides instead.
    const first = s.queue.add({ projectId: 'p1' });
    const second = s.queue.add({ projectId: 'p1' });
    const ex = s.executor({ queueName: 'team-a', maxJobsPerProject: 1 });
    await ex.start();
    for (const row of [first, second]) {
      await waitFor(
        'queued in Kueue',
        () =>
          levels(s.queue, row.id, 'pending').some(
            (m) => m === 'Queued: waiting for quota in queue team-a',
          ),
        30_000,
      );
      const job = s.cluster.api.get('jobs', NS, jobName(row.id, 1));
      assert.equal(job?.metadata.labels?.['kueue.x-k8s.io/queue-name'], 'team-a');
      assert.equal((job?.spec as { suspend?: boolean }).suspend, true);
    }
    assert.equal(s.cluster.api.list('pods', NS).length, 0, 'no pod before admission');
    // Waiting for quota is not a scheduling failure: it never times out.
    s.clock.t += 10 * 24 * 3600_000;
    await ex.reconcile();
    await ex.idle();
    assert.equal(s.queue.row(first.id).status, 'queued');
    // Kueue admits the first: it unsuspends the Job, the Job controller starts its pod.
    s.cluster.api.update('jobs', NS, jobName(first.id, 1), (j) => {
      (j.spec as { suspend?: boolean }).suspend = false;
    });
    await waitFor(
      'admitted job succeeded',
      () => levels(s.queue, first.id, 'info').some((m) => m.includes('succeeded')),
      30_000,
    );
    assert.equal(s.cluster.api.list('pods', NS, `job-name=${jobName(second.id, 1)}`).length, 0);
  });

  test('cancel: a pending Job is deleted at once, a running one after the grace period, with Background propagation', async () => {
    const s = await setup();
    const pending = s.queue.add();
    const running = s.queue.add();
    s.scenarios.set(pending.id, ['unschedulable']);
    s.scenarios.set(running.id, ['hang']);
    const ex = s.executor({ cancelGraceSeconds: 30 });
    await ex.start();
    await waitFor('running', () => levels(s.queue, running.id, 'running').length > 0);
    await waitFor('pending', () =>
      levels(s.queue, pending.id, 'pending').some((m) => m.startsWith('Unschedulable')),
    );
    s.queue.row(pending.id).cancelRequested = true;
    s.queue.row(running.id).cancelRequested = true;
    await ex.reconcile();
    await ex.idle();
    assert.equal(s.queue.row(pending.id).status, 'cancelled');
    assert.equal(s.cluster.api.get('jobs', NS, jobName(pending.id, 1)), undefined);
    // The running worker gets cancelGraceSeconds to stop by itself.
    assert.ok(s.cluster.api.get('jobs', NS, jobName(running.id, 1)));
    s.clock.t += 30_000;
    await ex.reconcile();
    await ex.idle();
    assert.equal(s.queue.row(running.id).status, 'cancelled');
    const deletes = s.cluster.api.requests.filter((r) => r.method === 'DELETE');
    assert.deepEqual(
      deletes.map((d) => [d.path.split('/').pop(), d.query.propagationPolicy]),
      [
        [jobName(pending.id, 1), 'Background'],
        [jobName(running.id, 1), 'Background'],
      ],
    );
    await waitFor('pods gone', () => s.cluster.api.list('pods', NS).length === 0);
    // Deleting our own Job is not a failure: nothing was re-queued.
    assert.equal(levels(s.queue, running.id, 'requeue').length, 0);
  });

  test('kill(jobId) deletes the Job and its pod', async () => {
    const s = await setup();
    const row = s.queue.add();
    s.scenarios.set(row.id, ['hang']);
    const ex = s.executor();
    await ex.start();
    await waitFor('running', () => levels(s.queue, row.id, 'running').length > 0);
    await ex.kill(row.id);
    await waitFor('pods gone', () => s.cluster.api.list('pods', NS).length === 0);
    assert.equal(s.cluster.api.get('jobs', NS, jobName(row.id, 1)), undefined);
    const del = s.cluster.api.requests.find((r) => r.method === 'DELETE');
    assert.equal(del?.query.propagationPolicy, 'Background');
    await ex.idle();
    assert.equal(levels(s.queue, row.id, 'requeue').length, 0);
  });

  test('a restarted executor re-attaches to its Jobs, deletes orphans and re-queues rows whose Job vanished', async () => {
    const s = await setup();
    const keep = s.queue.add();
    const finished = s.queue.add();
    s.scenarios.set(keep.id, ['hang']);
    s.scenarios.set(finished.id, ['hang']);
    const first = s.executor();
    await first.start();
    await waitFor('both running', () =>
      [keep, finished].every((r) => levels(s.queue, r.id, 'running').length > 0),
    );
    await first.stop();
    // While no executor runs: one row finishes (cancelled through the API), a Job appears whose
    // row does not exist, and a claimed row loses its Job.
    s.queue.row(finished.id).status = 'cancelled';
    const stranger = buildJobManifest(
      { id: 'ffffffff-0000-4000-8000-00000000000f', projectId: 'p', kind: 'sleep', attempt: 1 },
      { ...KUBERNETES_EXECUTOR_DEFAULTS, namespace: NS },
    );
    s.cluster.api.create('jobs', NS, stranger as unknown as K8sObject);
    const lost = s.queue.add({ executor: 'kubernetes', externalId: 'autodl-lost-a1' });

    const second = s.executor();
    await second.start();
    await second.idle();
    assert.ok(
      levels(s.queue, keep.id, 'info').some((m) => m.startsWith('re-attached to Kubernetes Job')),
    );
    assert.ok(s.cluster.api.get('jobs', NS, jobName(keep.id, 1)));
    assert.equal(s.cluster.api.get('jobs', NS, jobName(finished.id, 1)), undefined);
    assert.equal(s.cluster.api.get('jobs', NS, stranger.metadata.name), undefined);
    assert.deepEqual(levels(s.queue, lost.id, 'requeue'), [
      'Kubernetes Job autodl-lost-a1 no longer exists',
    ]);
    // The re-attached Job is really watched: its pod's failure now re-queues the job.
    const pod = s.cluster.api.list('pods', NS, `job-name=${jobName(keep.id, 1)}`)[0];
    s.cluster.api.update('pods', NS, pod.metadata.name, (p) => {
      p.status = {
        phase: 'Failed',
        containerStatuses: [
          { name: 'worker', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } },
        ],
      };
    });
    await waitFor('requeue after restart', () => levels(s.queue, keep.id, 'requeue').length > 0);
    assert.match(levels(s.queue, keep.id, 'requeue')[0], /^OOMKilled/);
  });

  test('watches resume after 410 Gone by relisting; a Job deleted meanwhile is noticed', async () => {
    const s = await setup();
    const victim = s.queue.add();
    s.scenarios.set(victim.id, ['hang']);
    const ex = s.executor();
    await ex.start();
    await waitFor('running', () => levels(s.queue, victim.id, 'running').length > 0);
    const listsBefore = s.cluster.api.requests.filter(
      (r) => r.method === 'GET' && r.query.watch !== 'true',
    ).length;
    // The watch connections drop; while they are down someone deletes the Job and the history
    // it would be replayed from is compacted away: resuming from the old resourceVersion must
    // answer 410, and only a relist can reveal the deletion.
    s.cluster.api.closeWatches();
    s.cluster.api.remove('jobs', NS, jobName(victim.id, 1));
    s.cluster.api.compact();
    await waitFor('deletion noticed', () => levels(s.queue, victim.id, 'requeue').length > 0);
    assert.match(levels(s.queue, victim.id, 'requeue')[0], /was deleted outside AutoDL/);
    const after = s.cluster.api.requests.filter(
      (r) => r.method === 'GET' && r.query.watch !== 'true',
    );
    assert.ok(
      s.cluster.api.expiredWatches >= 1,
      'a watch resumed from a compacted resourceVersion',
    );
    assert.ok(after.length > listsBefore, 'the informer relisted');
    // And the watch still works: the re-queued job runs again as attempt 2, to success.
    s.scenarios.set(victim.id, ['hang', 'succeed']);
    await waitFor('attempt 2 succeeded', () =>
      levels(s.queue, victim.id, 'info').some((m) =>
        m.includes(`${jobName(victim.id, 2)} succeeded`),
      ),
    );
    await waitFor('watches reopened', () => s.cluster.api.openWatches === 2);
  });

  test('quota: at most maxConcurrentJobs Jobs, maxJobsPerProject and maxGpusPerProject per project', async () => {
    const s = await setup();
    const a1 = s.queue.add({ projectId: 'a', resources: { gpu: 1 } });
    const a2 = s.queue.add({ projectId: 'a', resources: { gpu: 1 } });
    const a3 = s.queue.add({ projectId: 'a', resources: { gpu: 1 } });
    const b1 = s.queue.add({ projectId: 'b', resources: { gpu: 2 } });
    const b2 = s.queue.add({ projectId: 'b', resources: { gpu: 1 } });
    const c1 = s.queue.add({ projectId: 'c', resources: { gpu: 0 } });
    const tooBig = s.queue.add({ projectId: 'd', resources: { gpu: 3 } });
    for (const r of [a1, a2, a3, b1, b2, c1]) s.scenarios.set(r.id, ['hang']);
    const ex = s.executor({ maxConcurrentJobs: 4, maxJobsPerProject: 2, maxGpusPerProject: 2 });
    await ex.start();
    await ex.reconcile();
    await ex.reconcile();
    await ex.idle();
    const names = () => s.cluster.api.list('jobs', NS).map((j) => j.metadata.name);
    // a1, a2 (project a at 2 jobs/2 GPUs), b1 (2 GPUs: b is full), c1; then the global cap.
    assert.deepEqual(names().sort(), [a1, a2, b1, c1].map((r) => jobName(r.id, 1)).sort());
    assert.equal(s.queue.row(tooBig.id).status, 'failed');
    assert.match(
      s.queue.row(tooBig.id).error ?? '',
      /3 GPUs, more than the per-project quota of 2/,
    );
    // When a1 ends, a3 fits (project a back to 1 job / 1 GPU) and takes the free slot.
    const pod = s.cluster.api.list('pods', NS, `job-name=${jobName(a1.id, 1)}`)[0];
    s.cluster.api.update('pods', NS, pod.metadata.name, (p) => {
      p.status = {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'worker', state: { terminated: { exitCode: 0 } } }],
      };
    });
    await waitFor('a3 dispatched', () => names().includes(jobName(a3.id, 1)));
    assert.ok(!names().includes(jobName(b2.id, 1)));
  });

  test('scenario run: the pod command really runs, with DATABASE_URL from the Secret and the ConfigMap env', async () => {
    // The worker stand-in prints what a real worker needs and exits with the code it is told to.
    const script =
      "console.log(['job', process.argv[1], process.env.DATABASE_URL, process.env.AUTODL_HOME, process.env.MODE].join(' '));" +
      'process.exit(Number(process.env.EXIT_CODE || 0));';
    const s = await setup({
      configMaps: { 'autodl-config': { MODE: 'k8s', EXIT_CODE: '0' } },
      secrets: { 'autodl-secrets': { DATABASE_URL: 'postgres://db/autodl' } },
      command: (cmd) => [process.execPath, '-e', script, cmd[3]],
    });
    const row = s.queue.add();
    s.scenarios.set(row.id, ['run']);
    const ex = s.executor();
    await ex.start();
    await waitFor(
      'success',
      () => levels(s.queue, row.id, 'info').some((m) => m.includes('succeeded')),
      15000,
    );
    await ex.idle();
    const lines = levels(s.queue, row.id, 'info')
      .filter((m) => m.startsWith('['))
      .map((m) => m.replace(/^\[[^\]]+\] /, ''));
    assert.deepEqual(lines, [`job ${row.id} postgres://db/autodl /var/lib/autodl k8s`]);
  });

  test('a watch that fails with a server error is re-opened after watchRetryMs; start fails without a cluster', async () => {
    const s = await setup();
    const ex = s.executor({ watchRetryMs: 20 });
    await ex.start();
    s.cluster.api.failWatches = 4;
    s.cluster.api.closeWatches();
    await waitFor(
      'watches back',
      () => s.cluster.api.failWatches === 0 && s.cluster.api.openWatches === 2,
    );
    const row = s.queue.add();
    await waitFor('job followed after the outage', () =>
      levels(s.queue, row.id, 'info').some((m) => m.includes('succeeded')),
    );

    const down = new KubernetesExecutor({
      kubeConfig: kubeConfigFor('http://127.0.0.1:9'),
      queue: new MemoryDispatchQueue(),
      config: { ...KUBERNETES_EXECUTOR_DEFAULTS, namespace: NS },
      logger: { warn: () => undefined },
    });
    await assert.rejects(down.start());
  });
});
