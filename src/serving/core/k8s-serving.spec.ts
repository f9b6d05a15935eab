import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { KUBERNETES_EXECUTOR_DEFAULTS } from '../../deploy/kubernetes-config';
import {
  buildServingDeployment,
  buildServingService,
  servingObjectName,
  servingSelector,
} from './k8s-serving';

const ID = '0d6f2f0e-6c55-4a5e-9d43-1f1b7f2e9a10';
const d = {
  id: ID,
  projectId: 'a1b2c3d4-0000-4000-8000-000000000001',
  name: 'cnn',
  instances: 3,
  generation: 4,
};

describe('Kubernetes form of a deployment', () => {
  test('a valid apps/v1 Deployment of the worker image, replicas = instances', () => {
    const m = buildServingDeployment(d, KUBERNETES_EXECUTOR_DEFAULTS);
    new Deployment(m as unknown as ConstructorParameters<typeof Deployment>[0]).validate();
    assert.equal(m.metadata.name, `autodl-dep-${ID}`);
    assert.ok(m.metadata.name.length <= 63);
    assert.equal(m.spec.replicas, 3);
    assert.equal(m.metadata.annotations?.['autodl.io/generation'], '4');
    const c = m.spec.template.spec.containers[0];
    assert.deepEqual(c.command, ['node', 'bin/autodl.js', 'serve-deployment', '--id', ID]);
    assert.equal(c.image, 'ghcr.io/autodl/autodl:latest');
    assert.deepEqual(c.resources, {
      requests: { cpu: '1', memory: '2Gi' },
      limits: { memory: '2Gi' },
    });
    assert.equal(m.spec.template.spec.restartPolicy, 'Always');
    // The selector picks the template's pods, and the managed selector finds the Deployment.
    for (const [k, v] of Object.entries(m.spec.selector.matchLabels)) {
      assert.equal(m.spec.template.metadata.labels[k], v);
    }
    assert.equal(
      servingSelector('autodl'),
      'app.kubernetes.io/managed-by=autodl-serving,app.kubernetes.io/instance=autodl',
    );
    assert.equal(m.metadata.labels['app.kubernetes.io/managed-by'], 'autodl-serving');
  });

  test('GPU requests and the serving kind resources come from the executor config', () => {
    const m = buildServingDeployment(d, {
      ...KUBERNETES_EXECUTOR_DEFAULTS,
      kindResources: { serving: { gpu: 1, memory: '4Gi' } },
    });
    const pod = m.spec.template.spec;
    assert.equal(pod.containers[0].resources?.limits?.['nvidia.com/gpu'], '1');
    assert.ok(pod.tolerations?.some((t) => t.key === 'nvidia.com/gpu'));
  });

  test('a ClusterIP Service in front, named as a DNS-1035 label', () => {
    const s = buildServingService(d, KUBERNETES_EXECUTOR_DEFAULTS);
    new Service(s as unknown as ConstructorParameters<typeof Service>[0]).validate();
    assert.match(servingObjectName(ID), /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    assert.deepEqual(s.spec.selector, { 'autodl.io/deployment-id': ID });
    assert.deepEqual(s.spec.ports, [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    ]);
  });
});
