/**
 * Indexed Jobs on the test API server and its scripted controller, through the official client,
 * against the documented semantics (kubernetes.io/docs/concepts/workloads/controllers/job/,
 * "Completion mode" and "Backoff limit per index"; the JobStatus field docs for the
 * completedIndexes / failedIndexes text format "1,3-5,7").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, BatchV1Api, CoreV1Api, type V1Job } from '@kubernetes/client-node';
import { COMPLETION_INDEX, formatIndexes, parseIndexes } from './fake-indexed-jobs';
import { startFakeCluster, waitFor, type FakeCluster } from './harness';

function indexed(
  name: string,
  n: number,
  perIndex: boolean,
  extra: Partial<V1Job['spec']> = {},
): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: n,
      ...(perIndex ? { backoffLimitPerIndex: 0 } : { backoffLimit: 0 }),
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'worker', image: 'busybox', command: ['true'] }],
        },
      },
      ...extra,
    } as V1Job['spec'],
  };
}

/** waitFor with a 30 s bound (a loaded CI machine) and a defined value. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const value = await waitFor(what, check, 30_000);
  assert.ok(value !== undefined);
  return value;
}

describe('test API server: Indexed Jobs', () => {
  let cluster: FakeCluster;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  /** `<job name>/<index>` -> scenario; default succeed. */
  const failing = new Set<string>();

  before(async () => {
    cluster = await startFakeCluster({
      stepMs: 5,
      scenario: (j, index) =>
        failing.has(`${j.metadata.name}/${index}`)
          ? 'error'
          : index === undefined
            ? 'succeed'
            : 'succeed',
    });
    batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => cluster.close());

  test('the index text format: increasing, runs of three or more as first-last (the JobStatus docs’ example)', () => {
    assert.equal(formatIndexes([7, 1, 3, 4, 5]), '1,3-5,7');
    assert.equal(formatIndexes([0, 1]), '0,1');
    assert.equal(formatIndexes([]), '');
    assert.deepEqual(parseIndexes('1,3-5,7'), [1, 3, 4, 5, 7]);
  });

  test('N pods start at once, each with its index in annotation, label and JOB_COMPLETION_INDEX; Complete when all succeed', async () => {
    await batch.createNamespacedJob({ namespace: 'site-a', body: indexed('ix-ok', 3, true) });
    const pods = await until('3 pods', async () => {
      const list = await core.listNamespacedPod({
        namespace: 'site-a',
        labelSelector: 'job-name=ix-ok',
      });
      return list.items.length === 3 ? list.items : undefined;
    });
    const indexes = pods.map((p) => p.metadata?.annotations?.[COMPLETION_INDEX]).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of pods) {
      const i = p.metadata?.annotations?.[COMPLETION_INDEX];
      assert.equal(p.metadata?.labels?.[COMPLETION_INDEX], i);
      assert.equal(p.spec?.hostname, `ix-ok-${i}`);
      const env = p.spec?.containers[0].env?.find((e) => e.name === 'JOB_COMPLETION_INDEX');
      assert.equal(
        env?.valueFrom?.fieldRef?.fieldPath,
        `metadata.annotations['${COMPLETION_INDEX}']`,
      );
    }
    const done = await until('Complete', async () => {
      const j = await batch.readNamespacedJob({ namespace: 'site-a', name: 'ix-ok' });
      return j.status?.conditions?.some((c) => c.type === 'Complete') ? j : undefined;
    });
    assert.equal(done.status?.succeeded, 3);
    assert.equal(done.status?.completedIndexes, '0-2');
    assert.equal(done.status?.active, 0);
    assert.equal(done.status?.failedIndexes, '');
  });

  test('backoffLimitPerIndex 0: a failed index fails alone, the others finish; then Failed with reason FailedIndexes', async () => {
    failing.add('ix-one-fails/1');
    await batch.createNamespacedJob({
      namespace: 'site-b',
      body: indexed('ix-one-fails', 3, true),
    });
    const j = await until('Failed', async () => {
      const x = await batch.readNamespacedJob({ namespace: 'site-b', name: 'ix-one-fails' });
      return x.status?.conditions?.some((c) => c.type === 'Failed') ? x : undefined;
    });
    assert.equal(j.status?.completedIndexes, '0,2', 'the other sites finished');
    assert.equal(j.status?.failedIndexes, '1');
    assert.equal(j.status?.succeeded, 2);
    assert.equal(j.status?.failed, 1);
    assert.equal(j.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'FailedIndexes');
  });

  test('without backoffLimitPerIndex (backoffLimit 0) the first failed index fails the Job (BackoffLimitExceeded)', async () => {
    failing.add('ix-strict/0');
    await batch.createNamespacedJob({ namespace: 'site-a', body: indexed('ix-strict', 2, false) });
    const j = await until('Failed', async () => {
      const x = await batch.readNamespacedJob({ namespace: 'site-a', name: 'ix-strict' });
      return x.status?.conditions?.some((c) => c.type === 'Failed') ? x : undefined;
    });
    assert.equal(
      j.status?.conditions?.find((c) => c.type === 'Failed')?.reason,
      'BackoffLimitExceeded',
    );
  });

  test('the API server refuses what the real one refuses: Indexed without completions, backoffLimitPerIndex without Indexed (422)', async () => {
    for (const body of [
      indexed('ix-bad-1', 2, true, { completions: undefined }),
      indexed('ix-bad-2', 2, true, { completionMode: 'NonIndexed' }),
    ]) {
      try {
        await batch.createNamespacedJob({ namespace: 'site-a', body });
        assert.fail('expected a 422');
      } catch (err) {
        assert.ok(err instanceof ApiException);
        assert.equal(err.code, 422);
        const status = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
        assert.match(status.message, /spec\.(completions|backoffLimitPerIndex)/);
      }
    }
  });
});
