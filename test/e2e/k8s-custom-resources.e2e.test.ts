/**
 * Study and FineTune custom resources end to end (issue 16 part 1): the real API with
 * AUTODL_EXECUTOR=kubernetes against the test API server (which validates against the CRDs in
 * k8s/base/crds), the operator elected with the executor, trial pods run by the scripted
 * controller as real workers. `kubectl apply -f examples/k8s/study.yaml` (the real kubectl
 * when installed, else the same POST through client-node) runs to Succeeded with its trials and
 * best value in status and in `kubectl get studies`; a spec the service refuses is phase Failed
 * with the service's message and a Warning Event. Edits and deletion:
 * k8s-custom-resources-edit.e2e.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { waitFor } from '../k8s/harness';
import { NS } from '../k8s/kubernetes-app';
import {
  startResourceTestApp,
  studyOf,
  STUDIES,
  type ResourceTestApp,
  type StudyCr,
} from '../k8s/resource-test-app';

const ROOT = join(__dirname, '..', '..');
/** Branin's global minimum (Dixon and Szego 1978): no trial can report less. */
const BRANIN_MIN = 0.397887;

const example = (): StudyCr =>
  load(readFileSync(join(ROOT, 'examples', 'k8s', 'study.yaml'), 'utf8')) as StudyCr;

