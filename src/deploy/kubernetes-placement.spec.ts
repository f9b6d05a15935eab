/**
 * KubernetesExecutor across namespaces and with Indexed Jobs, against the FakeApiServer and its
 * scripted controller (Indexed semantics in test/k8s/fake-indexed-jobs.ts, after
 * kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode and
 * #backoff-limit-per-index): a job with a placement gets its Job in the placement's namespace
 * with its nodeSelector, N pods at once as one Indexed Job; the executor watches, finishes,
 * cancels, re-attaches and cleans up orphans in every allowed namespace.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../test/k8s/fake-apiserver';
import { startFakeCluster, waitFor, type FakeCluster } from '../../test/k8s/harness';
import { MemoryDispatchQueue } from '../../test/k8s/memory-dispatch-queue';
import type { Scenario } from '../../test/k8s/scripted-controller';
import { buildJobManifest, jobName } from './core/job-spec';
import { KUBERNETES_EXECUTOR_DEFAULTS, type KubernetesExecutorConfig } from './kubernetes-config';
import { KubernetesExecutor } from './kubernetes-executor';

const NS = 'autodl';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
});

/** `<job id>/<index>` (or `<job id>`) -> scenario; default succeed. */
async function setup(scenarios = new Map<string, Scenario>()) {
  const cluster: FakeCluster = await startFakeCluster({
    stepMs: 5,
    scenario: (job: K8sObject, index?: number) => {
      const id = job.metadata.labels?.['autodl.io/job-id'] ?? '';
      return scenarios.get(index === undefined ? id : `${id}/${index}`) ?? 'succeed';
    },
  });
  cleanups.push(() => cluster.close());
  const queue = new MemoryDispatchQueue();
  const config: KubernetesExecutorConfig = {
    ...KUBERNETES_EXECUTOR_DEFAULTS,
    namespace: NS,
    placementNamespaces: ['site-a', 'site-b'],
    dispatchIntervalMs: 15,
  };
  const executor = () => {
    const ex = new KubernetesExecutor({
      kubeConfig: cluster.kubeConfig,
      queue,
      config,
      logger: { warn: () => undefined },
    });
    cleanups.push(() => ex.stop());
    return ex;
  };
  return { cluster, queue, config, executor };
}

const wait = <T>(what: string, check: () => T | Promise<T>) => waitFor(what, check, 30_000);

