/**
 * Scripted stand-in for the Job controller, scheduler and kubelet of a real cluster. For every
 * Job created on the FakeApiServer it creates one Pod (labels from the template plus the
 * controller's `job-name`/`controller-uid`, an ownerReference) and moves it and the Job's status
 * through the phases of a named scenario, with the status shapes a real kubelet writes:
 *
 *   succeed        Pending(ContainerCreating) -> Running -> Succeeded (exit 0), a few log lines
 *   error          Running -> Failed, exit code 1
 *   oom            Running -> Failed, container terminated reason OOMKilled, exit 137
 *   evicted        Running -> Failed, pod reason Evicted ("The node was low on resource: memory.")
 *   deadline       Running -> Job condition Failed/DeadlineExceeded, pod Failed/DeadlineExceeded
 *   unschedulable  Pending, PodScheduled=False reason Unschedulable (stays)
 *   image-pull     Pending, container waiting ErrImagePull then ImagePullBackOff (stays)
 *   hang           Running until deleted
 *   run            really runs the container command as a local child process (env from the
 *                  container's env, ConfigMap and Secret refs resolved from `configMaps` and
 *                  `secrets`), stdout/stderr become the pod log, the exit code the phase;
 *                  deleting the pod sends SIGTERM. Every container of a multi-container pod
 *                  runs at once, each with its own log; the pod ends when all have (Succeeded
 *                  if all exited 0). An emptyDir volume is a temporary directory of the pod:
 *                  a container's env values and args under a mount path are rewritten to it
 *                  (a local process cannot mount), and it is removed when the pod ends.
 *   run-oom        as `run`, but a child killed by SIGKILL is reported the way the kubelet reports
 *                  a container the kernel's OOM killer killed (terminated, OOMKilled, exit 137);
 *                  the e2e tests let the real worker SIGKILL itself (sleep's crashAtStep) to
 *                  stand in for exceeding the memory limit.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeApiServer, K8sObject } from './fake-apiserver';
import { COMPLETION_INDEX, IndexedJobState, indexCount, indexedPod } from './fake-indexed-jobs';

export type Scenario =
  | 'succeed'
  | 'error'
  | 'oom'
  | 'evicted'
  | 'deadline'
  | 'unschedulable'
  | 'image-pull'
  | 'hang'
  | 'run'
  | 'run-oom';

export interface ScriptedControllerOptions {
  /** Which scenario a new Job (an Indexed Job: the pod of `index`) follows; default `succeed`. */
  scenario?: (job: K8sObject, index?: number) => Scenario;
  /** Delay between phase steps, ms. */
  stepMs?: number;
  /** For `run`: working directory and extra environment of the child process. */
  cwd?: string;
  env?: Record<string, string>;
  configMaps?: Record<string, Record<string, string>>;
  secrets?: Record<string, Record<string, string>>;
  /** For `run`: rewrite the container command (e.g. `node dist/worker.js` -> ts entry). */
  command?: (command: string[]) => string[];
}

interface ContainerSpec {
  name: string;
  command?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string };
      fieldRef?: { fieldPath: string };
    };
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

interface PodSpecView {
  containers?: ContainerSpec[];
  volumes?: { name: string; emptyDir?: object }[];
}

export class ScriptedController {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly children = new Map<string, ChildProcess>();
  /** Pods created, in order, for assertions. */
  readonly podsCreated: string[] = [];
  /** Jobs (by uid) whose pod this controller has started. */
  private readonly started = new Set<string>();
  /** Indexed Jobs (by uid): which indexes ended how (fake-indexed-jobs.ts). */
  private readonly indexed = new Map<string, IndexedJobState>();

