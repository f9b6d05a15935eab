/**
 * Renders k8s/base and both overlays with `kubectl kustomize` and validates every object
 * against the Kubernetes OpenAPI schemas (kubernetes-models validation), then checks the
 * properties docs/deploy.md promises (namespace-scoped least-privilege RBAC, probes, migration
 * init container, same image for API and workers, GPU settings, bundled vs external database)
 * and the hardening of issue 12 part 7: Pod Security `restricted` on the namespace and on every
 * pod (including the worker Jobs the executor creates), requests and limits on every container,
 * NetworkPolicies (default deny, DNS, workers reach only the API and PostgreSQL) and a
 * PodDisruptionBudget, each selecting the pods it is meant for. The Study and FineTune CRDs
 * (issue 16 part 1): installed by the overlays, structural, their enums the service's own.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
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
import { buildJobManifest, jobLabels } from '../../src/deploy/core/job-spec';
import {
  KUBERNETES_EXECUTOR_DEFAULTS,
  loadKubernetesExecutorConfig,
} from '../../src/deploy/kubernetes-config';
import {
  finetuneRequest,
  studyRequest,
  type FineTuneResource,
  type StudyResource,
} from '../../src/deploy/core/custom-resources';
import { SEARCH_SERVICE_DEFAULTS } from '../../src/search/core/config/study-config';
import { PRUNERS } from '../../src/search/core/pruners/pruner-registry';
import { SAMPLERS } from '../../src/search/core/samplers/sampler-registry';
import { parseStudyRequest } from '../../src/search/study.schema';
import { parseMethod } from '../../src/transfer/core/method';
import { finetuneRequest as finetuneBody } from '../../src/transfer/finetune.schema';
import { CrdSchema, loadCrds, type Crd, type JsonSchema } from './crd-schema';
import { ClusterQueue, LocalQueue, ResourceFlavor } from './kueue-models';

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
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'PriorityClass',
  'ResourceFlavor',
  'ClusterQueue',
  'CustomResourceDefinition',
]);
const MODELS: Record<string, Validator> = {
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'scheduling.k8s.io/v1/PriorityClass': PriorityClass,
  'kueue.x-k8s.io/v1beta1/ResourceFlavor': ResourceFlavor,
  'kueue.x-k8s.io/v1beta1/ClusterQueue': ClusterQueue,
  'kueue.x-k8s.io/v1beta1/LocalQueue': LocalQueue,
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
    if (!CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, 'autodl');
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
          env?: { name: string }[];
        }[];
      };
    };
  };
}

describe('kustomize manifests', { skip }, () => {
  test('base: every object is schema-valid; RBAC is namespaced and limited to jobs, pods, pods/log, leases, the CRs', () => {
    const objs = render('base');
    validateAll(objs);
    assert.ok(!objs.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
    const role = find<{
      rules: {
        apiGroups: string[];
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }[];
    }>(objs, 'Role', 'autodl-executor');
    assert.deepEqual(
      role.rules.map(
        (r) => `${r.apiGroups.join()}:${r.resources.join()}:${[...r.verbs].sort().join()}`,
      ),
      [
        'batch:jobs:create,delete,get,list,watch',
        ':pods:get,list,watch',
        ':pods/log:get',
        'apps:deployments:create,delete,get,list,update',
        ':services:create,delete,get',
        'coordination.k8s.io:leases:get,update',
        'coordination.k8s.io:leases:create',
        // The custom-resource operator: watch, finalizer patches, status, Events; no create/delete.
        'autodl.io:studies,finetunes:get,list,patch,watch',
        'autodl.io:studies/status,finetunes/status:get,patch',
        'autodl.io:studies/finalizers,finetunes/finalizers:update',
        ':events:create',
      ],
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
    // Two replicas rolled one at a time; the executor runs on the Lease holder, named by pod.
    assert.equal(dep.spec.replicas, 2);
    assert.equal(dep.spec.strategy.type, 'RollingUpdate');
    assert.ok(
      pod.containers[0].env?.some((e) => e.name === 'POD_NAME'),
      'POD_NAME (downward API) names the Lease holder',
    );
    const leaseRule = role.rules.find(
      (r) => r.resources.includes('leases') && r.verbs.includes('update'),
    );
    assert.deepEqual(leaseRule?.resourceNames, [KUBERNETES_EXECUTOR_DEFAULTS.leaseName]);
  });

  for (const overlay of ['dev', 'gpu', 'kueue']) {
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
    // The API is ready only once `autodl doctor` passed in it (issue 16 part 6).
    const api = find<DeploymentShape>(objs, 'Deployment', 'autodl-api').spec.template.spec;
    assert.equal(api.containers[0].readinessProbe.httpGet.path, '/readyz?doctor=true');
  });

  test('overlays/kueue: the gpu install plus a LocalQueue every Job names, backed by a ClusterQueue', () => {
    const objs = render('overlays/kueue');
    const config = loadKubernetesExecutorConfig(
      find<{ data: Record<string, string> }>(objs, 'ConfigMap', 'autodl-config').data,
    );
    assert.equal(config.queueName, 'autodl');
    assert.equal(config.kindResources.finetune?.gpu, 1, 'the gpu overlay underneath');
    const local = find<{ metadata: { namespace: string }; spec: { clusterQueue: string } }>(
      objs,
      'LocalQueue',
      config.queueName ?? '',
    );
    assert.equal(local.metadata.namespace, 'autodl');
    const cq = find<{
      metadata: { namespace?: string };
      spec: { resourceGroups: { flavors: { name: string }[] }[] };
    }>(objs, 'ClusterQueue', local.spec.clusterQueue);
    assert.equal(cq.metadata.namespace, undefined, 'cluster-scoped');
    const flavors = cq.spec.resourceGroups[0].flavors.map((f) => f.name);
    assert.deepEqual(flavors, ['autodl-cpu', 'autodl-gpu'], 'CPU nodes tried first');
    for (const f of flavors) find(objs, 'ResourceFlavor', f);
    // The Kueue validator is not vacuous: a flavor that skips a covered resource is refused.
    const broken = {
      ...cq,
      spec: {
        resourceGroups: [
          {
            coveredResources: ['cpu', 'memory'],
            flavors: [{ name: 'x', resources: [{ name: 'cpu', nominalQuota: 1 }] }],
          },
        ],
      },
    };
    assert.throws(() => new ClusterQueue(broken as never).validate(), /coveredResources/);
    const manifest = buildJobManifest(
      { id: '3f2c8a1e-5b7d-4c9e-8f10-1a2b3c4d5e6f', projectId: 'p', kind: 'finetune', attempt: 1 },
      config,
    );
    assert.equal(manifest.metadata.labels['kueue.x-k8s.io/queue-name'], config.queueName);
    assert.equal(manifest.spec.suspend, true);
  });

  for (const overlay of ['base', 'overlays/dev', 'overlays/gpu']) {
    test(`${overlay}: Pod Security restricted on the namespace and on every pod, worker Jobs included`, () => {
      const objs = render(overlay);
      const ns = find<{ metadata: { labels: Record<string, string> } }>(
        objs,
        'Namespace',
        'autodl',
      );
      assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
      const pods = podTemplates(objs);
      assert.ok(pods.length >= (overlay === 'overlays/dev' ? 2 : 1));
      // The pods the executor creates at run time, built from the rendered ConfigMap.
      const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'autodl-config');
      const config = loadKubernetesExecutorConfig(
        (cm as unknown as { data: Record<string, string> }).data,
      );
      const worker = buildJobManifest(WORKER_JOB, config).spec.template.spec as unknown as PodSpec;
      for (const [name, pod] of [...pods, ['worker Job', worker] as const]) {
        assert.deepEqual(restrictedViolations(pod), [], `${overlay} ${name}`);
        for (const c of allContainers(pod)) {
          const r = c.resources ?? {};
          for (const key of ['requests.cpu', 'requests.memory', 'limits.memory']) {
            const [group, resource] = key.split('.') as ['requests' | 'limits', string];
            assert.ok(r[group]?.[resource], `${overlay} ${name}/${c.name} has no ${key}`);
          }
          // Static containers also cap CPU (a ResourceQuota on limits.cpu would refuse them).
          if (name !== 'worker Job')
            assert.ok(r.limits?.cpu, `${name}/${c.name} has no limits.cpu`);
        }
      }
    });

    test(`${overlay}: NetworkPolicies deny by default, allow DNS, workers reach only the API and PostgreSQL`, () => {
      const objs = render(overlay);
      const policies = objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[];
      const byName = (n: string): Policy => {
        const p = policies.find((x) => x.metadata.name === n);
        assert.ok(p, `NetworkPolicy/${n} missing`);
        return p;
      };
      const deny = byName('autodl-default-deny');
      assert.deepEqual(deny.spec.podSelector, {});
      assert.deepEqual([...deny.spec.policyTypes].sort(), ['Egress', 'Ingress']);
      assert.equal(deny.spec.ingress, undefined);
      assert.equal(deny.spec.egress, undefined);
      const dns = byName('autodl-allow-dns');
      assert.deepEqual(dns.spec.podSelector, {});
      assert.deepEqual(
        dns.spec.egress
          ?.flatMap((e) => e.ports?.map((p) => `${p.protocol}/${p.port}`) ?? [])
          .sort(),
        ['TCP/53', 'UDP/53'],
      );
      assert.equal(dns.spec.egress?.[0].to?.[0].podSelector?.matchLabels?.['k8s-app'], 'kube-dns');

      const apiLabels = podTemplates(objs).find(([n]) => n === 'Deployment/autodl-api')![1].labels;
      const workerLabels = jobLabels(WORKER_JOB, { instance: 'autodl' } as never);
      const databaseLabels = {
        'app.kubernetes.io/name': 'autodl',
        'app.kubernetes.io/component': 'database',
      };
      // Which policies select which pods: each role gets its own, and only its own.
      const selecting = (labels: Record<string, string>) =>
        policies
          .filter((p) => selects(p.spec.podSelector, labels))
          .map((p) => p.metadata.name)
          .sort();
      assert.deepEqual(selecting(workerLabels), [
        'autodl-allow-dns',
        'autodl-default-deny',
        'autodl-worker',
      ]);
      assert.deepEqual(selecting(apiLabels), [
        'autodl-allow-dns',
        'autodl-api',
        'autodl-default-deny',
      ]);

      const worker = byName('autodl-worker');
      assert.deepEqual(worker.spec.ingress ?? [], [], 'nothing connects to a worker');
      const egress = worker.spec.egress ?? [];
      assert.equal(egress.length, 2);
      for (const rule of egress)
        assert.ok(rule.to && rule.to.length > 0, 'every egress rule names its peers');
      assert.deepEqual(
        egress.map((r) => r.ports?.map((p) => `${p.protocol}/${p.port}`)),
        [['TCP/3000'], ['TCP/5432']],
      );
      assert.ok(selects(egress[0].to![0].podSelector, apiLabels), 'workers -> API pods');
      if (overlay === 'overlays/gpu') {
        // External database: its address is the operator's; only port 5432 leaves the namespace.
        assert.ok(egress[1].to![0].ipBlock);
      } else {
        assert.ok(
          selects(egress[1].to![0].podSelector, databaseLabels),
          'workers -> PostgreSQL pods',
        );
        assert.ok(!selects(egress[1].to![0].podSelector, apiLabels));
      }
      if (overlay === 'overlays/dev') {
        const db = byName('autodl-database');
        const statefulLabels = podTemplates(objs).find(
          ([n]) => n === 'StatefulSet/autodl-postgres',
        )![1].labels;
        assert.ok(selects(db.spec.podSelector, statefulLabels));
        const peers = db.spec.ingress?.[0].from ?? [];
        assert.ok(peers.some((p) => selects(p.podSelector, apiLabels)));
        assert.ok(peers.some((p) => selects(p.podSelector, workerLabels)));
      }
    });

    test(`${overlay}: a PodDisruptionBudget keeps one API replica up through routine eviction`, () => {
      const objs = render(overlay);
      validateAll(objs);
      const pdb = find<{ spec: { minAvailable?: number; selector: Selector } }>(
        objs,
        'PodDisruptionBudget',
        'autodl-api',
      );
      const apiLabels = podTemplates(objs).find(([n]) => n === 'Deployment/autodl-api')![1].labels;
      assert.ok(selects(pdb.spec.selector, apiLabels));
      assert.ok(
        !selects(pdb.spec.selector, jobLabels(WORKER_JOB, { instance: 'autodl' } as never)),
      );
      assert.equal(pdb.spec.minAvailable, 1);
    });
  }
});

interface Container {
  name: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  ports?: { hostPort?: number }[];
}

interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
  };
  initContainers?: Container[];
  containers: Container[];
  volumes?: Record<string, unknown>[];
}

interface Selector {
  matchLabels?: Record<string, string>;
}

interface Policy {
  metadata: { name: string };
  spec: {
    podSelector: Selector;
    policyTypes: string[];
    ingress?: {
      from?: { podSelector?: Selector }[];
      ports?: { protocol: string; port: number }[];
    }[];
    egress?: {
      to?: { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string } }[];
      ports?: { protocol: string; port: number }[];
    }[];
  };
}

const WORKER_JOB = {
  id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  projectId: 'p1',
  kind: 'finetune',
  attempt: 1,
};

/** Pod templates of the workload objects, with the labels their pods get. */
function podTemplates(objs: Obj[]): [string, PodSpec & { labels: Record<string, string> }][] {
  return objs
    .filter((o) => ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind))
    .map((o) => {
      const template = (
        o as unknown as {
          spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
        }
      ).spec.template;
      return [
        `${o.kind}/${o.metadata.name}`,
        { ...template.spec, labels: template.metadata.labels },
      ];
    });
}

