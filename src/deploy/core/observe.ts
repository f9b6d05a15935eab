/**
 * Maps what Kubernetes reports about a Job and its Pod to one of our job-level observations.
 * Reasons follow the kubelet and Job controller vocabulary (k8s.io/kubernetes pkg/kubelet
 * images/types.go, pkg/controller/job): `Unschedulable`, `ErrImagePull`/`ImagePullBackOff`,
 * `OOMKilled`, `Evicted`, `DeadlineExceeded`, `BackoffLimitExceeded`.
 */
import type { JobView, PodView } from './k8s-types';

export type PendingReason =
  'Unschedulable' | 'ImagePull' | 'ContainerConfig' | 'ContainerCreating' | 'Scheduling' | 'Queued';

/** The label Kueue reads to put a Job into a LocalQueue (kueue.x-k8s.io/v1beta1). */
export const KUEUE_QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';

export type FailureReason = 'OOMKilled' | 'Evicted' | 'DeadlineExceeded' | 'Error';

export type Observation =
  | { state: 'pending'; reason: PendingReason; message: string }
  | { state: 'running'; message: string }
  | { state: 'succeeded'; message: string }
  | { state: 'failed'; reason: FailureReason; message: string; retryable: boolean };

const IMAGE_PULL = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);
const CONFIG_ERROR = new Set(['CreateContainerConfigError', 'CreateContainerError']);

/** A Job condition the controller sets when the Job is over (batch/v1 JobConditionType). */
function finishedCondition(
  job: JobView | undefined,
): { type: string; reason?: string; message?: string } | undefined {
  for (const c of job?.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      return { type: c.type, reason: c.reason, message: c.message };
    }
  }
  return undefined;
}

function terminatedOf(
  pod: PodView,
): { reason?: string; message?: string; exitCode?: number } | undefined {
  // A trial pod has two containers: the one that failed says why, not the one that exited 0.
  const ended = (pod.status?.containerStatuses ?? []).flatMap((cs) =>
    cs.state?.terminated ? [cs.state.terminated] : [],
  );
  return ended.find((t) => t.exitCode !== 0) ?? ended[0];
}

/** Failure of a pod that reached phase Failed, most specific cause first. */
function podFailure(pod: PodView): Observation {
  const status = pod.status ?? {};
  if (status.reason === 'Evicted') {
    // The node ran short of memory/disk and the kubelet killed the pod: not the job's fault.
    return {
      state: 'failed',
      reason: 'Evicted',
      message: status.message ?? 'pod evicted',
      retryable: true,
    };
  }
  if (status.reason === 'DeadlineExceeded') {
    return {
      state: 'failed',
      reason: 'DeadlineExceeded',
      message: status.message ?? 'pod exceeded its active deadline',
      retryable: false,
    };
  }
  const term = terminatedOf(pod);
  if (term?.reason === 'OOMKilled') {
    // Re-queued (bounded by max_attempts): the job resumes from its checkpoint, and the event
    // tells the user to raise the memory request if it keeps happening.
    return {
      state: 'failed',
      reason: 'OOMKilled',
      message: `container killed for exceeding its memory limit (exit code ${term.exitCode ?? 137})`,
      retryable: true,
    };
  }
  const detail = term
    ? `container exited with code ${term.exitCode ?? '?'}${term.reason ? ` (${term.reason})` : ''}${term.message ? `: ${term.message}` : ''}`
    : (status.message ?? 'pod failed');
  return { state: 'failed', reason: 'Error', message: detail, retryable: true };
}

/**
 * One observation for the current (Job, Pod) pair. `pod` is the newest pod of the Job, if any.
 * Returns undefined while there is nothing to say yet (Job created, no pod yet).
 */
export function observe(
  job: JobView | undefined,
  pod: PodView | undefined,
): Observation | undefined {
  if (pod) {
    const status = pod.status ?? {};
    if (status.phase === 'Succeeded') return { state: 'succeeded', message: 'pod succeeded' };
    if (status.phase === 'Failed') return podFailure(pod);
  }
  const finished = finishedCondition(job);
  if (finished?.type === 'Complete') return { state: 'succeeded', message: 'job complete' };
  if (finished?.type === 'Failed') {
    if (finished.reason === 'DeadlineExceeded') {
      return {
        state: 'failed',
        reason: 'DeadlineExceeded',
        message: finished.message ?? 'job was active longer than activeDeadlineSeconds',
        retryable: false,
      };
    }
    // BackoffLimitExceeded and friends: the pod's own failure is more precise. Job and Pod
    // watches are separate streams, so the Job may report failure before we see the pod's
    // final status: wait for it while the pod still exists.
    if (pod) return undefined;
    return {
      state: 'failed',
      reason: 'Error',
      message: `${finished.reason ?? 'Failed'}: ${finished.message ?? 'job failed'}`,
      retryable: true,
    };
  }
  if (!pod && job?.spec?.suspend === true) {
    // Created suspended for Kueue: no pod until its ClusterQueue has quota and admits it.
    const queue = job.metadata?.labels?.[KUEUE_QUEUE_LABEL];
    return {
      state: 'pending',
      reason: 'Queued',
      message: queue ? `waiting for quota in queue ${queue}` : 'suspended',
    };
  }
  if (!pod) return undefined;
  const status = pod.status ?? {};
  if (status.phase === 'Running') {
    return {
      state: 'running',
      message: `pod ${pod.metadata?.name ?? '?'} running on ${pod.spec?.nodeName ?? '?'}`,
    };
  }
  for (const cs of status.containerStatuses ?? []) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
      return {
        state: 'pending',
        reason: 'ImagePull',
        message: `${waiting.reason}: ${waiting.message ?? ''}`.trim(),
      };
    }
    if (waiting?.reason && CONFIG_ERROR.has(waiting.reason)) {
      return {
        state: 'pending',
        reason: 'ContainerConfig',
        message: `${waiting.reason}: ${waiting.message ?? ''}`.trim(),
      };
    }
  }
  const scheduled = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      state: 'pending',
      reason: 'Unschedulable',
      message: scheduled.message ?? 'no node fits the pod',
    };
  }
  if (scheduled?.status === 'True') {
    return {
      state: 'pending',
      reason: 'ContainerCreating',
      message: 'pod scheduled, starting container',
    };
  }
  return { state: 'pending', reason: 'Scheduling', message: 'waiting for the scheduler' };
}

/** Stable key of an observation, to act on changes only (watch events repeat states). */
export function observationKey(o: Observation): string {
  return o.state === 'pending' || o.state === 'failed' ? `${o.state}:${o.reason}` : o.state;
}
