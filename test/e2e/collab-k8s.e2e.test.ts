import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { waitFor } from '../k8s/harness';
import { startKubernetesTestApp, type KubernetesTestApp } from '../k8s/kubernetes-app';
import { siteZip } from '../support/collab';

/**
 * Placement "Kubernetes namespace" (docs/collab.md, docs/deploy.md): a federation of 3 sites
 * through the REST API with the Kubernetes executor against the test API server, whose scripted
 * controller runs every pod's command as the real worker. Two sites share namespace site-a and
 * one nodeSelector: one Indexed Job of 2 pods per round and work; the third is alone in site-b.
 */
describe('collaborative learning on Kubernetes: sites in two placement namespaces', () => {
  let k: KubernetesTestApp;
  const datasets: string[] = [];

  before(async () => {
    // The API and its worker pods share the ConfigMap (k8s/overlays/sites): both know the list.
    const allowed = { AUTODL_K8S_PLACEMENT_NAMESPACES: 'site-a,site-b' };
    k = await startKubernetesTestApp(allowed, allowed);
    for (const site of [0, 1, 2]) {
      const res = await k.app.uploadDataset(
        { name: `k8s-${site}`, split: '0.5,0.25,0.25', seed: String(site) },
        siteZip(site, 8),
        `k8s-${site}.zip`,
      );
      assert.equal(res.status, 201, res.text);
      datasets.push(res.body.id);
    }
  });
  after(async () => {
    await k?.close();
  });

  test('one Indexed Job per namespace group with its nodeSelector; the federation finishes', async () => {
    // The namespaces the console's form offers a site: the operator's list.
    assert.deepEqual((await k.app.get('/v1/site-placements').expect(200)).body, {
      namespaces: ['site-a', 'site-b'],
    });
    const res = await k.app
      .post('/v1/federations', {
        architecture: 'small-cnn',
        width: 4,
        sites: [
          {
            name: 'a0',
            dataset: datasets[0],
            placement: { namespace: 'site-a', nodeSelector: { pool: 'a' } },
          },
          {
            name: 'a1',
            dataset: datasets[1],
            placement: { namespace: 'site-a', nodeSelector: { pool: 'a' } },
          },
          {
            name: 'b0',
            dataset: datasets[2],
            placement: { namespace: 'site-b', nodeSelector: { pool: 'b' } },
          },
        ],
        algorithm: 'fedavg',
        epochs: 1,
        learningRate: 0.02,
        optimizer: 'adam',
        batchSize: 4,
      })
      .expect(202);
    const id = res.body.id as string;
    const done = await k.app.waitForJob(
      id,
      (j) => ['succeeded', 'failed'].includes(j.status),
      600_000,
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    const fed = (await k.app.get(`/v1/federations/${id}`).expect(200)).body;
    assert.deepEqual([...fed.rounds[0].accepted].sort(), ['a0', 'a1', 'b0']);
    // Each site's namespace, as the federation's page shows it.
    assert.deepEqual(
      fed.sites.map((s: { name: string; namespace: string | null }) => [s.name, s.namespace]),
      [
        ['a0', 'site-a'],
        ['a1', 'site-a'],
        ['b0', 'site-b'],
      ],
    );

    // The registry's test evaluation covers the namespace-placed sites: each site pod evaluated
    // the final model on its own test split (16 images split 0.5/0.25/0.25: 4 each) and sent back
    // only its confusion matrix; the coordinator's matrix is their sum, entry by entry.
    const db = new Client({ connectionString: k.app.databaseUrl });
    await db.connect();
    const reports = (
      await db.query(
        `SELECT site, report FROM collab_site_work
          WHERE federation_id = $1 AND kind = 'evaluate' AND status = 'done' ORDER BY site`,
        [id],
      )
    ).rows as { site: string; report: { count: number; confusion: number[][] } }[];
    await db.end();
    assert.deepEqual(
      reports.map((r) => [r.site, r.report.count]),
      [
        ['a0', 4],
        ['a1', 4],
        ['b0', 4],
      ],
    );
    const sum = [0, 1].map((t) =>
      [0, 1].map((p) => reports.reduce((a, r) => a + r.report.confusion[t][p], 0)),
    );
    const model = (await k.app.get(`/v1/models/${fed.modelId}`).expect(200)).body;
    const evaluation = (await k.app.get(`/v1/models/${fed.modelId}/evaluation`).expect(200)).body;
    assert.equal(evaluation.count, 12);
    assert.deepEqual(evaluation.confusion, sum);
    assert.ok(Math.abs(evaluation.accuracy - (sum[0][0] + sum[1][1]) / 12) < 1e-9);
    assert.ok(Math.abs(model.testAccuracy - fed.rounds[0].globalAccuracy) < 1e-9);

    type JobObj = {
      metadata: { name: string; labels: Record<string, string> };
      spec: {
        completionMode?: string;
        completions?: number;
        parallelism?: number;
        template: { spec: { nodeSelector?: Record<string, string> } };
      };
      status?: { completedIndexes?: string };
    };
    // The site pods exit after answering: wait (30 s bound) for their Jobs to complete.
    await waitFor(
      'the site Jobs complete',
      () =>
        ['site-a', 'site-b'].every((ns) =>
          k.cluster.api
            .list('jobs', ns)
            .every((j) =>
              (
                (j.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []
              ).some((c) => c.type === 'Complete'),
            ),
        ),
      30_000,
    );
    const inA = k.cluster.api.list('jobs', 'site-a') as unknown as JobObj[];
    const inB = k.cluster.api.list('jobs', 'site-b') as unknown as JobObj[];
    // Round 1: a train and an evaluate job per group.
    assert.equal(inA.length, 2, 'site-a: one Indexed Job per work (train, evaluate)');
    for (const j of inA) {
      assert.equal(j.spec.completionMode, 'Indexed');
      assert.equal(j.spec.completions, 2);
      assert.equal(j.spec.parallelism, 2);
      assert.equal(j.spec.template.spec.nodeSelector?.pool, 'a');
      assert.equal(j.status?.completedIndexes, '0,1');
      assert.equal(j.metadata.labels['autodl.io/kind'], 'federation-site');
    }
    assert.equal(inB.length, 2);
    for (const j of inB) {
      assert.equal(j.spec.completionMode, undefined, 'a group of one: an ordinary Job');
      assert.equal(j.spec.template.spec.nodeSelector?.pool, 'b');
    }
    // Two pods at once for each site-a Job, with indexes 0 and 1.
    const podsA = k.cluster.api.list('pods', 'site-a');
    assert.equal(podsA.length, 4);
    // The coordinator itself ran in the executor's namespace.
    assert.ok(
      k.cluster.api
        .list('jobs', 'autodl')
        .some((j) => j.metadata.labels?.['autodl.io/job-id'] === id),
    );
    // The site jobs' rows: succeeded (Indexed ones finished by the executor from the Job).
    const siteRows = async () =>
      (
        (await k.app.get(`/v1/jobs?limit=100`).expect(200)).body.items as {
          kind: string;
          status: string;
        }[]
      ).filter((j) => j.kind === 'federation-site');
    await waitFor(
      'the site rows final',
      async () => (await siteRows()).every((j) => j.status === 'succeeded'),
      30_000,
    );
    const sites = await siteRows();
    assert.equal(sites.length, 4);
    assert.ok(
      sites.every((j) => j.status === 'succeeded'),
      JSON.stringify(sites),
    );
  });
});
