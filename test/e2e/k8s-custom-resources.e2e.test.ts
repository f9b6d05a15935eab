/**
 * Study and FineTune custom resources end to end (issue 16 part 1): the real API with
 * AUTODL_EXECUTOR=kubernetes against the test API server (which validates against the CRDs in
 * k8s/base/crds), the operator elected with the executor, trial pods run by the scripted
 * controller as real workers. examples/k8s/study.yaml is created as `kubectl apply` creates it
 * and runs to Succeeded with its trials and best value in status (and in the printer columns,
 * through the real kubectl when it is installed); a maxTrials edit reaches the running study;
 * `kubectl delete` cancels the work before the finalizer goes; a spec the service refuses is
 * phase Failed with the service's message and a Warning Event.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { waitFor } from '../k8s/harness';
import { NS, startKubernetesTestApp, type KubernetesTestApp } from '../k8s/kubernetes-app';
import type { JobBody } from '../support/app';

const ROOT = join(__dirname, '..', '..');
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const G = { group: 'autodl.io', version: 'v1alpha1', namespace: NS, plural: 'studies' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Branin's global minimum (Dixon and Szego 1978): no trial can report less. */
const BRANIN_MIN = 0.397887;

type StudyCr = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    generation?: number;
  };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    message?: string;
    studyId?: string;
    jobId?: string;
    trialsDone?: number;
    bestValue?: number;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string }[];
  };
};

const example = (): StudyCr =>
  load(readFileSync(join(ROOT, 'examples', 'k8s', 'study.yaml'), 'utf8')) as StudyCr;

/** A Study whose trials print `value=x` after `sleepS` seconds. */
function studyOf(name: string, spec: Record<string, unknown>, sleepS = 0): StudyCr {
  const cmd = `setTimeout(() => console.log('value=' + JSON.parse(process.env.AUTODL_TRIAL_PARAMS).x), ${sleepS * 1000})`;
  return {
    apiVersion: 'autodl.io/v1alpha1',
    kind: 'Study',
    metadata: { name },
    spec: {
      space: { x: { type: 'float', low: 0, high: 1 } },
      sampler: { name: 'random', settings: { seed: 3 } },
      trial: { command: ['node', '-e', cmd] },
      ...spec,
    },
  };
}