  constructor(
    private readonly api: FakeApiServer,
    private readonly options: ScriptedControllerOptions = {},
  ) {
    api.onJob((type, job) => {
      // A suspended Job (created for Kueue) gets its pod when it is unsuspended, as the Job
      // controller does once Kueue admits it.
      const suspended = (job.spec as { suspend?: boolean } | undefined)?.suspend === true;
      const uid = job.metadata.uid as string;
      if ((type === 'ADDED' || type === 'MODIFIED') && !suspended && !this.started.has(uid)) {
        this.started.add(uid);
        this.startJob(job);
      }
      if (type === 'DELETED') this.killChildrenOf(job);
    });
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.children.values()) c.kill('SIGKILL');
    this.children.clear();
  }

  private later(fn: () => void, steps = 1): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        fn();
      },
      (this.options.stepMs ?? 5) * steps,
    );
    this.timers.add(t);
  }

  private startJob(job: K8sObject): void {
    const n = indexCount(job);
    if (n === null) return this.startPod(job, null);
    // An Indexed Job: one pod per index, all at once (our Jobs set parallelism = completions).
    const state = new IndexedJobState(job);
    this.indexed.set(job.metadata.uid as string, state);
    for (let i = 0; i < n; i++) this.startPod(job, i);
    this.setJobStatus(job.metadata.namespace as string, job.metadata.name, {
      ...state.status(),
      startTime: new Date().toISOString(),
    });
  }

  private startPod(job: K8sObject, index: number | null): void {
    const ns = job.metadata.namespace as string;
    const scenario = this.options.scenario?.(job, index ?? undefined) ?? 'succeed';
    const template = (job.spec?.template ?? {}) as {
      metadata?: { labels?: Record<string, string> };
      spec?: Record<string, unknown>;
    };
    const suffix = randomBytes(3).toString('hex').slice(0, 5);
    const podName =
      index === null ? `${job.metadata.name}-${suffix}` : `${job.metadata.name}-${index}-${suffix}`;
    const extra = index === null ? undefined : indexedPod(job, index, template.spec);
    const podSpec = extra?.spec ?? template.spec;
    const container = ((podSpec?.containers as ContainerSpec[] | undefined) ?? [])[0];
    this.api.create('pods', ns, {
      metadata: {
        name: podName,
        ...(extra ? { annotations: extra.annotations } : {}),
        labels: {
          ...template.metadata?.labels,
          ...extra?.labels,
          'batch.kubernetes.io/job-name': job.metadata.name,
          'job-name': job.metadata.name,
          'controller-uid': job.metadata.uid as string,
        },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name,
            uid: job.metadata.uid as string,
          },
        ],
      },
      spec: podSpec,
      status: { phase: 'Pending', qosClass: 'Burstable' },
    });
    this.podsCreated.push(podName);
    if (index === null)
      this.setJobStatus(ns, job.metadata.name, { active: 1, startTime: new Date().toISOString() });
    const cname = container?.name ?? 'worker';
    switch (scenario) {
      case 'unschedulable':
        return this.later(() =>
          this.setPod(ns, podName, {
            phase: 'Pending',
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
              },
            ],
          }),
        );
      case 'image-pull':
        this.later(() =>
          this.setPod(
            ns,
            podName,
            waiting(cname, 'ErrImagePull', 'failed to pull image: not found'),
          ),
        );
        return this.later(
          () =>
            this.setPod(ns, podName, waiting(cname, 'ImagePullBackOff', 'Back-off pulling image')),
          2,
        );
      case 'run':
      case 'run-oom':
        this.later(() => this.setPod(ns, podName, waiting(cname, 'ContainerCreating', '')));
        return this.later(
          () => this.runPod(ns, job, podName, podSpec as PodSpecView, scenario === 'run-oom'),
          2,
        );
      default:
        this.later(() => this.setPod(ns, podName, waiting(cname, 'ContainerCreating', '')));
        this.later(() => {
          this.setPod(ns, podName, running(cname));
          this.api.appendLog(
            ns,
            podName,
            `worker starting job ${job.metadata.labels?.['autodl.io/job-id']}\n`,
          );
        }, 2);
        if (scenario === 'hang') return;
        return this.later(() => this.finish(ns, job, podName, cname, scenario), 4);
    }
  }

  /**
   * A pod of the Job ended. NonIndexed: the Job takes `status`. Indexed: the index ends, the Job
   * status follows the Indexed rules (fake-indexed-jobs.ts); without backoffLimitPerIndex a
   * failed index fails the Job and its other pods are deleted, as the Job controller does.
   */
  private podEnded(
    ns: string,
    job: K8sObject,
    podName: string,
    ok: boolean,
    status: Record<string, unknown>,
  ): void {
    const state = this.indexed.get(job.metadata.uid as string);
    if (!state) return this.setJobStatus(ns, job.metadata.name, status);
    const index = Number(
      this.api.get('pods', ns, podName)?.metadata.annotations?.[COMPLETION_INDEX],
    );
    const ended = state.ended(index, ok);
    this.setJobStatus(ns, job.metadata.name, ended.status);
    if (!ended.stopOthers) return;
    for (const pod of this.api.list('pods', ns, `controller-uid=${job.metadata.uid as string}`)) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (pod.metadata.name !== podName && phase !== 'Succeeded' && phase !== 'Failed')
        this.api.deletePod(ns, pod.metadata.name);
    }
  }

  private finish(
    ns: string,
    job: K8sObject,
    podName: string,
    cname: string,
    scenario: Scenario,
  ): void {
    if (!this.api.get('pods', ns, podName)) return;
    if (scenario === 'succeed') {
      this.api.appendLog(ns, podName, 'step 1/2\nstep 2/2\ndone\n');
      this.api.endLog(ns, podName);
      this.setPod(ns, podName, terminated(cname, 'Succeeded', 'Completed', 0));
      return this.podEnded(ns, job, podName, true, {
        active: 0,
        succeeded: 1,
        completionTime: new Date().toISOString(),
        conditions: [condition('SuccessCriteriaMet', ''), condition('Complete', '')],
      });
    }
    this.api.endLog(ns, podName);
    let jobReason = 'BackoffLimitExceeded';
    let jobMessage = 'Job has reached the specified backoff limit';
    if (scenario === 'error') {
      this.setPod(ns, podName, terminated(cname, 'Failed', 'Error', 1));
    } else if (scenario === 'oom') {
      this.setPod(ns, podName, terminated(cname, 'Failed', 'OOMKilled', 137));
    } else if (scenario === 'evicted') {
      this.setPod(ns, podName, {
        phase: 'Failed',
        reason: 'Evicted',
        message:
          'The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi.',
        containerStatuses: [
          {
            name: cname,
            state: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137 } },
          },
        ],
      });
    } else if (scenario === 'deadline') {
      jobReason = 'DeadlineExceeded';
      jobMessage = 'Job was active longer than specified deadline';
      this.setPod(ns, podName, {
        phase: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'Pod was active on the node longer than the specified deadline',
      });
    }
    this.podEnded(ns, job, podName, false, {
      active: 0,
      failed: 1,
      conditions: [
        condition('FailureTarget', jobReason, jobMessage),
        condition('Failed', jobReason, jobMessage),
      ],
    });
  }

  private runPod(
    ns: string,
    job: K8sObject,
    podName: string,
    podSpec: PodSpecView | undefined,
    oomOnSigkill: boolean,
  ): void {
    const containers = (podSpec?.containers ?? []).filter((c) => c.command?.length);
    if (containers.length === 0 || !this.api.get('pods', ns, podName)) return;
    const dirs = new Map<string, string>();
    for (const v of podSpec?.volumes ?? [])
      if (v.emptyDir) dirs.set(v.name, fs.mkdtempSync(path.join(os.tmpdir(), `${podName}-`)));
    const ended = new Map<string, { exit: number; signal: NodeJS.Signals | null }>();
    const statuses = () =>
      containers.map((c) => {
        const end = ended.get(c.name);
        return end
          ? terminatedStatus(c.name, reasonOf(end, oomOnSigkill), end.exit)
          : runningStatus(c.name);
      });
    this.setPod(ns, podName, {
      phase: 'Running',
      podIP: '10.0.0.7',
      containerStatuses: statuses(),
    });
    for (const c of containers) {
      this.api.appendLog(ns, podName, '', c.name);
      const child = this.spawnContainer(ns, podName, c, dirs);
      const key = `${podName}/${c.name}`;
      this.children.set(key, child);
      child.on('close', (code, signal) => {
        this.children.delete(key);
        this.api.endLog(ns, podName, c.name);
        ended.set(c.name, { exit: code ?? (signal === 'SIGKILL' ? 137 : 143), signal });
        if (!this.api.get('pods', ns, podName)) return this.cleanUp(dirs, containers, ended);
        if (ended.size < containers.length)
          return this.setPod(ns, podName, { phase: 'Running', containerStatuses: statuses() });
        this.cleanUp(dirs, containers, ended);
        const ok = [...ended.values()].every((e) => e.exit === 0);
        this.setPod(ns, podName, {
          phase: ok ? 'Succeeded' : 'Failed',
          containerStatuses: statuses(),
        });
        this.podEnded(
          ns,
          job,
          podName,
          ok,
          ok
            ? { active: 0, succeeded: 1, conditions: [condition('Complete', '')] }
            : {
                active: 0,
                failed: 1,
                conditions: [
                  condition(
                    'Failed',
                    'BackoffLimitExceeded',
                    'Job has reached the specified backoff limit',
                  ),
                ],
              },
        );
      });
    }
  }

  private cleanUp(
    dirs: Map<string, string>,
    containers: ContainerSpec[],
    ended: Map<string, unknown>,
  ): void {
    if (ended.size < containers.length) return;
    for (const dir of dirs.values()) fs.rmSync(dir, { recursive: true, force: true });
  }

  /** One container as a local process: its environment resolved, emptyDir paths mapped. */
  private spawnContainer(
    ns: string,
    podName: string,
    container: ContainerSpec,
    dirs: Map<string, string>,
  ): ChildProcess {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.options.env,
    };
    for (const from of container.envFrom ?? []) {
      Object.assign(env, this.options.configMaps?.[from.configMapRef?.name ?? ''] ?? {});
    }
    const annotations = this.api.get('pods', ns, podName)?.metadata.annotations ?? {};
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      // The downward API: an Indexed pod's JOB_COMPLETION_INDEX is a fieldRef to its annotation.
      const field = /^metadata\.annotations\['(.+)'\]$/.exec(
        e.valueFrom?.fieldRef?.fieldPath ?? '',
      );
      const value = ref
        ? this.options.secrets?.[ref.name]?.[ref.key]
        : field
          ? annotations[field[1]]
          : e.value;
      if (value !== undefined) env[e.name] = value;
    }
    const mounts = (container.volumeMounts ?? []).flatMap((m) => {
      const dir = dirs.get(m.name);
      return dir ? [{ from: m.mountPath, to: dir }] : [];
    });
    const mapPath = (v: string) => {
      for (const m of mounts)
        if (v === m.from || v.startsWith(`${m.from}/`)) return m.to + v.slice(m.from.length);
      return v;
    };
    for (const name of (container.env ?? []).map((e) => e.name))
      if (env[name] !== undefined) env[name] = mapPath(env[name]);
    const command = container.command as string[];
    const [cmd, ...args] = (this.options.command?.(command) ?? command).map(mapPath);
    const child = spawn(cmd, args, {
      cwd: this.options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = (d: Buffer) => this.api.appendLog(ns, podName, d.toString('utf8'), container.name);
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    return child;
  }

  private killChildrenOf(job: K8sObject): void {
    for (const [key, child] of this.children) {
      if (key.startsWith(`${job.metadata.name}-`)) child.kill('SIGTERM');
    }
  }

  private setPod(ns: string, name: string, status: Record<string, unknown>): void {
    this.api.update('pods', ns, name, (p) => {
      const scheduled = status.phase !== 'Pending' || !(status.conditions as unknown[] | undefined);
      p.spec = { ...p.spec, ...(scheduled ? { nodeName: 'node-1' } : {}) };
      p.status = {
        ...(scheduled ? { conditions: [{ type: 'PodScheduled', status: 'True' }] } : {}),
        ...status,
      };
    });
  }

  private setJobStatus(ns: string, name: string, status: Record<string, unknown>): void {
    this.api.update('jobs', ns, name, (j) => {
      j.status = { ...j.status, ...status };
    });
  }
}