describe('Study and FineTune custom resources through the operator', () => {
  let r: ResourceTestApp;
  let projectKey: string | undefined;
  /**
   * A key of the namespace's project, made once the operator created that project (a key made
   * first would create it without allowCommands, and the Study would be refused).
   */
  const keyOf = async () => (projectKey ??= await r.k.app.createKey(NS));
  before(async () => {
    r = await startResourceTestApp();
  });
  after(async () => {
    await r?.close();
  });

  test('examples/k8s/study.yaml runs to Succeeded; status and `kubectl get studies` show it', async () => {
    const cr = example();
    if (r.hasKubectl) {
      // No OpenAPI document here: client-side validation off, the CRD's schema still applies.
      const out = await r.kubectl(
        'apply',
        '-f',
        join(ROOT, 'examples', 'k8s', 'study.yaml'),
        '--validate=false',
      );
      assert.equal(out.trim(), 'study.autodl.io/branin created');
    } else {
      // What `kubectl apply` sends for a new object: a POST with the last-applied annotation.
      await r.api.createNamespacedCustomObject({
        ...STUDIES,
        body: {
          ...cr,
          metadata: {
            ...cr.metadata,
            annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(cr) },
          },
        },
      });
    }
    const running = await waitFor(
      'the operator to take the Study',
      () => {
        const o = r.study('branin');
        return o?.status?.studyId && o.metadata.finalizers?.includes('autodl.io/cancel') ? o : null;
      },
      60_000,
    );
    const done = await waitFor(
      'the Study to finish',
      () => {
        const o = r.study('branin');
        return ['Succeeded', 'Failed', 'Cancelled'].includes(o?.status?.phase ?? '') ? o : null;
      },
      300_000,
    );
    const status = done?.status ?? {};
    assert.equal(status.phase, 'Succeeded', status.message);
    assert.equal(status.studyId, running?.status?.studyId, 'one study for the resource');
    assert.equal(status.trialsDone, 6);
    assert.equal(status.observedGeneration, 1);
    // The namespace's project: the study and its trials are there, the best value is theirs.
    const trials = (
      await r.k.app.get(`/v1/studies/${status.studyId}/trials`, await keyOf()).expect(200)
    ).body.items as { params: { x1: number; x2: number }; values: number[] }[];
    assert.equal(trials.length, 6);
    const best = Math.min(...trials.map((t) => t.values[0]));
    assert.equal(status.bestValue, best);
    assert.ok(best >= BRANIN_MIN - 1e-6, `${best} is not below Branin's minimum`);
    for (const t of trials) {
      const { x1, x2 } = t.params;
      const f =
        (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 +
        10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) +
        10;
      assert.ok(
        Math.abs(t.values[0] - f) < 1e-9,
        'each value is the command output for its params',
      );
    }
    const studies = (await r.k.app.get('/v1/studies', await keyOf()).expect(200)).body.items as {
      name: string;
    }[];
    assert.deepEqual(
      studies.filter((s) => s.name === 'branin').length,
      1,
      'a re-list never creates the study twice',
    );
    const reasons = r.k.cluster.api.customObjects.events
      .filter((e) => (e.involvedObject as { name: string }).name === 'branin')
      .map((e) => e.reason);
    assert.ok(reasons.includes('Created') && reasons.includes('Succeeded'), reasons.join());
    // The printer columns resolve against the stored status.
    const table = r.k.cluster.api.customObjects.table('studies', NS) as {
      rows: { cells: unknown[] }[];
    };
    const row = table.rows.find((r) => r.cells[0] === 'branin');
    assert.deepEqual(row?.cells.slice(0, 5), ['branin', 'Succeeded', best, 6, 6]);
    if (r.hasKubectl) {
      const [header, ...lines] = (await r.kubectl('get', 'studies')).trim().split('\n');
      assert.match(header, /^NAME\s+PHASE\s+BEST\s+TRIALS\s+MAX\s+AGE$/);
      const cells = lines.find((l) => l.startsWith('branin '))?.split(/\s+/);
      assert.deepEqual(cells?.slice(0, 5), ['branin', 'Succeeded', String(best), '6', '6']);
      // The same through the short name and the category.
      assert.match(await r.kubectl('get', 'st', 'branin'), /branin\s+Succeeded/);
      assert.match(await r.kubectl('get', 'autodl'), /study\.autodl\.io\/branin\s+Succeeded/);
    }
  });

  test('specs the service refuses: phase Failed with its message and a Warning Event', async () => {
    // Valid for the CRD (settings are the service's to check), refused by the study schema.
    await r.api.createNamespacedCustomObject({
      ...STUDIES,
      body: studyOf('refused', { sampler: { name: 'tpe', settings: { bogus: 1 } }, maxTrials: 2 }),
    });
    const refused = await waitFor(
      'the refusal',
      () => (r.study('refused')?.status?.phase === 'Failed' ? r.study('refused') : null),
      60_000,
    );
    assert.match(refused?.status?.message ?? '', /^spec\.sampler\.settings/);
    assert.equal(refused?.status?.studyId, undefined);
    const created = refused?.status?.conditions?.find((c) => c.type === 'Created');
    assert.deepEqual([created?.status, created?.reason], ['False', 'Refused']);
    const warning = await waitFor(
      'the Warning event',
      () =>
        r.k.cluster.api.customObjects.events.find(
          (e) =>
            (e.involvedObject as { name: string }).name === 'refused' && e.reason === 'Refused',
        ),
      30_000,
    );
    assert.equal(warning?.type, 'Warning');
    // A FineTune whose base model does not exist in the namespace's project.
    await r.api.createNamespacedCustomObject({
      group: 'autodl.io',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'finetunes',
      body: {
        apiVersion: 'autodl.io/v1alpha1',
        kind: 'FineTune',
        metadata: { name: 'orphan' },
        spec: { baseModel: 'no-such-model', dataset: 'no-such-data', method: 'delta', epochs: 1 },
      },
    });
    const ft = await waitFor(
      'the FineTune refusal',
      () => {
        const o = r.k.cluster.api.customObjects.get('finetunes', NS, 'orphan');
        return o?.status?.phase === 'Failed' ? o : null;
      },
      60_000,
    );
    assert.match(String(ft?.status?.message), /no-such-model|no-such-data/);
    // Nothing was created, so deleting it just releases the finalizer.
    await r.api.deleteNamespacedCustomObject({
      group: 'autodl.io',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'finetunes',
      name: 'orphan',
    });
    await waitFor(
      'the FineTune to go',
      () => r.k.cluster.api.customObjects.get('finetunes', NS, 'orphan') === undefined,
      30_000,
    );
  });
});