describe('Study and FineTune custom resources through the operator', () => {
  let k: KubernetesTestApp;
  let api: CustomObjectsApi;
  let key: string;
  const get = (name: string) =>
    k.cluster.api.customObjects.get('studies', NS, name) as StudyCr | undefined;

  const hasKubectl = existsSync(KUBECTL);
  const cacheDir = mkdtempSync(join(tmpdir(), 'autodl-kubectl-'));

  before(async () => {
    k = await startKubernetesTestApp({ AUTODL_K8S_OPERATOR_RESYNC_MS: '200' });
    api = k.cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await k?.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /**
   * The real kubectl against the test API server (client-go sends no token over http). Async:
   * the server runs in this process.
   */
  async function kubectl(...args: string[]): Promise<string> {
    k.cluster.api.acceptAnonymous = true;
    const { stdout } = await promisify(execFile)(
      KUBECTL,
      ['--server', k.cluster.api.url, '--cache-dir', join(cacheDir, 'kube'), '-n', NS, ...args],
      { encoding: 'utf8', timeout: 60_000 },
    );
    return stdout;
  }

  test('examples/k8s/study.yaml runs to Succeeded; status and `kubectl get studies` show it', async () => {
    const cr = example();
    if (hasKubectl) {
      // No OpenAPI document here: client-side validation off, the CRD's schema still applies.
      const out = await kubectl(
        'apply',
        '-f',
        join(ROOT, 'examples', 'k8s', 'study.yaml'),
        '--validate=false',
      );
      assert.equal(out.trim(), 'study.autodl.io/branin created');
    } else {
      // What `kubectl apply` sends for a new object: a POST with the last-applied annotation.
      await api.createNamespacedCustomObject({
        ...G,
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
        const o = get('branin');
        return o?.status?.studyId && o.metadata.finalizers?.includes('autodl.io/cancel') ? o : null;
      },
      60_000,
    );
    const done = await waitFor(
      'the Study to finish',
      () => {
        const o = get('branin');
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
    key = await k.app.createKey(NS);
    const trials = (await k.app.get(`/v1/studies/${status.studyId}/trials`, key).expect(200)).body
      .items as { params: { x1: number; x2: number }; values: number[] }[];
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
    const studies = (await k.app.get('/v1/studies', key).expect(200)).body.items as {
      name: string;
    }[];
    assert.deepEqual(
      studies.filter((s) => s.name === 'branin').length,
      1,
      'a re-list never creates the study twice',
    );
    const reasons = k.cluster.api.customObjects.events
      .filter((e) => (e.involvedObject as { name: string }).name === 'branin')
      .map((e) => e.reason);
    assert.ok(reasons.includes('Created') && reasons.includes('Succeeded'), reasons.join());
    // The printer columns resolve against the stored status.
    const table = k.cluster.api.customObjects.table('studies', NS) as {
      rows: { cells: unknown[] }[];
    };
    const row = table.rows.find((r) => r.cells[0] === 'branin');
    assert.deepEqual(row?.cells.slice(0, 5), ['branin', 'Succeeded', best, 6, 6]);
    if (hasKubectl) {
      const [header, ...lines] = (await kubectl('get', 'studies')).trim().split('\n');
      assert.match(header, /^NAME\s+PHASE\s+BEST\s+TRIALS\s+MAX\s+AGE$/);
      const cells = lines.find((l) => l.startsWith('branin '))?.split(/\s+/);
      assert.deepEqual(cells?.slice(0, 5), ['branin', 'Succeeded', String(best), '6', '6']);
      // The same through the short name and the category.
      assert.match(await kubectl('get', 'st', 'branin'), /branin\s+Succeeded/);
      assert.match(await kubectl('get', 'autodl'), /study\.autodl\.io\/branin\s+Succeeded/);
    }
  });

  test('editing maxTrials of a running Study takes effect', async () => {
    await api.createNamespacedCustomObject({
      ...G,
      body: studyOf('grow', { maxTrials: 2, parallelism: 1 }, 2),
    });
    await waitFor(
      'the first trial',
      () => (get('grow')?.status?.trialsDone ?? 0) >= 1 || null,
      120_000,
    );
    // kubectl patch study grow --type merge -p '{"spec":{"maxTrials":4}}'
    await api.patchNamespacedCustomObject(
      { ...G, name: 'grow', body: { spec: { maxTrials: 4 } } },
      merge,
    );
    const done = await waitFor(
      'the grown Study to finish',
      () => {
        const o = get('grow');
        return ['Succeeded', 'Failed', 'Cancelled'].includes(o?.status?.phase ?? '') ? o : null;
      },
      300_000,
    );
    assert.equal(done?.status?.phase, 'Succeeded', done?.status?.message);
    assert.equal(done?.status?.trialsDone, 4, 'the study ran to the new budget');
    assert.equal(done?.status?.observedGeneration, 2);
    const study = (await k.app.get(`/v1/studies/${done?.status?.studyId}`, key).expect(200)).body;
    assert.equal(study.config.budget.nTrials, 4);
  });

  test('kubectl delete cancels the running work, then the finalizer goes', async () => {
    await api.createNamespacedCustomObject({
      ...G,
      body: studyOf('long', { maxTrials: 6, parallelism: 2 }, 600),
    });
    const running = await waitFor(
      'two trial pods running',
      () => {
        const o = get('long');
        const pods = k.cluster.api
          .list('pods', NS, 'autodl.io/kind=trial-command')
          .filter((p) => p.status?.phase === 'Running');
        return o?.status?.phase === 'Running' && pods.length === 2 ? o : null;
      },
      120_000,
    );
    const jobId = running?.status?.jobId as string;
    if (hasKubectl) await kubectl('delete', 'study', 'long', '--wait=false');
    else await api.deleteNamespacedCustomObject({ ...G, name: 'long' });
    assert.ok(get('long')?.metadata.deletionTimestamp, 'held by the finalizer');
    await waitFor('the Study to go', () => get('long') === undefined, 90_000);
    // The finalizer went only after the work had stopped.
    const driver = (await k.app.get(`/v1/jobs/${jobId}`, key).expect(200)).body as JobBody;
    assert.equal(driver.status, 'cancelled');
    const trialJobs = async () =>
      (
        (await k.app.get('/v1/jobs?kind=trial-command&limit=100', key).expect(200)).body
          .items as JobBody[]
      ).filter((j) => j.parentId === jobId);
    assert.ok((await trialJobs()).length >= 2);
    // The driver's cancel cancels its trial jobs (a queued one when the executor next looks).
    await waitFor(
      'every trial job ended',
      async () => (await trialJobs()).every((t) => ['cancelled', 'failed'].includes(t.status)),
      90_000,
    ).catch(async (e: Error) => {
      const left = (await trialJobs()).map((t) => `${t.id} ${t.status} ${t.error ?? ''}`);
      throw new Error(`${e.message}: ${left.join('; ')}`);
    });
    const trials = await trialJobs();
    await waitFor(
      'the trial pods gone',
      () =>
        k.cluster.api
          .list('pods', NS, 'autodl.io/kind=trial-command')
          .every((p) => !trials.some((t) => p.metadata.labels?.['autodl.io/job-id'] === t.id)),
      60_000,
    );
    const study = (await k.app.get(`/v1/studies/${running?.status?.studyId}`, key).expect(200))
      .body;
    assert.equal(study.status, 'stopped');
  });

  test('specs the service refuses: phase Failed with its message and a Warning Event', async () => {
    // Valid for the CRD (settings are the service's to check), refused by the study schema.
    await api.createNamespacedCustomObject({
      ...G,
      body: studyOf('refused', { sampler: { name: 'tpe', settings: { bogus: 1 } }, maxTrials: 2 }),
    });
    const refused = await waitFor(
      'the refusal',
      () => (get('refused')?.status?.phase === 'Failed' ? get('refused') : null),
      60_000,
    );
    assert.match(refused?.status?.message ?? '', /^spec\.sampler\.settings/);
    assert.equal(refused?.status?.studyId, undefined);
    const created = refused?.status?.conditions?.find((c) => c.type === 'Created');
    assert.deepEqual([created?.status, created?.reason], ['False', 'Refused']);
    const warning = await waitFor(
      'the Warning event',
      () =>
        k.cluster.api.customObjects.events.find(
          (e) =>
            (e.involvedObject as { name: string }).name === 'refused' && e.reason === 'Refused',
        ),
      30_000,
    );
    assert.equal(warning?.type, 'Warning');
    // A FineTune whose base model does not exist in the namespace's project.
    await api.createNamespacedCustomObject({
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
        const o = k.cluster.api.customObjects.get('finetunes', NS, 'orphan');
        return o?.status?.phase === 'Failed' ? o : null;
      },
      60_000,
    );
    assert.match(String(ft?.status?.message), /no-such-model|no-such-data/);
    // Nothing was created, so deleting it just releases the finalizer.
    await api.deleteNamespacedCustomObject({
      group: 'autodl.io',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'finetunes',
      name: 'orphan',
    });
    await waitFor(
      'the FineTune to go',
      () => k.cluster.api.customObjects.get('finetunes', NS, 'orphan') === undefined,
      30_000,
    );
  });
});
