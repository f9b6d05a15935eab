/**
 * The test API server's custom resources behave as kubernetes.io/docs documents them for CRDs
 * (tasks/extend-kubernetes/custom-resources/custom-resource-definitions: structural schema,
 * pruning, defaulting, status subresource, generation, finalizers) and
 * reference/using-api/api-concepts (resourceVersion conflicts, watch), exercised through
 * @kubernetes/client-node's CustomObjectsApi as the operator calls it; and the CRDs in
 * k8s/base/crds refuse bad specs at apply time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { startFakeCluster, waitFor, type FakeCluster } from './harness';

const NS = 'autodl';
const G = { group: 'autodl.io', version: 'v1alpha1', namespace: NS, plural: 'studies' };
const EXAMPLE = load(
  readFileSync(join(__dirname, '..', '..', 'examples', 'k8s', 'study.yaml'), 'utf8'),
) as { metadata: { name: string }; spec: Record<string, unknown> };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type Obj = {
  metadata: {
    name: string;
    generation: number;
    resourceVersion: string;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

async function apiError(
  p: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`);
    return { code: err.code, body: typeof err.body === 'string' ? JSON.parse(err.body) : err.body };
  }
  throw new Error('expected the call to fail');
}

function study(name: string, spec: Record<string, unknown> = EXAMPLE.spec) {
  return {
    apiVersion: 'autodl.io/v1alpha1',
    kind: 'Study',
    metadata: { name },
    spec: structuredClone(spec),
  };
}

describe('FakeApiServer custom resources (CRDs from k8s/base/crds)', () => {
  let cluster: FakeCluster;
  let api: CustomObjectsApi;
  before(async () => {
    cluster = await startFakeCluster();
    api = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await cluster?.close();
  });

  test('create: generation 1, status dropped, defaults filled, unknown fields pruned', async () => {
    const body = { ...study('created'), status: { phase: 'Succeeded' } };
    delete (body.spec as { parallelism?: number }).parallelism;
    (body.spec as Record<string, unknown>).surplus = true;
    const created = (await api.createNamespacedCustomObject({ ...G, body })) as Obj;
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.status, undefined, 'the status subresource ignores status on create');
    assert.equal(created.spec.parallelism, 1, 'the schema default');
    assert.equal('surplus' in created.spec, false, 'pruned');
    const again = await apiError(
      api.createNamespacedCustomObject({ ...G, body: study('created') }),
    );
    assert.equal(again.code, 409);
    assert.equal(again.body.reason, 'AlreadyExists');
  });

  test('the CRD refuses bad specs with 422 Invalid, each cause naming its field', async () => {
    const bad = study('bad', {
      ...EXAMPLE.spec,
      maxTrials: 0,
      parallelism: 65,
      sampler: { name: 'simulated-annealing' },
      space: { x: { type: 'normal', low: 0, high: 1 } },
      trial: {},
    });
    const { code, body } = await apiError(api.createNamespacedCustomObject({ ...G, body: bad }));
    assert.equal(code, 422);
    assert.equal(body.reason, 'Invalid');
    const causes = (body.details as { causes: { field: string; reason: string }[] }).causes;
    const byField = Object.fromEntries(causes.map((c) => [c.field, c.reason]));
    assert.deepEqual(byField, {
      'spec.maxTrials': 'FieldValueInvalid',
      'spec.parallelism': 'FieldValueInvalid',
      'spec.sampler.name': 'FieldValueNotSupported',
      'spec.space.x.type': 'FieldValueNotSupported',
      'spec.trial.command': 'FieldValueRequired',
    });
    assert.match(String(body.message), /^Study\.autodl\.io "bad" is invalid: /);
    assert.equal(cluster.api.customObjects.get('studies', NS, 'bad'), undefined);
    const { code: strict } = await apiError(
      api.createNamespacedCustomObject({
        ...G,
        body: { ...study('strict'), spec: { ...EXAMPLE.spec, surplus: 1 } },
        fieldValidation: 'Strict',
      }),
    );
    assert.equal(strict, 400, 'kubectl --validate=strict: unknown fields are an error');
  });

  test("the CRDs' CEL rules refuse what the schema alone cannot: 422 with the rule's message", async () => {
    const bad = study('cel', {
      ...EXAMPLE.spec,
      direction: 'minimize',
      directions: ['minimize'],
      space: { x: { type: 'float', low: 2, high: 1 }, c: { type: 'categorical' } },
      trial: { command: ['train'], resources: { gpuType: 'NVIDIA-A100-SXM4-40GB' } },
    });
    const { code, body } = await apiError(api.createNamespacedCustomObject({ ...G, body: bad }));
    assert.equal(code, 422);
    const causes = (body.details as { causes: { field: string; message: string }[] }).causes;
    const byField = Object.fromEntries(causes.map((c) => [c.field, c.message]));
    assert.match(byField.spec, /^Invalid value: "object": /, 'direction xor directions');
    assert.match(byField['spec.space.x'], /^Invalid value: "object": /, 'low <= high');
    assert.match(byField['spec.space.c'], /^Invalid value: "object": /, 'choices required');
    assert.equal(
      byField['spec.trial.resources'],
      'Invalid value: "object": a gpuType needs gpu >= 1',
    );
    assert.equal(cluster.api.customObjects.get('studies', NS, 'cel'), undefined);
    // The shipped example satisfies every rule (the create test above stores it).
  });

  test('spec edits bump generation; status writes go through /status only', async () => {
    await api.createNamespacedCustomObject({ ...G, body: study('gen') });
    const patched = (await api.patchNamespacedCustomObject(
      { ...G, name: 'gen', body: { spec: { maxTrials: 12 }, status: { phase: 'Running' } } },
      merge,
    )) as Obj;
    assert.equal(patched.metadata.generation, 2);
    assert.equal(patched.spec.maxTrials, 12);
    assert.equal(patched.status, undefined, 'status is ignored on the main resource');
    const withStatus = (await api.patchNamespacedCustomObjectStatus(
      {
        ...G,
        name: 'gen',
        body: { spec: { maxTrials: 1 }, status: { phase: 'Running', trialsDone: 3 } },
      },
      merge,
    )) as Obj;
    assert.equal(withStatus.metadata.generation, 2, 'a status write is not a spec change');
    assert.equal(withStatus.spec.maxTrials, 12, '/status leaves the spec alone');
    assert.deepEqual(withStatus.status, { phase: 'Running', trialsDone: 3 });
    const bad = await apiError(
      api.patchNamespacedCustomObjectStatus(
        { ...G, name: 'gen', body: { status: { phase: 'Done' } } },
        merge,
      ),
    );
    assert.equal(bad.code, 422, 'the status schema is enforced too');
    const meta = (await api.patchNamespacedCustomObject(
      { ...G, name: 'gen', body: { metadata: { labels: { a: 'b' } } } },
      merge,
    )) as Obj;
    assert.equal(meta.metadata.generation, 2, 'metadata changes do not bump generation');
  });

  test('a write carrying a stale resourceVersion is a 409 Conflict; JSON patch test ops', async () => {
    const created = (await api.createNamespacedCustomObject({ ...G, body: study('rv') })) as Obj;
    const rv = created.metadata.resourceVersion;
    await api.patchNamespacedCustomObject(
      { ...G, name: 'rv', body: { spec: { parallelism: 3 } } },
      merge,
    );
    const stale = await apiError(
      api.patchNamespacedCustomObject(
        { ...G, name: 'rv', body: { metadata: { resourceVersion: rv, finalizers: ['x/y'] } } },
        merge,
      ),
    );
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const current = (await api.getNamespacedCustomObject({ ...G, name: 'rv' })) as Obj;
    const replaced = await apiError(
      api.replaceNamespacedCustomObject({
        ...G,
        name: 'rv',
        body: { ...current, metadata: { ...current.metadata, resourceVersion: rv } },
      }),
    );
    assert.equal(replaced.code, 409);
    // client-node's default patch type is a JSON patch.
    const ok = (await api.patchNamespacedCustomObject({
      ...G,
      name: 'rv',
      body: [
        { op: 'test', path: '/metadata/resourceVersion', value: current.metadata.resourceVersion },
        { op: 'replace', path: '/spec/maxTrials', value: 5 },
      ],
    })) as Obj;
    assert.equal(ok.spec.maxTrials, 5);
    const failed = await apiError(
      api.patchNamespacedCustomObject({
        ...G,
        name: 'rv',
        body: [{ op: 'test', path: '/metadata/resourceVersion', value: rv }],
      }),
    );
    assert.equal(failed.code, 422);
  });

  test('DELETE with a finalizer marks the object; it goes when the last finalizer is removed', async () => {
    const events: { type: string; name: string; deleting: boolean }[] = [];
    const list = (await api.listNamespacedCustomObject(G)) as {
      metadata: { resourceVersion: string };
    };
    const req = await new Watch(cluster.kubeConfig).watch(
      `/apis/autodl.io/v1alpha1/namespaces/${NS}/studies`,
      { resourceVersion: list.metadata.resourceVersion },
      (type: string, o: Obj) =>
        events.push({ type, name: o.metadata.name, deleting: !!o.metadata.deletionTimestamp }),
      () => undefined,
    );
    await api.createNamespacedCustomObject({
      ...G,
      body: { ...study('fin'), metadata: { name: 'fin', finalizers: ['autodl.io/cancel'] } },
    });
    const marked = (await api.deleteNamespacedCustomObject({ ...G, name: 'fin' })) as Obj;
    assert.ok(marked.metadata.deletionTimestamp, 'deletionTimestamp set, the object stays');
    assert.ok(cluster.api.customObjects.get('studies', NS, 'fin'));
    const added = await apiError(
      api.patchNamespacedCustomObject(
        { ...G, name: 'fin', body: { metadata: { finalizers: ['autodl.io/cancel', 'other/x'] } } },
        merge,
      ),
    );
    assert.equal(added.code, 422, 'no new finalizers on an object being deleted');
    await api.patchNamespacedCustomObject(
      { ...G, name: 'fin', body: { metadata: { finalizers: [] } } },
      merge,
    );
    assert.equal(cluster.api.customObjects.get('studies', NS, 'fin'), undefined);
    await waitFor('the DELETED event', () =>
      events.some((e) => e.type === 'DELETED' && e.name === 'fin'),
    );
    assert.deepEqual(
      events
        .filter((e) => e.name === 'fin')
        .map((e) => `${e.type}${e.deleting ? '+deleting' : ''}`),
      ['ADDED', 'MODIFIED+deleting', 'DELETED+deleting'],
    );
    req.abort();
    const gone = await apiError(api.getNamespacedCustomObject({ ...G, name: 'fin' }));
    assert.equal(gone.code, 404);
  });

  test("a Table of the CRD's printer columns, as `kubectl get studies` asks for", async () => {
    await api.createNamespacedCustomObject({ ...G, body: study('table') });
    await api.patchNamespacedCustomObjectStatus(
      {
        ...G,
        name: 'table',
        body: { status: { phase: 'Running', bestValue: 0.4, trialsDone: 3 } },
      },
      merge,
    );
    const t = cluster.api.customObjects.table('studies', NS) as {
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[] }[];
    };
    assert.deepEqual(
      t.columnDefinitions.map((c) => c.name),
      ['Name', 'Phase', 'Best', 'Trials', 'Max', 'Study', 'Age'],
    );
    const row = t.rows.find((r) => r.cells[0] === 'table');
    assert.deepEqual(row?.cells.slice(0, 6), ['table', 'Running', 0.4, 3, 6, null]);
    assert.match(String(row?.cells[6]), /^\d+s$/);
  });
});
