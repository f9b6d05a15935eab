/**
 * Renders k8s/base and both overlays with `kubectl kustomize` and validates every object
 * against the Kubernetes OpenAPI schemas (kubernetes-models validation), then checks the
 * properties docs/deploy.md promises (namespace-scoped least-privilege RBAC, probes, migration
 * init container, same image for API and workers, GPU settings, bundled vs external database).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { loadKubernetesExecutorConfig } from '../../src/deploy/kubernetes-config';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const ROOT = join(__dirname, '..', '..', 'k8s');
const skip = existsSync(KUBECTL)
  ? false
  : `kubectl not found at ${KUBECTL} (set KUBECTL): manifests not rendered`;

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

type Validator = new (data: never) => { validate(): void };
const MODELS: Record<string, Validator> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'scheduling.k8s.io/v1/PriorityClass': PriorityClass,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

function render(dir: string): Obj[] {
  const yaml = execFileSync(KUBECTL, ['kustomize', join(ROOT, dir)], { encoding: 'utf8' });
  return loadAll(yaml) as Obj[];
}

function find<T = Obj>(objs: Obj[], kind: string, name: string): T {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} missing`);
  return o as T;
}

function validateAll(objs: Obj[]): void {
  for (const o of objs) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
    assert.doesNotThrow(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name}`);
    if (o.kind !== 'Namespace' && o.kind !== 'PriorityClass')
      assert.equal(o.metadata.namespace, 'autodl');
  }
}

interface DeploymentShape {
  spec: {
    replicas: number;
    strategy: { type: string };
    template: {
      spec: {
        serviceAccountName: string;
        initContainers: { command: string[]; image: string }[];
        containers: {
          image: string;
          command: string[];
          readinessProbe: { httpGet: { path: string } };
          livenessProbe: { httpGet: { path: string } };
        }[];
      };
    };
  };
}

describe('kustomize manifests', { skip }, () => {
  test('base: every object is schema-valid; RBAC is namespaced and limited to jobs, pods, pods/log', () => {
    const objs = render('base');
    validateAll(objs);
    assert.ok(!objs.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
    const role = find<{ rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>(
      objs,
      'Role',
      'autodl-executor',
    );
    assert.deepEqual(
      role.rules.map(
        (r) => `${r.apiGroups.join()}:${r.resources.join()}:${[...r.verbs].sort().join()}`,
      ),
      ['batch:jobs:create,delete,get,list,watch', ':pods:get,list,watch', ':pods/log:get'],
    );
    const binding = find<{ subjects: { name: string }[] }>(objs, 'RoleBinding', 'autodl-executor');
    assert.deepEqual(
      binding.subjects.map((s) => s.name),
      ['autodl-api'],
    );
    const dep = find<DeploymentShape>(objs, 'Deployment', 'autodl-api');
    const pod = dep.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'autodl-api');
    assert.equal(pod.containers[0].readinessProbe.httpGet.path, '/readyz');
    assert.equal(pod.containers[0].livenessProbe.httpGet.path, '/healthz');
    assert.deepEqual(pod.initContainers[0].command, ['node', 'bin/autodl.js', 'migrate']);
    assert.deepEqual(pod.containers[0].command, ['node', 'bin/autodl.js', 'serve']);
    // One executor: a single replica, replaced (not rolled) on upgrade.
    assert.equal(dep.spec.replicas, 1);
    assert.equal(dep.spec.strategy.type, 'Recreate');
  });

  for (const overlay of ['dev', 'gpu']) {
    test(`overlays/${overlay}: schema-valid, and the ConfigMap is a valid executor configuration using the API image`, () => {
      const objs = render(`overlays/${overlay}`);
      validateAll(objs);
      const cm = find<{ data: Record<string, string> }>(objs, 'ConfigMap', 'autodl-config');
      const config = loadKubernetesExecutorConfig(cm.data);
      const dep = find<DeploymentShape>(objs, 'Deployment', 'autodl-api');
      const apiImage = dep.spec.template.spec.containers[0].image;
      assert.equal(`${config.image}:${config.imageTag}`, apiImage);
      assert.equal(dep.spec.template.spec.initContainers[0].image, apiImage);
      assert.equal(cm.data.AUTODL_EXECUTOR, 'kubernetes');
    });
  }

  test('overlays/dev: bundled PostgreSQL, CPU only, ReadWriteOnce artifacts', () => {
    const objs = render('overlays/dev');
    find(objs, 'StatefulSet', 'autodl-postgres');
    const secret = find<{ stringData: Record<string, string> }>(objs, 'Secret', 'autodl-secrets');
    assert.match(secret.stringData.DATABASE_URL, /@autodl-postgres:5432\//);
    const config = loadKubernetesExecutorConfig(
      find<{ data: Record<string, string> }>(objs, 'ConfigMap', 'autodl-config').data,
    );
    assert.equal(config.maxGpusPerProject, 0);
    assert.deepEqual(config.kindResources, {});
    const pvc = find<{ spec: { accessModes: string[] } }>(
      objs,
      'PersistentVolumeClaim',
      'autodl-artifacts',
    );
    assert.deepEqual(pvc.spec.accessModes, ['ReadWriteOnce']);
  });

  test('overlays/gpu: external database (no Secret rendered), GPU kinds, node pool and priority class', () => {
    const objs = render('overlays/gpu');
    assert.ok(!objs.some((o) => o.kind === 'Secret'), 'the operator owns autodl-secrets');
    assert.ok(!objs.some((o) => o.kind === 'StatefulSet'));
    const config = loadKubernetesExecutorConfig(
      find<{ data: Record<string, string> }>(objs, 'ConfigMap', 'autodl-config').data,
    );
    assert.equal(config.kindResources.finetune?.gpu, 1);
    assert.deepEqual(config.gpuNodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.equal(config.priorityClassName, 'autodl-batch');
    find(objs, 'PriorityClass', 'autodl-batch');
    assert.match(config.imageTag, /gpu$/);
  });
});
