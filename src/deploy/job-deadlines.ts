/**
 * Cancellation and timeouts of the Jobs the executor tracks, once per dispatch pass: a cancel
 * requested in the database deletes the Job (a running worker first gets the grace period to
 * stop itself), and a pod that stays unschedulable or cannot pull its image fails its job.
 */
import type { ExecutorState } from './executor-state';

/** How long a failed Job waits for its pod's status before it is settled without it. */
export const POD_WAIT_MS = 30_000;

export async function handleCancellations(state: ExecutorState): Promise<void> {
  const { config, queue } = state;
  const open = [...state.tracked.values()].filter((t) => !t.settled && !t.deleting);
  if (open.length === 0) return;
  const ids = new Set(await queue.cancelRequested([...new Set(open.map((t) => t.jobId))]));
  if (ids.size === 0) return;
  const now = state.clock.now();
  for (const t of open) {
    if (!ids.has(t.jobId) || t.settled || t.deleting) continue;
    if (t.running) {
      // The worker sees the cancel flag in the database and stops at its next step; the Job
      // is deleted only if it has not ended after the grace period.
      t.cancelSince ??= now;
      if (now - t.cancelSince < config.cancelGraceSeconds * 1000) continue;
    }
    await state.settleByDeleting(t, () =>
      queue.markCancelled(
        t.jobId,
        t.running
          ? `the worker did not stop within ${config.cancelGraceSeconds}s; Kubernetes Job ${t.name} deleted`
          : `cancelled before its pod started; Kubernetes Job ${t.name} deleted`,
      ),
    );
  }
}

/** `evaluate` settles a failed Job whose pod never showed up (see POD_WAIT_MS). */
export async function handleTimeouts(
  state: ExecutorState,
  evaluate: (name: string) => void,
): Promise<void> {
  const { config, queue } = state;
  const now = state.clock.now();
  for (const t of [...state.tracked.values()]) {
    if (
      !t.settled &&
      t.failedWithoutPodSince !== undefined &&
      now - t.failedWithoutPodSince >= POD_WAIT_MS
    ) {
      t.podSeen = true;
      evaluate(t.name);
      continue;
    }
    if (t.settled || t.deleting || t.pendingSince === undefined || t.running) continue;
    const limit =
      t.pendingReason === 'Unschedulable'
        ? config.unschedulableTimeoutSeconds
        : t.pendingReason === 'ImagePull' || t.pendingReason === 'ContainerConfig'
          ? config.imagePullTimeoutSeconds
          : undefined;
    if (limit === undefined || now - t.pendingSince < limit * 1000) continue;
    await state.settleByDeleting(t, () =>
      queue.fail(
        t.jobId,
        `pod stayed ${t.pendingReason} for more than ${limit}s (${t.lastKey}); Kubernetes Job ${t.name} deleted`,
      ),
    );
  }
}
