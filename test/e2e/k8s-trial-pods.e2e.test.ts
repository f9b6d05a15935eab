/**
 * Trials in their own image and placed trials, on the Kubernetes executor against the test API
 * server (test/k8s/kubernetes-app.ts). A study with `runner.image` gets, per trial, one pod with
 * the user's container (the wrapper of src/platform/core/trial-container.ts) and the worker as
 * its collector (Katib's file metrics collector); the scripted controller runs both containers
 * as local processes with the emptyDir as a temporary directory. The values are the command's
 * (the quadratic of k8s-capabilities.e2e.test.ts); a pruned trial's user process is stopped
 * (Optuna's MedianPruner: a later trial reporting 10 against a median of 1 is pruned at once).
 * A study's `placement` puts its trial Jobs in an allowed namespace with its nodeSelector.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jobName } from '../../src/deploy/core/job-spec';
import { waitFor } from '../k8s/harness';
import { NS, startKubernetesTestApp, type KubernetesTestApp } from '../k8s/kubernetes-app';
import type { JobBody } from '../support/app';

const PLACED = 'trials-a';
const QUADRATIC = [
  process.execPath,
  '-e',
  `const x = Number(process.argv[1].split('=')[1]);
   const y = JSON.parse(process.env.AUTODL_TRIAL_PARAMS).y;
   console.log('loss=' + ((x - 2) ** 2 + (y + 1) ** 2));`,
  'x=${x}',
];
const SPACE = { x: { type: 'float', low: -5, high: 5 }, y: { type: 'float', low: -5, high: 5 } };

interface TrialBody {
  state: string;
  params: { x: number; y: number };
  values: number[] | null;
  intermediate: { step: number; values: number[] }[];
}

describe('trial pods on the kubernetes executor (trial image, placement)', () => {
  let k: KubernetesTestApp;
  let tmp: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-trial-pods-'));
    const placement = { AUTODL_K8S_PLACEMENT_NAMESPACES: PLACED };
    k = await startKubernetesTestApp(placement, placement);
  });
  after(async () => {
    await k?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const trialsOf = async (studyId: string) =>
    (await k.app.get(`/v1/studies/${studyId}/trials`).expect(200)).body.items as TrialBody[];
  const childrenOf = async (driverId: string) =>
    (
      (await k.app.get('/v1/jobs?kind=trial-command&limit=50').expect(200)).body.items as JobBody[]
    ).filter((j) => j.parentId === driverId);

  test('a study with an image and a placement: each trial pod runs the user container and the collector in the placement namespace; the values are the command’s', async () => {
    const { app, cluster } = k;
    const body = {
      name: 'quadratic-image',
      space: SPACE,
      metrics: ['loss'],
      sampler: { name: 'random', settings: { seed: 7 } },
      budget: { nTrials: 2, parallelism: 2 },
      runner: { type: 'command', command: QUADRATIC, image: 'python:3.12-slim' },
      placement: { namespace: PLACED, nodeSelector: { pool: 'trials' } },
    };
    // Outside the allow-list, or a malformed image: refused before anything is written.
    const before = (await app.get('/v1/studies?limit=100').expect(200)).body.total as number;
    const refused = await app
      .post('/v1/studies', { ...body, placement: { namespace: 'kube-system' } })
      .expect(422);
    assert.equal(refused.body.errors[0].field, 'placement.namespace');
    assert.match(refused.body.detail, /kube-system is not a placement namespace/);
    const badImage = await app
      .post('/v1/studies', { ...body, runner: { ...body.runner, image: 'Not An Image' } })
      .expect(400);
    assert.equal(badImage.body.errors[0].field, 'runner.image');
    assert.equal((await app.get('/v1/studies?limit=100').expect(200)).body.total, before);

    const created = await app.post('/v1/studies', body).expect(202);
    const driver = await app.waitForJob(created.body.jobId, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(driver.status, 'succeeded', driver.error ?? '');
    assert.ok(cluster.api.get('jobs', NS, jobName(created.body.jobId, 1)), 'the driver stays home');
    const trials = await trialsOf(created.body.id);
    assert.equal(trials.length, 2);
    for (const t of trials) {
      assert.equal(t.state, 'complete');
      const expected = (t.params.x - 2) ** 2 + (t.params.y + 1) ** 2;
      assert.ok(Math.abs((t.values as number[])[0] - expected) < 1e-9);
    }
    for (const child of await childrenOf(created.body.jobId)) {
      assert.equal(child.status, 'succeeded');
      const job = cluster.api.get('jobs', PLACED, jobName(child.id, 1));
      assert.ok(job, 'the trial Job is in the placement namespace');
      const pod = (
        job.spec?.template as {
          spec: {
            nodeSelector?: Record<string, string>;
            containers: { name: string; image: string }[];
          };
        }
      ).spec;
      assert.equal(pod.nodeSelector?.pool, 'trials');
      assert.deepEqual(
        pod.containers.map((c) => [c.name, c.image]),
        [
          ['worker', 'registry.example/autodl:e2e'],
          ['trial', 'python:3.12-slim'],
        ],
      );
      // The user's output is in its own container's log, as `kubectl logs -c trial` shows it.
      const [p] = cluster.api.list('pods', PLACED, `job-name=${jobName(child.id, 1)}`);
      assert.match(cluster.api.logOf(PLACED, p.metadata.name, 'trial'), /^loss=\d/m);
    }
  });

  test('pruning stops the user container’s process', async () => {
    const pidFile = path.join(tmp, 'pruned.pid');
    // Trial 0 reports 1 at 5 steps and ends; trial 1 reports 10 forever (only a stop ends it).
    const script = `const bad = process.env.AUTODL_TRIAL_NUMBER !== '0';
      if (bad) require('fs').writeFileSync(process.env.PID_FILE, String(process.pid));
      let s = 0;
      const t = setInterval(() => {
        console.log('step=' + s + ' loss=' + (bad ? 10 : 1));
        if (++s === 5 && !bad) { clearInterval(t); console.log('loss=1'); }
      }, 50);`;
    const created = await k.app
      .post('/v1/studies', {
        name: 'pruned-image',
        space: SPACE,
        metrics: ['loss'],
        sampler: { name: 'random', settings: { seed: 3 } },
        pruner: { name: 'median', settings: { nStartupTrials: 1 } },
        budget: { nTrials: 2, parallelism: 1 },
        runner: {
          type: 'command',
          command: [process.execPath, '-e', script],
          env: { PID_FILE: pidFile },
          image: 'node:20-alpine',
        },
      })
      .expect(202);
    const driver = await k.app.waitForJob(created.body.jobId, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(driver.status, 'succeeded', driver.error ?? '');
    const [first, second] = await trialsOf(created.body.id);
    assert.equal(first.state, 'complete');
    assert.equal(second.state, 'pruned');
    assert.deepEqual(second.intermediate[0], { step: 0, values: [10] });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor(
      'the pruned trial’s process to be gone',
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      30_000,
    );
  });
});
