/**
 * The Job builder against the Kubernetes OpenAPI schema (kubernetes-models validation of
 * io.k8s.api.batch.v1.Job) and the documented rules it must follow: extended resources such
 * as nvidia.com/gpu need request == limit (kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus),
 * object names are RFC 1123 labels of at most 63 characters, label values at most 63.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { KUBERNETES_EXECUTOR_DEFAULTS } from '../kubernetes-config';
import {
  buildJobManifest,
  jobName,
  resolveResources,
  type JobSpecConfig,
  type JobToDispatch,
  wholeCores,
} from './job-spec';

const config: JobSpecConfig = {
  ...KUBERNETES_EXECUTOR_DEFAULTS,
  image: 'registry.example.com/autodl',
  imageTag: '1.2.3',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  gpuNodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-tesla-t4' },
  priorityClassName: 'autodl-batch',
  kindResources: { finetune: { gpu: 1, memory: '8Gi' }, simulate: { cpu: '500m' } },
};
function validateJob(manifest: unknown): void {
  new Job(manifest as ConstructorParameters<typeof Job>[0]).validate();
}

const job: JobToDispatch = {
  id: '3f2c8a1e-5b7d-4c9e-8f10-1a2b3c4d5e6f',
  projectId: 'b7e1c0de-0000-4000-8000-000000000001',
  kind: 'finetune',
  attempt: 2,
};

describe('buildJobManifest', () => {
  test('produces a batch/v1 Job that passes OpenAPI schema validation (kubernetes-models)', () => {
    for (const kind of ['finetune', 'simulate', 'search']) {
      const manifest = buildJobManifest({ ...job, kind }, config);
      assert.doesNotThrow(() => validateJob(manifest));
    }
  });

  test('the schema validation used here rejects a malformed Job (the check is not vacuous)', () => {
    const manifest = buildJobManifest(job, config);
    const broken = JSON.parse(JSON.stringify(manifest));
    broken.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'] = 'one';
    assert.throws(() => validateJob(broken), /quantity/);
  });

  test('worker command, image, restart policy, retries and lifetimes', () => {
    const m = buildJobManifest(job, config);
    const c = m.spec.template.spec.containers[0];
    assert.deepEqual(c.command, ['node', 'dist/worker.js', 'run', job.id]);
    assert.equal(c.image, 'registry.example.com/autodl:1.2.3');
    assert.equal(m.spec.template.spec.restartPolicy, 'Never');
    assert.equal(m.spec.backoffLimit, 0);
    assert.equal(m.spec.activeDeadlineSeconds, KUBERNETES_EXECUTOR_DEFAULTS.activeDeadlineSeconds);
    assert.equal(
      m.spec.ttlSecondsAfterFinished,
      KUBERNETES_EXECUTOR_DEFAULTS.ttlSecondsAfterFinished,
    );
    assert.equal(m.metadata.name, `autodl-${job.id}-a2`);
    assert.equal(m.metadata.namespace, 'autodl');
  });

  test('labels: app.kubernetes.io/* and autodl.io/job-id, kind, project on the Job and its pods', () => {
    const m = buildJobManifest(job, config);
    const expected = {
      'app.kubernetes.io/name': 'autodl',
      'app.kubernetes.io/instance': 'autodl',
      'app.kubernetes.io/component': 'worker',
      'app.kubernetes.io/managed-by': 'autodl-kubernetes-executor',
      'autodl.io/job-id': job.id,
      'autodl.io/kind': 'finetune',
      'autodl.io/project': job.projectId,
      'autodl.io/attempt': '2',
    };
    assert.deepEqual(m.metadata.labels, expected);
    assert.deepEqual(m.spec.template.metadata.labels, expected);
  });

  test('GPU jobs: nvidia.com/gpu request == limit, GPU node selector and toleration added', () => {
    const m = buildJobManifest(job, config);
    const pod = m.spec.template.spec;
    const res = pod.containers[0].resources;
    assert.equal(res?.requests?.['nvidia.com/gpu'], '1');
    assert.equal(res?.limits?.['nvidia.com/gpu'], '1');
    assert.equal(res?.requests?.memory, '8Gi');
    assert.deepEqual(pod.nodeSelector, {
      'kubernetes.io/os': 'linux',
      'cloud.google.com/gke-accelerator': 'nvidia-tesla-t4',
    });
    assert.deepEqual(pod.tolerations, [
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    assert.equal(pod.priorityClassName, 'autodl-batch');
  });

  test("a job's gpuType selects nodes by the GPU model label; without GPUs it is refused", () => {
    const a100 = { ...job, resources: { gpu: 2, gpuType: 'NVIDIA-A100-SXM4-40GB' } };
    const m = buildJobManifest(a100, config);
    validateJob(m);
    const pod = m.spec.template.spec;
    assert.equal(pod.nodeSelector?.['nvidia.com/gpu.product'], 'NVIDIA-A100-SXM4-40GB');
    assert.equal(pod.containers[0].resources?.limits?.['nvidia.com/gpu'], '2');
    assert.throws(
      () =>
        buildJobManifest(
          { ...job, kind: 'simulate', resources: { gpuType: 'NVIDIA-A100-SXM4-40GB' } },
          config,
        ),
      /resources\.gpuType "NVIDIA-A100-SXM4-40GB" needs resources\.gpu >= 1/,
    );
  });

  test('CPU jobs: no GPU resource, no GPU placement, and NVIDIA_VISIBLE_DEVICES=void', () => {
    const m = buildJobManifest({ ...job, kind: 'simulate' }, config);
    const pod = m.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.resources?.requests?.['nvidia.com/gpu'], undefined);
    assert.equal(c.resources?.requests?.cpu, '500m');
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal(pod.tolerations, undefined);
    assert.ok(c.env?.some((e) => e.name === 'NVIDIA_VISIBLE_DEVICES' && e.value === 'void'));
    // Half a core requested: training runs on one thread.
    assert.ok(c.env?.some((e) => e.name === 'AUTODL_TRAIN_THREADS' && e.value === '1'));
  });

  test('training threads follow the cores a job requested (whole cores, at least 1)', () => {
    const m = buildJobManifest({ ...job, resources: { cpu: '2500m' } }, config);
    const c = m.spec.template.spec.containers[0];
    assert.ok(c.env?.some((e) => e.name === 'AUTODL_TRAIN_THREADS' && e.value === '2'));
    assert.deepEqual(['2', '1500m', '0.5', '4.0', '250m'].map(wholeCores), [2, 1, 1, 4, 1]);
  });

  test('environment from the ConfigMap and DATABASE_URL from the Secret; artifacts PVC at AUTODL_HOME', () => {
    const m = buildJobManifest(job, config);
    const pod = m.spec.template.spec;
    const c = pod.containers[0];
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'autodl-config' } }]);
    assert.deepEqual(
      c.env?.find((e) => e.name === 'DATABASE_URL'),
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'autodl-secrets', key: 'DATABASE_URL' } },
      },
    );
    assert.deepEqual(
      c.env?.find((e) => e.name === 'AUTODL_HOME'),
      { name: 'AUTODL_HOME', value: '/var/lib/autodl' },
    );
    assert.deepEqual(c.volumeMounts, [
      { name: 'artifacts', mountPath: '/var/lib/autodl/artifacts', subPath: 'artifacts' },
    ]);
    assert.deepEqual(pod.volumes, [
      { name: 'artifacts', persistentVolumeClaim: { claimName: 'autodl-artifacts' } },
    ]);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  test('a worker pod gets one secret only, the database URL its worker needs (docs/security.md)', () => {
    const pod = buildJobManifest(job, config).spec.template.spec;
    const c = pod.containers[0];
    const secretRefs = (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
    assert.deepEqual(
      secretRefs.map((e) => e.name),
      ['DATABASE_URL'],
    );
    assert.ok(!JSON.stringify(c.envFrom).includes('secret'), 'no Secret as a whole');
    assert.ok(!JSON.stringify(pod.volumes).includes('secret'), 'no Secret volume');
    assert.equal(pod.automountServiceAccountToken, false, 'no Kubernetes API token');
    assert.ok(
      !c.volumeMounts?.some((v) => v.mountPath === '/var/lib/autodl' && !v.subPath),
      'the volume root (admin.key) is not mounted',
    );
  });
});

describe('resolveResources', () => {
  test('precedence: job request over kind defaults over global defaults', () => {
    assert.deepEqual(resolveResources({ ...job, kind: 'search' }, config), {
      cpu: '1',
      memory: '2Gi',
      gpu: 0,
    });
    assert.deepEqual(resolveResources(job, config), { cpu: '1', memory: '8Gi', gpu: 1 });
    assert.deepEqual(
      resolveResources({ ...job, resources: { gpu: 2, cpu: undefined, memory: '16Gi' } }, config),
      {
        cpu: '1',
        memory: '16Gi',
        gpu: 2,
      },
    );
  });

  test('refuses bad requests, naming the field and value', () => {
    assert.throws(
      () => resolveResources({ ...job, resources: { gpu: 1.5 } }, config),
      /resources\.gpu .*1\.5/,
    );
    assert.throws(
      () => resolveResources({ ...job, resources: { gpu: 9 } }, config),
      /resources\.gpu 9 exceeds maxGpusPerJob 8/,
    );
    assert.throws(
      () => resolveResources({ ...job, resources: { memory: 'lots' } }, config),
      /resources\.memory "lots"/,
    );
  });
});

describe('jobName', () => {
  test('fits the 63-character label limit for a UUID and any attempt below 10^8', () => {
    assert.ok(jobName(job.id, 99_999_999).length <= 63);
  });

  test('refuses ids that cannot form an RFC 1123 name', () => {
    assert.throws(() => jobName('has space', 1), /job id "has space"/);
  });
});