function allContainers(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** A label selector (matchLabels only, as ours are) selects these labels; {} selects all. */
function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return false;
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

const RESTRICTED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/**
 * What the Pod Security `restricted` profile (v1.25+) checks, and the baseline controls under
 * it: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
function restrictedViolations(pod: PodSpec): string[] {
  const out: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push('host namespaces');
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.includes(type)) out.push(`volume type ${type}`);
  }
  const podSc = pod.securityContext ?? {};
  if (podSc.runAsUser === 0) out.push('pod runAsUser 0');
  for (const c of allContainers(pod)) {
    const sc = c.securityContext ?? {};
    if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) out.push(`${c.name}: runAsNonRoot not true`);
    if (sc.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      out.push(`${c.name}: seccompProfile ${seccomp}`);
    if (sc.allowPrivilegeEscalation !== false)
      out.push(`${c.name}: allowPrivilegeEscalation not false`);
    if (sc.privileged) out.push(`${c.name}: privileged`);
    if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${c.name}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((a) => a !== 'NET_BIND_SERVICE'))
      out.push(`${c.name}: capabilities added`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${c.name}: hostPort`);
  }
  return out;
}

describe('kustomize overlays/sites: RBAC for exactly the placement namespaces', { skip }, () => {
  test('a Role and RoleBinding for the API’s ServiceAccount in each namespace of AUTODL_K8S_PLACEMENT_NAMESPACES, and nowhere else', () => {
    const objs = render('overlays/sites');
    for (const o of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
      assert.doesNotThrow(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name}`);
    }
    assert.ok(!objs.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
    const cm = objs.find(
      (o) =>
        o.kind === 'ConfigMap' &&
        o.metadata.name === 'autodl-config' &&
        o.metadata.namespace === 'autodl',
    ) as unknown as { data: Record<string, string> };
    const config = loadKubernetesExecutorConfig(cm.data);
    assert.deepEqual(config.placementNamespaces, ['site-a', 'site-b']);
    const siteNamespaces = (kind: string) =>
      objs
        .filter((o) => o.kind === kind && o.metadata.namespace !== 'autodl')
        .map((o) => o.metadata.namespace)
        .sort();
    // Exactly the allowed namespaces get the executor's rights.
    assert.deepEqual(siteNamespaces('Role'), config.placementNamespaces);
    assert.deepEqual(siteNamespaces('RoleBinding'), config.placementNamespaces);
    for (const ns of config.placementNamespaces) {
      const role = objs.find(
        (o) => o.kind === 'Role' && o.metadata.namespace === ns,
      ) as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
      assert.deepEqual(
        role.rules.map(
          (r) => `${r.apiGroups.join()}:${r.resources.join()}:${[...r.verbs].sort().join()}`,
        ),
        ['batch:jobs:create,delete,get,list,watch', ':pods:get,list,watch', ':pods/log:get'],
        `${ns}: Jobs and pods only (no Lease, Secret or ConfigMap rights)`,
      );
      const binding = objs.find(
        (o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns,
      ) as unknown as {
        roleRef: { name: string };
        subjects: { kind: string; name: string; namespace: string }[];
      };
      assert.equal(binding.roleRef.name, 'autodl-executor');
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: 'autodl-api', namespace: 'autodl' },
      ]);
      const nsObj = find<{ metadata: { labels: Record<string, string> } }>(objs, 'Namespace', ns);
      assert.equal(nsObj.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
      // What a site pod references by name exists in its namespace.
      for (const [kind, name] of [
        ['ServiceAccount', config.serviceAccountName],
        ['ConfigMap', config.configMapName],
        ['PersistentVolumeClaim', config.siteClaimName],
      ])
        assert.ok(
          objs.some(
            (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns,
          ),
          `${ns}: ${kind}/${name}`,
        );
    }
    // A site Job built from this configuration lands in the site namespace, is schema-valid and
    // mounts that namespace's claim.
    const job = buildJobManifest(
      {
        id: '3f2c8a1e-5b7d-4c9e-8f10-1a2b3c4d5e6f',
        projectId: 'b7e1c0de-0000-4000-8000-000000000001',
        kind: 'federation-site',
        attempt: 1,
        placement: { namespace: 'site-b', nodeSelector: { pool: 'b' }, completions: 2 },
      },
      config,
    );
    assert.doesNotThrow(() => new Job(job as never).validate());
    assert.equal(job.metadata.namespace, 'site-b');
    assert.equal(
      job.spec.template.spec.volumes?.[0].persistentVolumeClaim?.claimName,
      'autodl-site-data',
    );
  });
});

describe('custom resource definitions (k8s/base/crds)', { skip }, () => {
  const crds = () =>
    render('overlays/gpu').filter((o) => o.kind === 'CustomResourceDefinition') as unknown as Crd[];

  test('overlays/gpu installs both CRDs: namespaced, v1alpha1 served and stored, status subresource, short names, category', () => {
    const byName = Object.fromEntries(crds().map((c) => [c.metadata.name, c]));
    assert.deepEqual(Object.keys(byName).sort(), ['finetunes.autodl.io', 'studies.autodl.io']);
    for (const [name, short] of [
      ['studies.autodl.io', 'st'],
      ['finetunes.autodl.io', 'ft'],
    ] as const) {
      const crd = byName[name];
      assert.equal(crd.spec.scope, 'Namespaced');
      assert.deepEqual(crd.spec.names.shortNames, [short]);
      assert.deepEqual(crd.spec.names.categories, ['autodl']);
      assert.deepEqual(
        crd.spec.versions.map((v) => [v.name, v.served, v.storage, !!v.subresources?.status]),
        [['v1alpha1', true, true, true]],
      );
      assert.ok(!('namespace' in crd.metadata), 'cluster-scoped: kustomize adds no namespace');
    }
    const columns = (n: string) =>
      byName[n].spec.versions[0].additionalPrinterColumns
        ?.filter((c) => !c.priority)
        .map((c) => c.name);
    assert.deepEqual(columns('studies.autodl.io'), ['Phase', 'Best', 'Trials', 'Max', 'Age']);
    assert.deepEqual(columns('finetunes.autodl.io'), ['Phase', 'Progress', 'Model', 'Age']);
  });

  test("the schemas are structural, and their enums are the service's registries", () => {
    for (const crd of loadCrds())
      assertStructural(crd.spec.versions[0].schema.openAPIV3Schema, crd.metadata.name);
    const [finetunes, studies] = loadCrds();
    const spec = studies.spec.versions[0].schema.openAPIV3Schema.properties?.spec?.properties ?? {};
    assert.deepEqual(spec.sampler.properties?.name.enum, Object.keys(SAMPLERS));
    assert.deepEqual(spec.pruner.properties?.name.enum, Object.keys(PRUNERS));
    assert.equal(spec.parallelism.maximum, SEARCH_SERVICE_DEFAULTS.maxParallelism);
    assert.equal(spec.maxTrials.maximum, SEARCH_SERVICE_DEFAULTS.maxTrials);
    // Every method the CRD lists parses; every valid combination of the method grammar is listed
    // (as its canonical name, or `rifle` for rifle+l2 as METHOD_NAMES writes it).
    const methods = finetunes.spec.versions[0].schema.openAPIV3Schema.properties?.spec?.properties
      ?.method.enum as string[];
    for (const m of methods) assert.doesNotThrow(() => parseMethod(m), m);
    const parts = ['dtnh', 'rifle', 'l2', 'l2sp', 'delta'];
    const canonical = new Set<string>();
    for (let mask = 1; mask < 32; mask++) {
      const method = parts.filter((_, i) => mask & (1 << i)).join('+');
      try {
        canonical.add(parseMethod(method).name);
      } catch {
        // not a valid combination
      }
    }
    assert.deepEqual(
      [...canonical].sort(),
      methods
        .filter((m) => m !== 'auto')
        .map((m) => parseMethod(m).name)
        .sort(),
    );
  });

  test('the examples are valid for their CRD and for the service', () => {
    const [finetunes, studies] = loadCrds();
    const read = (f: string) =>
      load(readFileSync(join(ROOT, '..', 'examples', 'k8s', f), 'utf8')) as Record<string, unknown>;
    const study = read('study.yaml');
    // The trial-image example too (runner.image; its placement is a comment).
    for (const s of [study, read('study-image.yaml')]) {
      assert.deepEqual(new CrdSchema(studies, studies.spec.versions[0]).admit(s, true), {
        causes: [],
        unknown: [],
      });
      parseStudyRequest(
        studyRequest({
          ...(s as unknown as StudyResource),
          metadata: { name: 'branin', namespace: 'autodl', uid: 'u' },
        }),
      );
    }
    const ft = read('finetune.yaml');
    assert.deepEqual(new CrdSchema(finetunes, finetunes.spec.versions[0]).admit(ft, true), {
      causes: [],
      unknown: [],
    });
    finetuneBody.parse(
      finetuneRequest({
        ...(ft as unknown as FineTuneResource),
        metadata: { name: 'f', namespace: 'autodl', uid: 'u' },
      }),
      '',
    );
  });
});

/**
 * The structural-schema rules of apiextensions.k8s.io/v1 (a CRD with a non-structural schema is
 * refused): every node has a type unless it preserves unknown fields (or is int-or-string);
 * no `additionalProperties` beside `properties`.
 */
function assertStructural(s: JsonSchema, path: string): void {
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  assert.ok(
    s.type !== undefined || preserve || s['x-kubernetes-int-or-string'] === true,
    `${path}: no type`,
  );
  assert.ok(
    !(s.properties && s.additionalProperties),
    `${path}: properties with additionalProperties`,
  );
  for (const [k, v] of Object.entries(s.properties ?? {})) assertStructural(v, `${path}.${k}`);
  if (typeof s.additionalProperties === 'object')
    assertStructural(s.additionalProperties, `${path}.*`);
  if (s.items) assertStructural(s.items, `${path}[]`);
}
