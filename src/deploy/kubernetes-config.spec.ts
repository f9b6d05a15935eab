/** Configuration: named defaults, and a refusal that names the variable (house rule). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadServiceConfig } from '../capability-config';
import { ConfigError } from '../platform/config/app-config';
import { kubeconfigYaml } from '../../test/k8s/kubeconfig';
import { loadKubeConfig } from './kube-connection';
import {
  KUBERNETES_CONFIG_SECTION,
  KUBERNETES_EXECUTOR_DEFAULTS,
  loadKubernetesExecutorConfig,
} from './kubernetes-config';

describe('loadKubernetesExecutorConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    const { leaderIdentity, ...rest } = loadKubernetesExecutorConfig({});
    const { leaderIdentity: _none, ...defaults } = KUBERNETES_EXECUTOR_DEFAULTS;
    assert.deepEqual(rest, defaults);
    // Per process: the host (or pod) name and a random suffix, as client-go's examples do.
    assert.match(leaderIdentity, /^.+_[0-9a-f]{8}$/);
  });

  test('leader election: the pod name in the identity; unsafe lease timings are refused', () => {
    const c = loadKubernetesExecutorConfig({ POD_NAME: 'autodl-api-7d9f-x2' });
    assert.match(c.leaderIdentity, /^autodl-api-7d9f-x2_[0-9a-f]{8}$/);
    assert.notEqual(
      c.leaderIdentity,
      loadKubernetesExecutorConfig({ POD_NAME: 'autodl-api-7d9f-x2' }).leaderIdentity,
    );
    assert.equal(
      loadKubernetesExecutorConfig({ AUTODL_K8S_LEADER_ELECTION: 'false' }).leaderElection,
      false,
    );
    assert.throws(
      () =>
        loadKubernetesExecutorConfig({
          AUTODL_K8S_LEASE_DURATION_SECONDS: '10',
          AUTODL_K8S_LEASE_RENEW_DEADLINE_SECONDS: '10',
        }),
      /AUTODL_K8S_LEASE_DURATION_SECONDS.*leaseDurationSeconds must be greater than renewDeadlineSeconds/,
    );
  });

  test('reads values, JSON maps and the pod namespace', () => {
    const c = loadKubernetesExecutorConfig({
      POD_NAMESPACE: 'ml',
      AUTODL_K8S_IMAGE: 'registry.local:5000/autodl:0.1.0-gpu',
      AUTODL_K8S_GPU_NODE_SELECTOR: '{"accelerator":"a100"}',
      AUTODL_K8S_KIND_RESOURCES: '{"finetune":{"gpu":1,"memory":"16Gi"}}',
      AUTODL_K8S_MAX_GPUS_PER_PROJECT: '8',
    });
    assert.equal(c.namespace, 'ml');
    assert.equal(c.image, 'registry.local:5000/autodl');
    assert.equal(c.imageTag, '0.1.0-gpu');
    assert.equal(
      loadKubernetesExecutorConfig({ AUTODL_K8S_IMAGE: 'autodl', AUTODL_K8S_IMAGE_TAG: 'x1' })
        .imageTag,
      'x1',
    );
    assert.deepEqual(c.gpuNodeSelector, { accelerator: 'a100' });
    assert.deepEqual(c.kindResources, { finetune: { gpu: 1, memory: '16Gi' } });
    assert.equal(c.maxGpusPerProject, 8);
  });

  test('invalid values are refused with the variable name', () => {
    assert.throws(
      () => loadKubernetesExecutorConfig({ AUTODL_K8S_MAX_CONCURRENT_JOBS: '0' }),
      /AUTODL_K8S_MAX_CONCURRENT_JOBS="0"/,
    );
    assert.throws(
      () => loadKubernetesExecutorConfig({ AUTODL_K8S_NAMESPACE: 'Bad_NS' }),
      /AUTODL_K8S_NAMESPACE/,
    );
    assert.throws(
      () => loadKubernetesExecutorConfig({ AUTODL_K8S_MEMORY: '2 GB' }),
      /AUTODL_K8S_MEMORY="2 GB".*quantity/,
    );
    assert.throws(
      () => loadKubernetesExecutorConfig({ AUTODL_K8S_TOLERATIONS: '{' }),
      /AUTODL_K8S_TOLERATIONS.*JSON/,
    );
    assert.throws(
      () => loadKubernetesExecutorConfig({ AUTODL_K8S_KIND_RESOURCES: '{"finetune":{"gpu":-1}}' }),
      /AUTODL_K8S_KIND_RESOURCES/,
    );
  });
});

describe('AUTODL_EXECUTOR=kubernetes in the app configuration', () => {
  test('loadServiceConfig carries the executor settings and KUBECONFIG; a bad one is a ConfigError naming it', () => {
    const local = loadServiceConfig({});
    assert.equal(
      local.sections.get(KUBERNETES_CONFIG_SECTION),
      null,
      'the local executor reads no AUTODL_K8S_* variable',
    );
    const k = loadServiceConfig({
      AUTODL_EXECUTOR: 'kubernetes',
      AUTODL_HOME: '/srv/autodl',
      KUBECONFIG: '/etc/kube/a.yaml:/etc/kube/b.yaml',
      AUTODL_K8S_MAX_JOBS_PER_PROJECT: '3',
    }).sections.get(KUBERNETES_CONFIG_SECTION);
    assert.equal(k?.maxJobsPerProject, 3);
    assert.equal(k?.kubeconfig, '/etc/kube/a.yaml:/etc/kube/b.yaml');
    // Worker pods mount the artifact volume where the API keeps its home.
    assert.equal(k?.autodlHome, '/srv/autodl');
    assert.throws(
      () => loadServiceConfig({ AUTODL_EXECUTOR: 'kubernetes', AUTODL_K8S_CPU: 'lots' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.variable === 'AUTODL_K8S_CPU' &&
        /invalid configuration: AUTODL_K8S_CPU must be a Kubernetes quantity/.test(e.message),
    );
  });
});

describe('loadKubeConfig', () => {
  test('merges the files of a KUBECONFIG list; the first file chooses the context (as kubectl)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-kubeconfig-'));
    try {
      const a = path.join(dir, 'a.yaml');
      const b = path.join(dir, 'b.yaml');
      fs.writeFileSync(a, kubeconfigYaml('http://127.0.0.1:1111', 'team-a'));
      fs.writeFileSync(
        b,
        kubeconfigYaml('http://127.0.0.1:2222', 'team-b')
          .replace(/name: fake/g, 'name: other')
          .replace(/cluster: fake/g, 'cluster: other')
          .replace(/current-context: fake/, 'current-context: other')
          .replace(/autodl-executor/g, 'someone'),
      );
      const kc = loadKubeConfig([a, b].join(path.delimiter));
      assert.equal(kc.getCurrentCluster()?.server, 'http://127.0.0.1:1111');
      assert.deepEqual(
        kc.getClusters().map((c) => c.server),
        ['http://127.0.0.1:1111', 'http://127.0.0.1:2222'],
      );
      assert.equal(loadKubeConfig(b).getCurrentCluster()?.server, 'http://127.0.0.1:2222');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
