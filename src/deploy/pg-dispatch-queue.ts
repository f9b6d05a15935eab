/**
 * DispatchQueue on PostgreSQL: an adapter of the platform's JobsRepository (its `dispatch*`
 * methods; the SQL is in src/platform/jobs/dispatch-statements.ts), which keeps the queue's
 * rules: every transition is one statement guarded by the status it expects (so a worker
 * finishing the row at the same moment wins or loses cleanly, never half-way), and its event is
 * written by the same statement. This file converts rows into the executor's types.
 *
 * Attempts: `jobs.attempts` counts attempts started and each Kubernetes Job is one attempt,
 * counted once. The pod's `worker.js run <jobId>` counts it when it claims the row
 * (JobsRepository.claimById: queued -> running, attempts + 1). If the pod ends before its worker
 * claimed (image pull failure, eviction, a crash at start-up, deadline), the row is still
 * `queued` and `requeue`/`fail` count the attempt instead; a `running` row is not counted twice.
 * So OOM-killed pods do not retry forever, and `attempts` means the same as with the local
 * executor (whose pool worker counts in JobsRepository.claimNext).
 */
import type {
  ActiveDispatchRow,
  DispatchRow,
  JobsRepository,
} from '../platform/jobs/jobs.repository';
import { listenForQueuedJobs } from '../platform/jobs/queue-listener';
import type {
  DispatchedJob,
  DispatchQueue,
  EventLevel,
  JobToDispatch,
} from './dispatch-queue.port';

export class PgDispatchQueue implements DispatchQueue {
  constructor(
    private readonly jobs: JobsRepository,
    /** For the LISTEN connection; null: no push, the dispatch interval finds the work. */
    private readonly databaseUrl: string | null,
  ) {}

  /**
   * LISTEN on the channel every enqueue, retry and re-queue notifies, as the local pool's
   * WorkerLoop does; if the connection drops, the executor's dispatch interval still finds the
   * work.
   */
  async onQueued(wake: () => void): Promise<() => Promise<void>> {
    if (!this.databaseUrl) return async () => undefined;
    const listener = await listenForQueuedJobs({
      databaseUrl: this.databaseUrl,
      applicationName: 'autodl-k8s-dispatch',
      onQueued: wake,
    });
    return () => listener.close();
  }

  async listQueued(limit: number): Promise<JobToDispatch[]> {
    const rows = await this.jobs.dispatchable(limit);
    return rows.map((r) => toDispatch(r, r.attempts + 1));
  }

  claim(job: JobToDispatch, externalId: string): Promise<boolean> {
    return this.jobs.takeForDispatch(job.id, externalId, job.attempt);
  }

  // Pod transitions are `log` events: `status` events are the row's own transitions, which
  // clients (and `autodl jobs`) read as the job's status history.
  markPending(jobId: string, reason: string): Promise<void> {
    return this.jobs.appendDispatchEvent(jobId, 'warn', `pod pending: ${reason}`);
  }

  markRunning(jobId: string, message: string): Promise<void> {
    return this.jobs.appendDispatchEvent(jobId, 'info', `pod running: ${message}`);
  }

  requeue(jobId: string, reason: string): Promise<void> {
    return this.jobs.requeueDispatched(jobId, reason);
  }

  fail(jobId: string, reason: string): Promise<void> {
    return this.jobs.failDispatched(jobId, reason);
  }

  succeedIndexed(jobId: string, message: string): Promise<void> {
    return this.jobs.succeedIndexedDispatched(jobId, message);
  }

  markCancelled(jobId: string, reason: string): Promise<void> {
    return this.jobs.markDispatchedCancelled(jobId, reason);
  }

  cancelRequested(jobIds: readonly string[]): Promise<string[]> {
    return this.jobs.cancelRequested(jobIds);
  }

  appendEvent(jobId: string, level: EventLevel, message: string): Promise<void> {
    return this.jobs.appendDispatchEvent(jobId, level, message);
  }

  async activeDispatched(): Promise<DispatchedJob[]> {
    const rows: ActiveDispatchRow[] = await this.jobs.activeDispatched();
    return rows.map((r) => ({
      ...toDispatch(r, r.status === 'queued' ? r.attempts + 1 : r.attempts),
      externalId: r.external_id,
      status: r.status,
    }));
  }
}

function toDispatch(row: DispatchRow, attempt: number): JobToDispatch {
  const resources = readResources(row.resources);
  const placement = readPlacement(row.placement);
  return {
    id: row.id,
    projectId: row.project_id,
    kind: row.kind,
    attempt,
    ...(resources ? { resources } : {}),
    ...(placement ? { placement } : {}),
    ...(typeof row.trial_image === 'string' ? { trialImage: row.trial_image } : {}),
  };
}

/**
 * `spec.placement` ({namespace, nodeSelector?, completions?}) of kinds that place their pods;
 * anything malformed is passed on so that buildJobManifest refuses it with a reason.
 */
function readPlacement(raw: unknown): JobToDispatch['placement'] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const p = raw as Record<string, unknown>;
  const selector =
    typeof p.nodeSelector === 'object' && p.nodeSelector !== null
      ? Object.fromEntries(
          Object.entries(p.nodeSelector as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        )
      : {};
  return {
    namespace: String(p.namespace),
    nodeSelector: selector,
    completions: p.completions === undefined ? 1 : Number(p.completions),
  };
}

/**
 * `spec.resources` of kinds that accept one ({gpu?, cpu?, memory?, gpuType?}). Values of the wrong type
 * are passed on in a form resolveResources rejects with a message naming the field, so the job
 * fails with that reason instead of being skipped silently.
 */
function readResources(raw: unknown): JobToDispatch['resources'] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const out: NonNullable<JobToDispatch['resources']> = {};
  if (r.gpu !== undefined && r.gpu !== null) out.gpu = typeof r.gpu === 'number' ? r.gpu : NaN;
  if (r.cpu !== undefined && r.cpu !== null) out.cpu = String(r.cpu);
  if (r.memory !== undefined && r.memory !== null) out.memory = String(r.memory);
  if (typeof r.gpuType === 'string') out.gpuType = r.gpuType;
  return Object.keys(out).length > 0 ? out : undefined;
}