function condition(type: string, reason: string, message = '') {
  const now = new Date().toISOString();
  return { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now };
}

function waiting(name: string, reason: string, message: string): Record<string, unknown> {
  return {
    phase: 'Pending',
    containerStatuses: [
      { name, ready: false, restartCount: 0, state: { waiting: { reason, message } } },
    ],
  };
}

function runningStatus(name: string): Record<string, unknown> {
  return {
    name,
    ready: true,
    restartCount: 0,
    started: true,
    state: { running: { startedAt: new Date().toISOString() } },
  };
}

function terminatedStatus(name: string, reason: string, exitCode: number): Record<string, unknown> {
  return {
    name,
    ready: false,
    restartCount: 0,
    state: { terminated: { reason, exitCode, finishedAt: new Date().toISOString() } },
  };
}

/** What the kubelet reports for a container that ended this way. */
function reasonOf(
  end: { exit: number; signal: NodeJS.Signals | null },
  oomOnSigkill: boolean,
): string {
  if (end.exit === 0) return 'Completed';
  return oomOnSigkill && end.signal === 'SIGKILL' ? 'OOMKilled' : 'Error';
}

function running(name: string): Record<string, unknown> {
  return {
    phase: 'Running',
    podIP: '10.0.0.7',
    containerStatuses: [
      {
        name,
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: new Date().toISOString() } },
      },
    ],
  };
}

function terminated(
  name: string,
  phase: string,
  reason: string,
  exitCode: number,
): Record<string, unknown> {
  return {
    phase,
    containerStatuses: [
      {
        name,
        ready: false,
        restartCount: 0,
        state: { terminated: { reason, exitCode, finishedAt: new Date().toISOString() } },
      },
    ],
  };
}
