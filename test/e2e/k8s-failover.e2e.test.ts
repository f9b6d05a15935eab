/**
 * Two API replicas (the real entry point as two processes, as in the Deployment with
 * `replicas: 2`) against one database and the test API server: they elect a leader through a
 * coordination.k8s.io/v1 Lease; only the leader dispatches. SIGKILL the leader while jobs run
 * and more wait: the other replica takes the Lease within the lease duration, re-attaches to the
 * running Jobs by label and dispatches the rest. No Kubernetes Job is created twice, no job is
 * lost, and the requests the survivor serves never depended on which replica led.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { createTestDatabase } from '../support/database';
import { freePort } from '../support/net';
import { startFakeCluster, waitFor, type FakeCluster } from '../k8s/harness';
import { kubeconfigYaml } from '../k8s/kubeconfig';
import { WORKER_POD_CONFIG, workerFromSource } from '../k8s/kubernetes-app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

const ROOT = path.resolve(__dirname, '..', '..');
const NS = 'autodl';
const LEASE_SECONDS = 4;
const START_MS = 120_000;
const JOB_WAIT_MS = 240_000;

interface Replica {
  identity: string;
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

describe('two API replicas with leader election (Lease) and one database', () => {
  let cluster: FakeCluster;
  let db: { url: string; drop(): Promise<void> };
  let tmp: string;
  let home: string;
  let kubeconfig: string;
  const replicas: Replica[] = [];
  /** Kubernetes Jobs created per "job id/attempt". */
  const created = new Map<string, number>();

  before(async () => {
    db = await createTestDatabase();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-failover-'));
    home = path.join(tmp, 'home');
    cluster = await startFakeCluster({
      stepMs: 20,
      cwd: ROOT,
      // Every pod runs the real worker (src/worker.ts run <jobId>) with the pod's environment.
      scenario: () => 'run',
      command: workerFromSource,
      configMaps: { 'autodl-config': WORKER_POD_CONFIG },
      secrets: { 'autodl-secrets': { DATABASE_URL: db.url } },
    });
    cluster.api.onJob((event, job) => {
      if (event !== 'ADDED') return;
      const labels = job.metadata.labels ?? {};
      const key = `${labels['autodl.io/job-id']}/${labels['autodl.io/attempt']}`;
      created.set(key, (created.get(key) ?? 0) + 1);
    });
    kubeconfig = path.join(tmp, 'kubeconfig');
    fs.writeFileSync(kubeconfig, kubeconfigYaml(cluster.api.url, NS));
  });

  after(async () => {
    for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await cluster?.close();
    await db?.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function startReplica(identity: string): Promise<Replica> {
    const port = await freePort();
    let err = '';
    const child = spawn(process.execPath, ['-r', sourceLoader(), 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: db.url,
        AUTODL_HOME: home,
        PORT: String(port),
        HOST: '127.0.0.1',
        AUTODL_PRINT_ADMIN_KEY: '0',
        AUTODL_TF_BACKEND: 'cpu',
        LOG_LEVEL: 'warn',
        AUTODL_EXECUTOR: 'kubernetes',
        KUBECONFIG: kubeconfig,
        AUTODL_K8S_NAMESPACE: NS,
        AUTODL_K8S_IMAGE: 'registry.example/autodl:e2e',
        AUTODL_K8S_DISPATCH_INTERVAL_MS: '100',
        AUTODL_K8S_LEADER_IDENTITY: identity,
        AUTODL_K8S_LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
        AUTODL_K8S_LEASE_RENEW_DEADLINE_SECONDS: '2',
        AUTODL_K8S_LEASE_RETRY_PERIOD_MS: '250',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      `replica ${identity} healthy`,
      async () => {
        if (child.exitCode !== null) assert.fail(`replica ${identity} exited: ${err}`);
        return request(url)
          .get('/healthz')
          .then((r) => r.status === 200)
          .catch(() => false);
      },
      START_MS,
    );
    const replica = { identity, url, child, stderr: () => err };
    replicas.push(replica);
    return replica;
  }

  const holder = () => cluster.api.leases.get(NS, 'autodl-executor')?.spec.holderIdentity;

  test('the survivor takes the Lease within its duration; no Job twice, no job lost', async (t) => {
    const a = await startReplica('replica-a');
    await waitFor('replica-a leads', () => holder() === 'replica-a', START_MS);
    const b = await startReplica('replica-b');
    const key = fs.readFileSync(path.join(home, 'admin.key'), 'utf8').trim();
    const submit = async (via: Replica, steps: number) => {
      const res = await request(via.url)
        .post('/v1/jobs')
        .set('Authorization', `Bearer ${key}`)
        .send({ kind: 'sleep', spec: { steps, stepMs: 300 } })
        .expect(202);
      return res.body.id as string;
    };
    // Long jobs that are running when the leader dies, submitted through both replicas.
    const before = [await submit(a, 20), await submit(b, 20)];
    await waitFor(
      'jobs running under replica-a',
      async () => {
        const states = await Promise.all(
          before.map((id) =>
            request(b.url).get(`/v1/jobs/${id}`).set('Authorization', `Bearer ${key}`),
          ),
        );
        return states.every((r) => r.body.status === 'running');
      },
      JOB_WAIT_MS,
    );
    assert.equal(holder(), 'replica-a', 'replica-b stood by while replica-a renewed');

    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    // Submitted while nobody leads: queued in the database, dispatched by the next leader.
    const during = [await submit(b, 3), await submit(b, 3)];
    await waitFor('replica-b leads', () => holder() === 'replica-b', LEASE_SECONDS * 1000 + 15_000);
    const takeoverMs = Date.now() - killedAt;
    t.diagnostic(`takeover ${takeoverMs} ms after SIGKILL (lease ${LEASE_SECONDS} s)`);

    const all = [...before, ...during];
    const done = await waitFor(
      'every job succeeded',
      async () => {
        const states = await Promise.all(
          all.map((id) =>
            request(b.url).get(`/v1/jobs/${id}`).set('Authorization', `Bearer ${key}`),
          ),
        );
        const bodies = states.map((r) => r.body as { status: string; attempts: number });
        assert.ok(
          bodies.every((j) => j.status !== 'failed' && j.status !== 'cancelled'),
          JSON.stringify(bodies),
        );
        return bodies.every((j) => j.status === 'succeeded') ? bodies : undefined;
      },
      JOB_WAIT_MS,
    );
    // The Jobs that ran across the failover were re-attached, not re-created.
    assert.ok(done);
    for (const [i, job] of done.entries()) assert.equal(job.attempts, 1, `job ${all[i]}`);
    for (const id of all) assert.equal(created.get(`${id}/1`), 1, `Kubernetes Jobs for ${id}`);
    assert.equal(created.size, all.length);
    const lease = cluster.api.leases.get(NS, 'autodl-executor');
    assert.equal(lease?.spec.leaseTransitions, 1);
  });
});