describe('KubernetesExecutor: placement namespaces and Indexed Jobs', () => {
  test('one Indexed Job per namespace group with its nodeSelector; the row succeeds when every index does', async () => {
    const s = await setup();
    const groupA = s.queue.add({
      kind: 'federation-site',
      maxAttempts: 1,
      placement: { namespace: 'site-a', nodeSelector: { pool: 'a' }, completions: 2 },
    });
    const groupB = s.queue.add({
      kind: 'federation-site',
      maxAttempts: 1,
      placement: { namespace: 'site-b', nodeSelector: { pool: 'b' }, completions: 1 },
    });
    const plain = s.queue.add({ kind: 'sleep' });
    await s.executor().start();
    const a = await wait('site-a Job', () =>
      s.cluster.api.get('jobs', 'site-a', jobName(groupA.id, 1)),
    );
    const b = await wait('site-b Job', () =>
      s.cluster.api.get('jobs', 'site-b', jobName(groupB.id, 1)),
    );
    await wait('autodl Job', () => s.cluster.api.get('jobs', NS, jobName(plain.id, 1)));
    assert.ok(a && b);
    // Exactly what the builder makes of the row, in the placement's namespace.
    const expected = buildJobManifest(
      {
        id: groupA.id,
        projectId: groupA.projectId,
        kind: 'federation-site',
        attempt: 1,
        placement: groupA.placement,
      },
      s.config,
    );
    assert.deepEqual(a.spec, expected.spec);
    const spec = a.spec as {
      completionMode: string;
      completions: number;
      parallelism: number;
      template: { spec: { nodeSelector: Record<string, string> } };
    };
    assert.equal(spec.completionMode, 'Indexed');
    assert.equal(spec.completions, 2);
    assert.equal(spec.parallelism, 2);
    assert.equal(spec.template.spec.nodeSelector.pool, 'a');
    assert.equal((b.spec as { completionMode?: string }).completionMode, undefined);
    // Two pods at once in site-a, indexes 0 and 1.
    const pods = s.cluster.api.list('pods', 'site-a', `job-name=${jobName(groupA.id, 1)}`);
    assert.deepEqual(
      pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort(),
      ['0', '1'],
    );
    await wait('indexed row succeeded', () => s.queue.row(groupA.id).status === 'succeeded');
    assert.ok(
      s.queue.eventsOf(groupA.id).some((e) => e.message.includes('completed indexes "0,1"')),
    );
  });

  test('a failed index fails the row with the failed indexes, the other index still completes (no re-queue)', async () => {
    const scenarios = new Map<string, Scenario>();
    const s = await setup(scenarios);
    const row = s.queue.add({
      kind: 'federation-site',
      maxAttempts: 3,
      placement: { namespace: 'site-b', nodeSelector: {}, completions: 3 },
    });
    scenarios.set(`${row.id}/1`, 'error');
    await s.executor().start();
    await wait('row failed', () => s.queue.row(row.id).status === 'failed');
    assert.match(
      s.queue.row(row.id).error ?? '',
      /FailedIndexes: failed indexes "1", completed indexes "0,2"/,
    );
    assert.equal(s.queue.eventsOf(row.id).filter((e) => e.level === 'requeue').length, 0);
  });

  test('orphans in a placement namespace are deleted at start; kill deletes the Job in its namespace; a namespace not allowed fails the row', async () => {
    const scenarios = new Map<string, Scenario>();
    const s = await setup(scenarios);
    // An orphan: a Job this executor made in site-b for a row that is no longer active.
    const orphan = buildJobManifest(
      {
        id: '00000000-0000-4000-8000-0000000000aa',
        projectId: 'p',
        kind: 'federation-site',
        attempt: 1,
        placement: { namespace: 'site-b', nodeSelector: {}, completions: 2 },
      },
      s.config,
    );
    s.cluster.api.create('jobs', 'site-b', orphan as unknown as K8sObject);
    const hanging = s.queue.add({
      kind: 'federation-site',
      placement: { namespace: 'site-a', nodeSelector: {}, completions: 2 },
    });
    scenarios.set(`${hanging.id}/0`, 'hang');
    scenarios.set(`${hanging.id}/1`, 'hang');
    const outside = s.queue.add({
      kind: 'federation-site',
      placement: { namespace: 'kube-system', nodeSelector: {}, completions: 1 },
    });
    const ex = s.executor();
    await ex.start();
    await wait('orphan deleted', () => !s.cluster.api.get('jobs', 'site-b', orphan.metadata.name));
    await wait('outside namespace refused', () => s.queue.row(outside.id).status === 'failed');
    assert.match(s.queue.row(outside.id).error ?? '', /kube-system is not a placement namespace/);
    const name = jobName(hanging.id, 1);
    await wait('site-a Job', () => s.cluster.api.get('jobs', 'site-a', name));
    await ex.kill(hanging.id);
    await wait('killed', () => !s.cluster.api.get('jobs', 'site-a', name));
  });

  test('re-attaches to an Indexed Job in a placement namespace after a restart and finishes its row', async () => {
    const scenarios = new Map<string, Scenario>();
    const s = await setup(scenarios);
    const row = s.queue.add({
      kind: 'federation-site',
      placement: { namespace: 'site-a', nodeSelector: {}, completions: 2 },
    });
    scenarios.set(`${row.id}/0`, 'hang');
    const first = s.executor();
    await first.start();
    const name = jobName(row.id, 1);
    await wait('Job', () => s.cluster.api.get('jobs', 'site-a', name));
    await first.stop();
    const second = s.executor();
    await second.start();
    assert.ok(
      s.queue
        .eventsOf(row.id)
        .some((e) => e.message.includes(`re-attached to Kubernetes Job site-a/${name}`)),
    );
    // Index 0 finishes now: the re-attached executor sees the Job complete.
    const pod = s.cluster.api
      .list('pods', 'site-a', `job-name=${name}`)
      .find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '0');
    assert.ok(pod);
    s.cluster.api.update('pods', 'site-a', pod.metadata.name, (p) => {
      p.status = { phase: 'Succeeded' };
    });
    s.cluster.api.update('jobs', 'site-a', name, (j) => {
      j.status = {
        ...j.status,
        succeeded: 2,
        active: 0,
        completedIndexes: '0,1',
        conditions: [{ type: 'Complete', status: 'True' }],
      };
    });
    await wait('row succeeded', () => s.queue.row(row.id).status === 'succeeded');
  });

  test('a placed trial in its own image: two containers in the placement namespace, re-attached after a restart, killed there', async () => {
    const scenarios = new Map<string, Scenario>();
    const s = await setup(scenarios);
    const row = s.queue.add({
      kind: 'trial-command',
      placement: { namespace: 'site-b', nodeSelector: { pool: 'trials' }, completions: 1 },
      trialImage: 'python:3.12-slim',
    });
    scenarios.set(row.id, 'hang');
    const first = s.executor();
    await first.start();
    const name = jobName(row.id, 1);
    const job = await wait('trial Job', () => s.cluster.api.get('jobs', 'site-b', name));
    assert.ok(job);
    const pod = (
      job.spec?.template as {
        spec: {
          nodeSelector: Record<string, string>;
          containers: { name: string; image: string }[];
        };
      }
    ).spec;
    assert.equal(pod.nodeSelector.pool, 'trials');
    assert.deepEqual(
      pod.containers.map((c) => c.name),
      ['worker', 'trial'],
    );
    await first.stop();
    const second = s.executor();
    await second.start();
    assert.ok(
      s.queue
        .eventsOf(row.id)
        .some((e) => e.message.includes(`re-attached to Kubernetes Job site-b/${name}`)),
    );
    await second.kill(row.id);
    await wait('killed', () => !s.cluster.api.get('jobs', 'site-b', name));
  });
});
