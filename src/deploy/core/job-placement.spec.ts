/**
 * Placement and Indexed Jobs in the Job builder, against the Kubernetes OpenAPI schema
 * (kubernetes-models, io.k8s.api.batch.v1.Job) and the documented Indexed Job rules
 * (kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode and
 * #backoff-limit-per-index): `completionMode: Indexed` needs `completions`; backoffLimitPerIndex
 * needs Indexed and restartPolicy Never; pods then read JOB_COMPLETION_INDEX.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { KUBERNETES_EXECUTOR_DEFAULTS } from '../kubernetes-config';
import { buildJobManifest, jobNamespace, type JobSpecConfig, type JobToDispatch } from './job-spec';

const config: JobSpecConfig = {
  ...KUBERNETES_EXECUTOR_DEFAULTS,
  namespace: 'autodl',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  placementNamespaces: ['site-a', 'site-b'],
  siteClaimName: 'site-data',
};

const job: JobToDispatch = {
  id: '3f2c8a1e-5b7d-4c9e-8f10-1a2b3c4d5e6f',
  projectId: 'b7e1c0de-0000-4000-8000-000000000001',
  kind: 'federation-site',
  attempt: 1,
};

const validate = (m: unknown) => new Job(m as ConstructorParameters<typeof Job>[0]).validate();

describe('buildJobManifest: placement and Indexed Jobs', () => {
  test('no placement: the executor namespace, one pod, backoffLimit 0, the artifacts claim', () => {
    const m = buildJobManifest(job, config);
    assert.equal(m.metadata.namespace, 'autodl');
    assert.equal(m.spec.backoffLimit, 0);
    assert.equal(m.spec.completionMode, undefined);
    assert.equal(m.spec.completions, undefined);
    assert.deepEqual(m.spec.template.spec.volumes?.[0].persistentVolumeClaim, {
      claimName: 'autodl-artifacts',
    });
  });

  test('a placement of one pod: its namespace, its nodeSelector over the executor’s, the site claim read-only', () => {
    const m = buildJobManifest(
      {
        ...job,
        placement: { namespace: 'site-a', nodeSelector: { pool: 'site-a' }, completions: 1 },
      },
      config,
    );
    validate(m);
    assert.equal(m.metadata.namespace, 'site-a');
    assert.equal(jobNamespace({ placement: null }, config), 'autodl');
    assert.deepEqual(m.spec.template.spec.nodeSelector, {
      'kubernetes.io/os': 'linux',
      pool: 'site-a',
    });
    assert.equal(m.spec.backoffLimit, 0);
    assert.equal(m.spec.completionMode, undefined, 'one pod: not Indexed');
    assert.deepEqual(m.spec.template.spec.volumes?.[0].persistentVolumeClaim, {
      claimName: 'site-data',
      readOnly: true,
    });
    assert.equal(m.spec.template.spec.containers[0].volumeMounts?.[0].readOnly, true);
    assert.deepEqual(m.spec.template.spec.containers[0].command, [
      'node',
      'dist/worker.js',
      'run',
      job.id,
    ]);
  });

  test('N pods at once: completionMode Indexed, completions = parallelism = N, backoffLimitPerIndex 0, run-index', () => {
    const m = buildJobManifest(
      { ...job, placement: { namespace: 'site-b', nodeSelector: {}, completions: 3 } },
      config,
    );
    validate(m);
    assert.equal(m.spec.completionMode, 'Indexed');
    assert.equal(m.spec.completions, 3);
    assert.equal(m.spec.parallelism, 3);
    assert.equal(m.spec.backoffLimitPerIndex, 0);
    // backoffLimit left to the API server (MaxInt32 with backoffLimitPerIndex): 0 would fail the
    // whole Job at the first failed index, killing the other sites' pods.
    assert.equal(m.spec.backoffLimit, undefined);
    assert.equal(m.spec.template.spec.restartPolicy, 'Never', 'backoffLimitPerIndex needs Never');
    assert.deepEqual(m.spec.template.spec.containers[0].command, [
      'node',
      'dist/worker.js',
      'run-index',
      job.id,
    ]);
  });

  test('the schema check is not vacuous: an unknown completionMode is refused', () => {
    const m = buildJobManifest(
      { ...job, placement: { namespace: 'site-b', nodeSelector: {}, completions: 2 } },
      config,
    );
    const broken = JSON.parse(JSON.stringify(m));
    broken.spec.completionMode = 'Sideways';
    assert.throws(() => validate(broken));
  });

  test('a namespace outside AUTODL_K8S_PLACEMENT_NAMESPACES, or zero pods, is refused', () => {
    assert.throws(
      () =>
        buildJobManifest(
          { ...job, placement: { namespace: 'kube-system', nodeSelector: {}, completions: 1 } },
          config,
        ),
      /kube-system is not a placement namespace/,
    );
    assert.throws(
      () =>
        buildJobManifest(
          { ...job, placement: { namespace: 'site-a', nodeSelector: {}, completions: 0 } },
          config,
        ),
      /completions must be a positive integer/,
    );
  });
});
