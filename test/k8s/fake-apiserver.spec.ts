/**
 * The test double speaks the protocol the official client expects: every check goes through
 * @kubernetes/client-node (BatchV1Api, CoreV1Api, Watch, Log), against the behaviour documented
 * in kubernetes.io/docs/reference/using-api/api-concepts (watch, resourceVersion, 410 Gone,
 * Status objects) and .../overview/working-with-objects/labels (selector grammar).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  Watch,
  type V1Job,
} from '@kubernetes/client-node';
import { parseSelector } from './fake-apiserver';
import { startFakeCluster, waitFor, type FakeCluster } from './harness';

const NS = 'autodl';

function job(name: string, labels: Record<string, string> = {}, restartPolicy = 'Never'): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy,
          containers: [{ name: 'worker', image: 'busybox', command: ['true'] }],
        },
      },
    },
  };
}

async function apiError(
  p: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`);
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code, body };
  }
  throw new Error('expected the call to fail');
}

describe('FakeApiServer', () => {
  let cluster: FakeCluster;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  const scenarios = new Map<string, 'hang' | 'succeed' | 'unschedulable'>();

  before(async () => {
    cluster = await startFakeCluster({
      stepMs: 5,
      scenario: (j) => scenarios.get(j.metadata.name) ?? 'succeed',
    });
    batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => cluster.close());

  test('create answers 201 with uid and resourceVersion; get returns it; a duplicate is 409 AlreadyExists', async () => {
    const created = await batch.createNamespacedJob({ namespace: NS, body: job('j-create') });
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
    const got = await batch.readNamespacedJob({ name: 'j-create', namespace: NS });
    assert.equal(got.metadata?.uid, created.metadata?.uid);
    const dup = await apiError(batch.createNamespacedJob({ namespace: NS, body: job('j-create') }));
    assert.equal(dup.code, 409);
    assert.equal(dup.body.kind, 'Status');
    assert.equal(dup.body.reason, 'AlreadyExists');
  });

  test('a missing object is 404 NotFound; an invalid Job is 422 Invalid with causes', async () => {
    const missing = await apiError(batch.readNamespacedJob({ name: 'nope', namespace: NS }));
    assert.equal(missing.code, 404);
    assert.equal(missing.body.reason, 'NotFound');
    const invalid = await apiError(
      batch.createNamespacedJob({ namespace: NS, body: job('j-invalid', {}, 'Always') }),
    );
    assert.equal(invalid.code, 422);
    assert.equal(invalid.body.reason, 'Invalid');
    const causes = (invalid.body.details as { causes: { field: string }[] }).causes;
    assert.deepEqual(
      causes.map((c) => c.field),
      ['spec.template.spec.restartPolicy'],
    );
    const badName = await apiError(
      batch.createNamespacedJob({ namespace: NS, body: job('Bad_Name') }),
    );
    assert.equal(badName.code, 422);
  });

  test('requests without the bearer token are 401', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: cluster.api.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const err = await apiError(kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: NS }));
    assert.equal(err.code, 401);
  });

  test('list filters by label selector; pods carry job-name and an ownerReference', async () => {
    scenarios.set('j-sel-a', 'hang');
    await batch.createNamespacedJob({
      namespace: NS,
      body: job('j-sel-a', { team: 'a', tier: 'gpu' }),
    });
    await batch.createNamespacedJob({ namespace: NS, body: job('j-sel-b', { team: 'b' }) });
    const a = await batch.listNamespacedJob({ namespace: NS, labelSelector: 'team=a' });
    assert.deepEqual(
      a.items.map((j) => j.metadata?.name),
      ['j-sel-a'],
    );
    const notB = await batch.listNamespacedJob({ namespace: NS, labelSelector: 'team,team!=b' });
    assert.deepEqual(
      notB.items.map((j) => j.metadata?.name),
      ['j-sel-a'],
    );
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=j-sel-a' });
    assert.equal(pods.items.length, 1);
    assert.equal(pods.items[0].metadata?.ownerReferences?.[0]?.name, 'j-sel-a');
    assert.equal(pods.items[0].metadata?.labels?.team, 'a');
  });

  test('watch from a list resourceVersion sees later events in order; a compacted one gets ERROR 410', async () => {
    const list = await batch.listNamespacedJob({ namespace: NS, labelSelector: 'w=1' });
    const rv = list.metadata?.resourceVersion ?? '';
    const events: string[] = [];
    const watch = new Watch(cluster.kubeConfig);
    const ctrl = await watch.watch(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      { resourceVersion: rv, labelSelector: 'w=1' },
      (type, obj: V1Job) => events.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    scenarios.set('j-w', 'hang');
    await batch.createNamespacedJob({ namespace: NS, body: job('j-w', { w: '1' }) });
    await batch.deleteNamespacedJob({
      name: 'j-w',
      namespace: NS,
      propagationPolicy: 'Background',
    });
    await waitFor('watch events', () => events.includes('DELETED j-w'));
    ctrl.abort();
    assert.equal(events[0], 'ADDED j-w');
    assert.ok(events.slice(1, -1).every((e) => e === 'MODIFIED j-w'));

    // Replay: a new watch from the same resourceVersion gets the same history.
    const replay: string[] = [];
    const c2 = await watch.watch(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      { resourceVersion: rv, labelSelector: 'w=1' },
      (type, obj: V1Job) => replay.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    await waitFor('replay', () => replay.includes('DELETED j-w'));
    c2.abort();
    assert.deepEqual(replay, events);

    cluster.api.compact();
    let expired: { type: string; code?: number } | undefined;
    let closed = false;
    await watch.watch(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      { resourceVersion: rv },
      (type, obj: { code?: number }) => (expired = { type, code: obj.code }),
      () => (closed = true),
    );
    await waitFor('410', () => closed);
    assert.deepEqual(expired, { type: 'ERROR', code: 410 });
  });

  test('delete with propagationPolicy Background removes the pods; Orphan keeps them', async () => {
    scenarios.set('j-bg', 'hang');
    scenarios.set('j-orphan', 'hang');
    await batch.createNamespacedJob({ namespace: NS, body: job('j-bg') });
    await batch.createNamespacedJob({ namespace: NS, body: job('j-orphan') });
    await batch.deleteNamespacedJob({
      name: 'j-bg',
      namespace: NS,
      propagationPolicy: 'Background',
    });
    await batch.deleteNamespacedJob({
      name: 'j-orphan',
      namespace: NS,
      propagationPolicy: 'Orphan',
    });
    await waitFor('pods of j-bg gone', async () => {
      const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=j-bg' });
      return pods.items.length === 0;
    });
    const orphans = await core.listNamespacedPod({
      namespace: NS,
      labelSelector: 'job-name=j-orphan',
    });
    assert.equal(orphans.items.length, 1);
  });

  test('pods/log: 400 while the container waits, then follow streams until the container ends', async () => {
    scenarios.set('j-log-wait', 'unschedulable');
    await batch.createNamespacedJob({ namespace: NS, body: job('j-log-wait') });
    const waiting = await core.listNamespacedPod({
      namespace: NS,
      labelSelector: 'job-name=j-log-wait',
    });
    const early = await apiError(
      new Log(cluster.kubeConfig).log(
        NS,
        waiting.items[0].metadata?.name ?? '',
        'worker',
        new PassThrough(),
      ),
    );
    assert.equal(early.code, 400);
    scenarios.set('j-log', 'hang');
    await batch.createNamespacedJob({ namespace: NS, body: job('j-log') });
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=j-log' });
    const podName = pods.items[0].metadata?.name ?? '';
    await waitFor('running', async () => {
      const p = await core.readNamespacedPod({ name: podName, namespace: NS });
      return p.status?.phase === 'Running';
    });
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const ended = new Promise((r) => out.on('end', r));
    await new Log(cluster.kubeConfig).log(NS, podName, 'worker', out, { follow: true });
    // Output written after the stream opened arrives on it; the stream ends with the container.
    cluster.api.appendLog(NS, podName, 'later line\n');
    await waitFor('followed line', () => text.includes('later line'));
    cluster.api.endLog(NS, podName);
    await ended;
    assert.equal(text, 'worker starting job undefined\nlater line\n');
  });

  test('pods/log of a two-container pod: one log per container; no container name is a 400', async () => {
    scenarios.set('j-two', 'hang');
    const body = job('j-two');
    const spec = body.spec?.template.spec;
    spec?.containers.push({ name: 'trial', image: 'python:3.12-slim', command: ['true'] });
    await batch.createNamespacedJob({ namespace: NS, body });
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'job-name=j-two' });
    const podName = pods.items[0].metadata?.name ?? '';
    cluster.api.appendLog(NS, podName, 'loss=1\n', 'trial');
    // As the real API server answers `kubectl logs` without -c on such a pod.
    const res = await fetch(`${cluster.api.url}/api/v1/namespaces/${NS}/pods/${podName}/log`, {
      headers: { authorization: `Bearer ${cluster.kubeConfig.getCurrentUser()?.token ?? ''}` },
    });
    assert.equal(res.status, 400);
    assert.match(
      await res.text(),
      /a container name must be specified .*choose one of: \[worker trial\]/,
    );
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    await new Log(cluster.kubeConfig).log(NS, podName, 'trial', out);
    await waitFor('trial log', () => text === 'loss=1\n');
    assert.equal(cluster.api.logOf(NS, podName, 'worker').includes('loss=1'), false);
  });
});

describe('parseSelector (labels grammar)', () => {
  test('equality, inequality, existence and set-based requirements', () => {
    const l = { app: 'autodl', tier: 'gpu' };
    assert.equal(parseSelector('app=autodl,tier==gpu')(l), true);
    assert.equal(parseSelector('app!=autodl')(l), false);
    assert.equal(parseSelector('!missing,app')(l), true);
    assert.equal(parseSelector('tier in (cpu, gpu),app notin (other)')(l), true);
    assert.equal(parseSelector('tier notin (gpu)')(l), false);
    assert.equal(parseSelector('')(l), true);
    assert.throws(() => parseSelector('app=~x'), /unable to parse requirement/);
  });
});
