/**
 * The real app with AUTODL_EXECUTOR=kubernetes against the test API server, for e2e tests: a
 * kubeconfig file for the server (as an operator's KUBECONFIG), the Secret and ConfigMap the
 * worker pods get, and a scripted controller that runs each pod's command
 * (`node dist/worker.js run <jobId>`) as the real worker from source with the pod's environment.
 * Pods of projects given a scenario list follow those scripted scenarios instead (per attempt).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../support/app';
import type { K8sObject } from './fake-apiserver';
import { startFakeCluster, type FakeCluster } from './harness';
import { kubeconfigYaml } from './kubeconfig';
import type { Scenario } from './scripted-controller';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

export const NS = 'autodl';
const ROOT = path.resolve(__dirname, '..', '..');

/** The image runs the compiled worker (`node dist/worker.js`); here the same entry from source. */
export function workerFromSource([node, entry, ...args]: string[]): string[] {
  return node === 'node' && entry === 'dist/worker.js'
    ? [process.execPath, '-r', sourceLoader(), 'src/worker.ts', ...args]
    : [node, entry, ...args];
}

/** The worker pods' ConfigMap in these tests: fast heartbeats, the CPU backend, quiet logs. */
export const WORKER_POD_CONFIG = {
  AUTODL_HEARTBEAT_MS: '200',
  AUTODL_HEARTBEAT_TIMEOUT_MS: '3000',
  AUTODL_TF_BACKEND: 'cpu',
  LOG_LEVEL: 'error',
};

export interface KubernetesTestApp {
  /** The current app; `restart()` replaces it. */
  app: TestApp;
  cluster: FakeCluster;
  /** An API key of a new project whose pods follow `scenarios` (attempt n -> scenarios[n-1]). */
  projectWith(name: string, scenarios: Scenario[]): Promise<string>;
  /** Stop the API (its executor) and start it again on the same database and home. */
  restart(): Promise<TestApp>;
  close(): Promise<void>;
}

export async function startKubernetesTestApp(
  extraEnv: Record<string, string> = {},
  /** More keys of the worker pods' ConfigMap (the API's settings the workers share). */
  podConfig: Record<string, string> = {},
): Promise<KubernetesTestApp> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-k8s-e2e-'));
  const scenarios = new Map<string, Scenario[]>();
  const secrets: Record<string, Record<string, string>> = {};
  const cluster = await startFakeCluster({
    stepMs: 20,
    cwd: ROOT,
    scenario: (job: K8sObject) => {
      const labels = job.metadata.labels ?? {};
      const list = scenarios.get(labels['autodl.io/project'] ?? '') ?? [];
      return list[Number(labels['autodl.io/attempt']) - 1] ?? 'run';
    },
    command: workerFromSource,
    configMaps: {
      'autodl-config': {
        ...WORKER_POD_CONFIG,
        // The crash scenarios let the real worker SIGKILL itself (sleep's crashAtStep).
        AUTODL_TEST_HOOKS: '1',
        ...podConfig,
      },
    },
    secrets,
  });
  const kubeconfig = path.join(tmp, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(cluster.api.url, NS));
  const env = {
    AUTODL_EXECUTOR: 'kubernetes',
    KUBECONFIG: kubeconfig,
    AUTODL_K8S_NAMESPACE: NS,
    AUTODL_K8S_IMAGE: 'registry.example/autodl:e2e',
    AUTODL_K8S_DISPATCH_INTERVAL_MS: '100',
    AUTODL_K8S_CANCEL_GRACE_SECONDS: '2',
    AUTODL_TEST_HOOKS: '1',
    ...extraEnv,
  };
  const first = await startTestApp({ env });
  // The Secret the operator creates (k8s/base/secret.yaml): the database the API uses.
  secrets['autodl-secrets'] = { DATABASE_URL: first.databaseUrl };
  const k: KubernetesTestApp = {
    app: first,
    cluster,
    async projectWith(name, list) {
      const key = await k.app.createKey(name);
      const [row] = await k.app.running.app
        .get(DataSource)
        .query(`SELECT id FROM projects WHERE name = $1`, [name]);
      scenarios.set(row.id, list);
      return key;
    },
    async restart() {
      const old = k.app;
      await old.stop();
      k.app = await startTestApp({
        env,
        reuse: { databaseUrl: old.databaseUrl, home: old.home, key: old.key, drop: old.close },
      });
      return k.app;
    },
    async close() {
      await k.app.close();
      await cluster.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  return k;
}
