/** Configuration: named defaults, and a refusal that names the variable (house rule). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KUBERNETES_EXECUTOR_DEFAULTS, loadKubernetesExecutorConfig } from './kubernetes-config';

describe('loadKubernetesExecutorConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    assert.deepEqual(loadKubernetesExecutorConfig({}), KUBERNETES_EXECUTOR_DEFAULTS);
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
