/**
 * Editing and deleting Study custom resources through the operator (issue 16 part 1), set up as
 * k8s-custom-resources.e2e.test.ts: a maxTrials edit of a running Study reaches the running
 * study (Katib allows it for maxTrialCount); `kubectl delete` cancels the driver and its trial
 * jobs, and the finalizer goes only after the work has ended.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../k8s/harness';
import { NS } from '../k8s/kubernetes-app';
import {
  MERGE_PATCH,
  startResourceTestApp,
  studyOf,
  STUDIES,
  type ResourceTestApp,
} from '../k8s/resource-test-app';
import type { JobBody } from '../support/app';

describe('Study custom resources: edit and delete', () => {
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

  test('editing maxTrials of a running Study takes effect', async () => {
    await r.api.createNamespacedCustomObject({
      ...STUDIES,
      body: studyOf('grow', { maxTrials: 1, parallelism: 1 }, 5),
    });
    // While its one trial runs (it prints after 5 s; the driver would then complete the study).
    await waitFor('the study created', () => r.study('grow')?.status?.studyId, 120_000);
    // kubectl patch study grow --type merge -p '{"spec":{"maxTrials":2}}'
    await r.api.patchNamespacedCustomObject(
      { ...STUDIES, name: 'grow', body: { spec: { maxTrials: 2 } } },
      MERGE_PATCH,
    );
    const done = await waitFor(
      'the grown Study to finish',
      () => {
        const o = r.study('grow');
        return ['Succeeded', 'Failed', 'Cancelled'].includes(o?.status?.phase ?? '') ? o : null;
      },
      300_000,
    );
    assert.equal(done?.status?.phase, 'Succeeded', done?.status?.message);
    assert.equal(done?.status?.trialsDone, 2, 'the study ran to the new budget');
    assert.equal(done?.status?.observedGeneration, 2);
    const study = (
      await r.k.app.get(`/v1/studies/${done?.status?.studyId}`, await keyOf()).expect(200)
    ).body;
    assert.equal(study.config.budget.nTrials, 2);
  });

  test('kubectl delete cancels the running work, then the finalizer goes', async () => {
    await r.api.createNamespacedCustomObject({
      ...STUDIES,
      body: studyOf('long', { maxTrials: 6, parallelism: 2 }, 600),
    });
    const running = await waitFor(
      'two trial pods running',
      () => {
        const o = r.study('long');
        const pods = r.k.cluster.api
          .list('pods', NS, 'autodl.io/kind=trial-command')
          .filter((p) => p.status?.phase === 'Running');
        return o?.status?.phase === 'Running' && pods.length === 2 ? o : null;
      },
      120_000,
    );
    const jobId = running?.status?.jobId as string;
    if (r.hasKubectl) await r.kubectl('delete', 'study', 'long', '--wait=false');
    else await r.api.deleteNamespacedCustomObject({ ...STUDIES, name: 'long' });
    assert.ok(r.study('long')?.metadata.deletionTimestamp, 'held by the finalizer');
    await waitFor('the Study to go', () => r.study('long') === undefined, 90_000);
    // The finalizer went only after the work had stopped.
    const driver = (await r.k.app.get(`/v1/jobs/${jobId}`, await keyOf()).expect(200))
      .body as JobBody;
    assert.equal(driver.status, 'cancelled');
    const trialJobs = async () =>
      (
        (await r.k.app.get('/v1/jobs?kind=trial-command&limit=100', await keyOf()).expect(200)).body
          .items as JobBody[]
      ).filter((j) => j.parentId === jobId);
    assert.ok((await trialJobs()).length >= 2);
    // The driver's cancel cancels its trial jobs (a queued one when the executor next looks).
    await waitFor(
      'every trial job ended',
      async () => (await trialJobs()).every((t) => ['cancelled', 'failed'].includes(t.status)),
      // A bound only: at load average 35 the trial pods' workers took longer than 90 s to stop.
      180_000,
    ).catch(async (e: Error) => {
      const left = (await trialJobs()).map((t) => `${t.id} ${t.status} ${t.error ?? ''}`);
      throw new Error(`${e.message}: ${left.join('; ')}`);
    });
    const trials = await trialJobs();
    // No trial pod still runs: the executor deletes the Job of a cancelled trial, or, when the
    // trial's own worker saw the cancel first, its pod has ended (Failed) and the Job waits for
    // its TTL (ttlSecondsAfterFinished; the test API server has no TTL controller).
    const ours = (p: { metadata: { labels?: Record<string, string> } }) =>
      trials.some((t) => p.metadata.labels?.['autodl.io/job-id'] === t.id);
    await waitFor(
      'no trial pod running',
      () =>
        r.k.cluster.api
          .list('pods', NS, 'autodl.io/kind=trial-command')
          .filter(ours)
          .every((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed'),
      60_000,
    ).catch((e: Error) => {
      const pods = r.k.cluster.api.list('pods', NS, 'autodl.io/kind=trial-command');
      const jobs = r.k.cluster.api.list('jobs', NS, 'autodl.io/kind=trial-command');
      throw new Error(
        `${e.message}: pods ${JSON.stringify(pods.map((p) => [p.metadata.name, p.status?.phase, p.metadata.deletionTimestamp ?? null, p.metadata.ownerReferences?.map((o) => o.name)]))}; jobs ${JSON.stringify(jobs.map((j) => [j.metadata.name, j.metadata.deletionTimestamp ?? null]))}; trials ${JSON.stringify(trials.map((t) => [t.id, t.status]))}`,
      );
    });
    const study = (
      await r.k.app.get(`/v1/studies/${running?.status?.studyId}`, await keyOf()).expect(200)
    ).body;
    assert.equal(study.status, 'stopped');
  });
});
