/**
 * Shared by the custom-resource e2e tests (test/e2e/k8s-custom-resources*.e2e.test.ts): the
 * Study shape, a Study whose trials print a value after a pause, the real kubectl against the
 * test API server, and the app with the operator resyncing fast.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { NS, startKubernetesTestApp, type KubernetesTestApp } from './kubernetes-app';

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
export const STUDIES = {
  group: 'autodl.io',
  version: 'v1alpha1',
  namespace: NS,
  plural: 'studies',
};
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export type StudyCr = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    generation?: number;
  };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    message?: string;
    studyId?: string;
    jobId?: string;
    trialsDone?: number;
    bestValue?: number;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string }[];
  };
};

/** A Study whose trials print `value=x` after `sleepS` seconds. */
export function studyOf(name: string, spec: Record<string, unknown>, sleepS = 0): StudyCr {
  const cmd = `setTimeout(() => console.log('value=' + JSON.parse(process.env.AUTODL_TRIAL_PARAMS).x), ${sleepS * 1000})`;
  return {
    apiVersion: 'autodl.io/v1alpha1',
    kind: 'Study',
    metadata: { name },
    spec: {
      space: { x: { type: 'float', low: 0, high: 1 } },
      sampler: { name: 'random', settings: { seed: 3 } },
      trial: { command: ['node', '-e', cmd] },
      ...spec,
    },
  };
}

export interface ResourceTestApp {
  k: KubernetesTestApp;
  api: CustomObjectsApi;
  /** The Study as stored in the test API server. */
  study(name: string): StudyCr | undefined;
  /** Whether the real kubectl is installed (else the tests use client-node only). */
  hasKubectl: boolean;
  /**
   * The real kubectl against the test API server (client-go sends no token over http). Async:
   * the server runs in this process.
   */
  kubectl(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startResourceTestApp(): Promise<ResourceTestApp> {
  const k = await startKubernetesTestApp({ AUTODL_K8S_OPERATOR_RESYNC_MS: '200' });
  const cacheDir = mkdtempSync(join(tmpdir(), 'autodl-kubectl-'));
  return {
    k,
    api: k.cluster.kubeConfig.makeApiClient(CustomObjectsApi),
    study: (name) => k.cluster.api.customObjects.get('studies', NS, name) as StudyCr | undefined,
    hasKubectl: existsSync(KUBECTL),
    async kubectl(...args) {
      k.cluster.api.acceptAnonymous = true;
      const { stdout } = await promisify(execFile)(
        KUBECTL,
        ['--server', k.cluster.api.url, '--cache-dir', join(cacheDir, 'kube'), '-n', NS, ...args],
        { encoding: 'utf8', timeout: 60_000 },
      );
      return stdout;
    },
    async close() {
      await k.close();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
