/**
 * Capability jobs through AUTODL_EXECUTOR=kubernetes, end to end: a command-runner study whose
 * driver and parallel trials each run as their own Kubernetes Job (Katib's experiment/trial
 * model), and pretrain -> finetune on an uploaded image data set. Same set-up as
 * k8s.e2e.test.ts (test/k8s/kubernetes-app.ts); expected results as in the local-executor
 * suites search.e2e.test.ts (the quadratic's value per trial) and models.e2e.test.ts (lineage).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jobName } from '../../src/deploy/core/job-spec';
import { shapesZip } from '../fixtures/data/shapes';
import { waitFor } from '../k8s/harness';
import { NS, startKubernetesTestApp, type KubernetesTestApp } from '../k8s/kubernetes-app';
import type { JobBody } from '../support/app';

// A quadratic with its minimum at x = 2, y = -1 (the trial command of search.e2e.test.ts).
const QUADRATIC = [
  process.execPath,
  '-e',
  `const x = Number(process.argv[1].split('=')[1]);
   const y = JSON.parse(process.env.AUTODL_TRIAL_PARAMS).y;
   console.log('loss=' + ((x - 2) ** 2 + (y + 1) ** 2));`,
  'x=${x}',
];
const SPACE = { x: { type: 'float', low: -5, high: 5 }, y: { type: 'float', low: -5, high: 5 } };

/** Two separable 8x8 gray classes, 8 images each (the data set of models.e2e.test.ts, smaller). */
const shapes = shapesZip(8);

describe('capability jobs on the kubernetes executor (study with parallel trials, finetune)', () => {
  let k: KubernetesTestApp;
  before(async () => {
    k = await startKubernetesTestApp();
  });
  after(async () => {
    await k?.close();
  });

  test('a study runs its driver and two parallel trials as separate Kubernetes Jobs', async () => {
    const { app, cluster } = k;
    const created = await app
      .post('/v1/studies', {
        name: 'quadratic-k8s',
        space: SPACE,
        metrics: ['loss'],
        sampler: { name: 'random', settings: { seed: 5 } },
        budget: { nTrials: 2, parallelism: 2 },
        runner: { type: 'command', command: QUADRATIC },
      })
      .expect(202);
    const study = created.body;
    let mostTrialPods = 0;
    await waitFor(
      'study driver finished',
      async () => {
        const trialPods = cluster.api
          .list('pods', NS, 'autodl.io/kind=trial-command')
          .filter((p) => p.status?.phase === 'Running');
        mostTrialPods = Math.max(mostTrialPods, trialPods.length);
        const driver = (await app.get(`/v1/jobs/${study.jobId}`)).body as JobBody;
        return ['succeeded', 'failed'].includes(driver.status);
      },
      120_000,
    );
    const driver = (await app.get(`/v1/jobs/${study.jobId}`).expect(200)).body as JobBody;
    assert.equal(driver.status, 'succeeded', JSON.stringify(driver));
    assert.equal(driver.externalId, jobName(study.jobId, 1));
    assert.equal(mostTrialPods, 2, 'both trials ran at the same time, each in its own pod');
    const children = (
      (await app.get('/v1/jobs?kind=trial-command&limit=50').expect(200)).body.items as JobBody[]
    ).filter((j) => j.parentId === study.jobId);
    assert.equal(children.length, 2);
    for (const child of children) {
      assert.equal(child.status, 'succeeded');
      assert.equal(child.executor, 'kubernetes');
      assert.ok(cluster.api.get('jobs', NS, jobName(child.id, 1)), 'a Job per trial');
    }
    const trials = (await app.get(`/v1/studies/${study.id}/trials`).expect(200)).body.items as {
      params: { x: number; y: number };
      values: number[];
    }[];
    assert.equal(trials.length, 2);
    for (const t of trials) {
      // The stored value is the command's output for exactly these parameters.
      const expected = (t.params.x - 2) ** 2 + (t.params.y + 1) ** 2;
      assert.ok(Math.abs(t.values[0] - expected) < 1e-9);
    }
    const got = (await app.get(`/v1/studies/${study.id}`).expect(200)).body;
    assert.equal(got.status, 'completed');
  });

  test('pretrain then finetune run as Kubernetes Jobs and register models with lineage', async () => {
    const { app } = k;
    const upload = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
      shapes,
      'shapes.zip',
    );
    assert.equal(upload.status, 201, upload.text);
    const dataset = upload.body.id as string;
    const pre = await app
      .post('/v1/pretrain', {
        dataset,
        architecture: 'small-cnn',
        name: 'shapes-cnn',
        epochs: 2,
        batchSize: 4,
        learningRate: 0.01,
        seed: 1,
      })
      .expect(202);
    const pretrained = await app.waitForJob(pre.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(pretrained.status, 'succeeded', pretrained.error ?? '');
    assert.equal(pretrained.executor, 'kubernetes');
    const base = pretrained.result?.modelId as string;
    const fine = await app
      .post('/v1/finetune', {
        baseModel: base,
        dataset,
        method: 'l2sp',
        epochs: 1,
        name: 'shapes-l2sp',
        hyperParameters: { batchSize: 4, learningRate: 0.01, seed: 2 },
        // The job's own request wins over the executor's defaults (1 CPU, 2Gi).
        resources: { cpu: '2', memory: '3Gi' },
      })
      .expect(202);
    const tuned = await app.waitForJob(fine.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(tuned.status, 'succeeded', tuned.error ?? '');
    assert.equal(tuned.externalId, jobName(fine.body.id, 1));
    const k8sJob = k.cluster.api.get('jobs', NS, jobName(fine.body.id, 1));
    const container = (
      k8sJob?.spec?.template as {
        spec: { containers: { resources: { requests: Record<string, string> } }[] };
      }
    ).spec.containers[0];
    assert.deepEqual(container.resources.requests, { cpu: '2', memory: '3Gi' });
    const model = (await app.get(`/v1/models/${tuned.result?.modelId}`).expect(200)).body;
    // Written by the pod's worker into the shared database and artifact store.
    assert.deepEqual(model.lineage, {
      baseModelId: base,
      datasetId: dataset,
      method: 'l2sp',
      jobId: fine.body.id,
    });
    const metrics = (await app.get(`/v1/jobs/${fine.body.id}/metrics?name=loss`).expect(200)).body;
    assert.equal(metrics.length, 1);
  });
});
