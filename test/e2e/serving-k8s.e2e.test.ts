import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KUBERNETES_EXECUTOR_DEFAULTS } from '../../src/deploy/kubernetes-config';
import { QueueFullError } from '../../src/serving/core/serving-errors';
import { KubernetesDeploymentHost } from '../../src/serving/hosts/kubernetes-deployment-host';
import {
  type DeploymentServer,
  startDeploymentServer,
} from '../../src/serving/pod/deployment-server';
import { kubeConfigFor } from '../k8s/kubeconfig';
import { NS, startKubernetesTestApp, type KubernetesTestApp } from '../k8s/kubernetes-app';

/**
 * Issue 17, the Kubernetes form of a deployment against the test API server: the API with the
 * kubernetes executor writes a Deployment (replicas = instances) and a Service, validated by the
 * fake's OpenAPI schemas; PATCH scales the Deployment in place; DELETE removes both. The pod's
 * entry (`autodl serve-deployment`, startDeploymentServer) runs here as the kubelet would, and the
 * host's forwarding reaches it, shedding included.
 */
const pixels = (k: number) => Array.from({ length: 64 }, (_, i) => ((i * 5 + k * 11) % 13) / 13);

describe('deployments on Kubernetes (test API server, real database)', () => {
  let k: KubernetesTestApp;
  let id: string;
  let server: DeploymentServer | undefined;
  const name = () => `autodl-dep-${id}`;
  const objects = () => ({
    deployment: k.cluster.api.deployments.get('deployments', NS, name()),
    service: k.cluster.api.deployments.get('services', NS, name()),
  });
  const patch = (body: unknown) =>
    k.app.http
      .patch(`/v1/deployments/${id}`)
      .set('Authorization', `Bearer ${k.app.key}`)
      .send(body as object);

  before(async () => {
    k = await startKubernetesTestApp();
    await k.app
      .post('/v1/models', {
        name: 'k8s-base',
        architecture: 'small-cnn',
        inputShape: [8, 8, 1],
        classNames: ['a', 'b', 'c'],
        seed: 5,
      })
      .expect(201);
  });
  after(async () => {
    await server?.close();
    await k?.close();
  });

  test('POST creates a Deployment and a Service of the worker image', async () => {
    const res = await k.app
      .post('/v1/deployments', {
        model: 'k8s-base',
        name: 'cnn',
        instances: 2,
        batch: { maxSize: 4, maxDelayMs: 3 },
      })
      .expect(201);
    id = res.body.id;
    assert.equal(res.body.status.state, 'starting');
    assert.deepEqual(res.body.status.replicas, { desired: 2, ready: 0 });
    const { deployment, service } = objects();
    assert.ok(deployment && service);
    const spec = deployment.spec as {
      replicas: number;
      strategy: { rollingUpdate: { maxUnavailable: number } };
      template: {
        metadata: { labels: Record<string, string> };
        spec: {
          restartPolicy: string;
          containers: {
            image: string;
            command: string[];
            env: { name: string; value?: string; valueFrom?: unknown }[];
            readinessProbe: { httpGet: { path: string } };
          }[];
        };
      };
    };
    assert.equal(spec.replicas, 2);
    assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
    assert.equal(spec.template.spec.restartPolicy, 'Always');
    const c = spec.template.spec.containers[0];
    assert.equal(c.image, 'registry.example/autodl:e2e');
    assert.deepEqual(c.command, ['node', 'bin/autodl.js', 'serve-deployment', '--id', id]);
    assert.ok(c.env.some((e) => e.name === 'DATABASE_URL' && e.valueFrom));
    assert.ok(c.env.some((e) => e.name === 'PORT' && e.value === '8080'));
    assert.ok(!c.env.some((e) => e.name.startsWith('AUTODL_JOB_')));
    assert.equal(c.readinessProbe.httpGet.path, '/healthz');
    assert.equal(deployment.metadata.annotations?.['autodl.io/generation'], '1');
    assert.equal(spec.template.metadata.labels['autodl.io/deployment-id'], id);
    assert.deepEqual((service.spec as { selector: unknown }).selector, {
      'autodl.io/deployment-id': id,
    });
  });

  test('readiness shows in the status; PATCH scales the same Deployment', async () => {
    k.cluster.api.deployments.setReadyReplicas(NS, name(), 2);
    const got = (await k.app.get(`/v1/deployments/${id}`).expect(200)).body;
    assert.equal(got.status.state, 'running');
    assert.deepEqual(got.status.replicas, { desired: 2, ready: 2 });
    const uid = objects().deployment?.metadata.uid;
    const scaled = await patch({ instances: 3 }).expect(200);
    assert.equal(scaled.body.instances, 3);
    const { deployment } = objects();
    assert.equal((deployment?.spec as { replicas: number }).replicas, 3);
    assert.equal(deployment?.metadata.uid, uid, 'replaced in place, not recreated');
    assert.equal(deployment?.metadata.annotations?.['autodl.io/generation'], '2');
  });

  test('the pod entry serves the row and follows its batching; forwarding maps shedding', async () => {
    server = await startDeploymentServer({
      databaseUrl: k.app.databaseUrl,
      home: k.app.home,
      id,
      port: 0,
      host: '127.0.0.1',
      backend: 'cpu',
      pollMs: 100,
    });
    const url = server.url;
    const host = new KubernetesDeploymentHost({
      kubeConfig: kubeConfigFor(k.cluster.api.url, NS),
      config: { ...KUBERNETES_EXECUTOR_DEFAULTS, namespace: NS },
      endpoint: () => url,
    });
    const r = await host.predict(id, Float32Array.from(pixels(1)));
    assert.equal(r.output.length, 3);
    assert.ok(Math.abs(r.output.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'softmax row');
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.match(
      await (await fetch(`${url}/metrics`)).text(),
      /autodl_serving_requests_total\{deployment="[^"]+",name="cnn"\} 1/,
    );

    await patch({ batch: { maxSize: 1, maxDelayMs: 0 }, queue: { capacity: 1 } }).expect(200);
    const deadline = Date.now() + 30_000;
    while (server.runtime.metrics().config.queue.capacity !== 1 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(server.runtime.metrics().config.batch.maxSize, 1);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => host.predict(id, Float32Array.from(pixels(i)))),
    );
    const shed = outcomes.filter((o) => o.status === 'rejected');
    assert.ok(shed.length > 0);
    for (const s of shed) assert.ok((s as PromiseRejectedResult).reason instanceof QueueFullError);
  });

  test('DELETE removes the Deployment and the Service', async () => {
    await k.app.http
      .delete(`/v1/deployments/${id}`)
      .set('Authorization', `Bearer ${k.app.key}`)
      .expect(204);
    const { deployment, service } = objects();
    assert.equal(deployment, undefined);
    assert.equal(service, undefined);
  });
});
