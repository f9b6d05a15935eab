/**
 * The trial pod of a study with a runner image, against the Kubernetes OpenAPI schema
 * (kubernetes-models, io.k8s.api.batch.v1.Job) and Pod Security `restricted` (every container
 * non-root, no privilege escalation, all capabilities dropped), with Katib's split of a trial pod
 * (kubeflow/katib, pkg/webhook/v1beta1/pod: the user's container keeps the trial's resources, the
 * metrics collector is a small sidecar sharing a volume with it).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { TRIAL_DIR, TRIAL_WRAPPER } from '../../platform/core/trial-container';
import { KUBERNETES_EXECUTOR_DEFAULTS } from '../kubernetes-config';
import { buildJobManifest, type JobSpecConfig, type JobToDispatch } from './job-spec';
import { COLLECTOR_RESOURCES, TRIAL_CONTAINER, TRIAL_VOLUME } from './trial-pod';

const config: JobSpecConfig = {
  ...KUBERNETES_EXECUTOR_DEFAULTS,
  namespace: 'autodl',
  placementNamespaces: ['trials-a'],
  kindResources: { 'trial-command': { gpu: 1, memory: '8Gi' } },
};

const job: JobToDispatch = {
  id: '3f2c8a1e-5b7d-4c9e-8f10-1a2b3c4d5e6f',
  projectId: 'b7e1c0de-0000-4000-8000-000000000001',
  kind: 'trial-command',
  attempt: 1,
  trialImage: 'ghcr.io/me/train:v1',
};

const validate = (m: unknown) => new Job(m as ConstructorParameters<typeof Job>[0]).validate();
const env = (c: { env?: { name: string; value?: string }[] }, name: string) =>
  c.env?.find((e) => e.name === name)?.value;

describe('buildJobManifest: a trial in its own image', () => {
  test('two containers sharing an emptyDir: the worker collects, the user image runs the wrapper', () => {
    const m = buildJobManifest(job, config);
    validate(m);
    const pod = m.spec.template.spec;
    const [worker, trial] = pod.containers;
    assert.equal(worker.name, 'worker');
    assert.deepEqual(worker.command, ['node', 'dist/worker.js', 'run', job.id]);
    assert.equal(trial.name, TRIAL_CONTAINER);
    assert.equal(trial.image, 'ghcr.io/me/train:v1');
    assert.deepEqual(trial.command, ['sh', '-c', TRIAL_WRAPPER]);
    assert.deepEqual(
      pod.volumes?.find((v) => v.name === TRIAL_VOLUME),
      { name: TRIAL_VOLUME, emptyDir: {} },
    );
    for (const c of [worker, trial]) {
      assert.ok(c.volumeMounts?.some((v) => v.name === TRIAL_VOLUME && v.mountPath === TRIAL_DIR));
      assert.equal(env(c, 'AUTODL_TRIAL_POD_DIR'), TRIAL_DIR);
      assert.deepEqual(c.securityContext, {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
    }
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  test("the trial's resources (its GPU) go to the user's container, the collector stays small", () => {
    const [worker, trial] = buildJobManifest(job, config).spec.template.spec.containers;
    assert.deepEqual(trial.resources, {
      requests: { cpu: '1', memory: '8Gi', 'nvidia.com/gpu': '1' },
      limits: { memory: '8Gi', 'nvidia.com/gpu': '1' },
    });
    assert.equal(env(trial, 'NVIDIA_VISIBLE_DEVICES'), undefined);
    assert.deepEqual(worker.resources, COLLECTOR_RESOURCES);
    assert.equal(env(worker, 'NVIDIA_VISIBLE_DEVICES'), 'void', 'the GPU is not the collector’s');
  });

  test("a study's runner.resources (the trial job's own request) win over the kind's defaults", () => {
    const own = { ...job, resources: { gpu: 2, memory: '32Gi', gpuType: 'NVIDIA-A100-SXM4-40GB' } };
    const m = buildJobManifest(own, config);
    validate(m);
    const [, trial] = m.spec.template.spec.containers;
    assert.equal(trial.resources?.limits?.['nvidia.com/gpu'], '2');
    assert.equal(trial.resources?.limits?.memory, '32Gi');
    assert.equal(
      Object.values(m.spec.template.spec.nodeSelector ?? {}).includes('NVIDIA-A100-SXM4-40GB'),
      true,
    );
  });

  test('no credentials in the user container: no Secret, ConfigMap or artifact volume', () => {
    const [worker, trial] = buildJobManifest(job, config).spec.template.spec.containers;
    assert.ok(worker.env?.some((e) => e.name === 'DATABASE_URL'));
    assert.equal(trial.envFrom, undefined);
    assert.deepEqual(
      trial.env?.map((e) => e.name),
      ['AUTODL_TRIAL_POD_DIR'],
    );
    assert.deepEqual(
      trial.volumeMounts?.map((v) => v.name),
      [TRIAL_VOLUME],
    );
  });

  test('with a placement: the namespace and nodeSelector of the study, same two containers', () => {
    const m = buildJobManifest(
      { ...job, placement: { namespace: 'trials-a', nodeSelector: { pool: 'a' }, completions: 1 } },
      config,
    );
    validate(m);
    assert.equal(m.metadata.namespace, 'trials-a');
    assert.equal(m.spec.template.spec.nodeSelector?.pool, 'a');
    assert.equal(m.spec.template.spec.containers.length, 2);
  });

  test('a malformed image reference is refused (the job fails with the reason)', () => {
    assert.throws(
      () => buildJobManifest({ ...job, trialImage: 'Not An Image' }, config),
      /not an image reference/,
    );
  });
});
