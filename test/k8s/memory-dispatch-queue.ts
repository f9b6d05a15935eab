/**
 * In-memory DispatchQueue with the semantics PgDispatchQueue has on PostgreSQL (the contract in
 * test/k8s/dispatch-queue-contract.ts runs the same scenarios against both): a row is taken
 * when it carries a Kubernetes Job name, every attempt counts once (by the worker's claim, or by
 * `requeue` when no worker claimed it), and requeue/fail/markCancelled never override a final
 * status. `workerClaim`/`workerFinish` play the part of the worker in the pod.
 */
import type {
  DispatchedJob,
  DispatchQueue,
  EventLevel,
  JobToDispatch,
} from '../../src/deploy/dispatch-queue.port';

export type RowStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Row {
  id: string;
  projectId: string;
  kind: string;
  priority: number;
  resources?: JobToDispatch['resources'];
  placement?: JobToDispatch['placement'];
  trialImage?: string;
  status: RowStatus;
  /** Attempts started (the worker's claim or the executor's requeue counted them). */
  attempts: number;
  maxAttempts: number;
  executor: 'kubernetes' | null;
  externalId: string | null;
  cancelRequested: boolean;
  error?: string;
}

export interface RecordedEvent {
  jobId: string;
  level: EventLevel | 'pending' | 'running' | 'requeue' | 'fail' | 'cancelled';
  message: string;
}

const FINAL = new Set<RowStatus>(['succeeded', 'failed', 'cancelled']);

export class MemoryDispatchQueue implements DispatchQueue {
  readonly rows = new Map<string, Row>();
  readonly events: RecordedEvent[] = [];
  private seq = 0;

  add(row: Partial<Row> & { projectId?: string; kind?: string } = {}): Row {
    this.seq += 1;
    const id = row.id ?? `00000000-0000-4000-8000-${String(this.seq).padStart(12, '0')}`;
    const full: Row = {
      id,
      projectId: 'project-a',
      kind: 'sleep',
      priority: 0,
      status: 'queued',
      attempts: 0,
      maxAttempts: 3,
      executor: null,
      externalId: null,
      cancelRequested: false,
      ...row,
    };
    this.rows.set(id, full);
    return full;
  }

  row(id: string): Row {
    const r = this.rows.get(id);
    if (!r) throw new Error(`no row ${id}`);
    return r;
  }

  eventsOf(jobId: string): RecordedEvent[] {
    return this.events.filter((e) => e.jobId === jobId);
  }

  /** What `worker.js run <id>` does first (JobsRepository.claimById): queued -> running, attempts + 1. */
  workerClaim(jobId: string): boolean {
    const r = this.rows.get(jobId);
    if (!r || r.status !== 'queued') return false;
    r.status = 'running';
    r.attempts += 1;
    return true;
  }

  /** The worker records its outcome (JobsRepository.finish). */
  workerFinish(jobId: string, status: 'succeeded' | 'failed' | 'cancelled'): boolean {
    const r = this.rows.get(jobId);
    if (!r || r.status !== 'running') return false;
    r.status = status;
    return true;
  }

  /** What the API's cancel does (JobsService.cancel): a queued job is cancelled at once. */
  requestCancel(jobId: string): void {
    const r = this.row(jobId);
    if (FINAL.has(r.status)) return;
    r.cancelRequested = true;
    if (r.status === 'queued') r.status = 'cancelled';
  }

  async listQueued(limit: number): Promise<JobToDispatch[]> {
    return [...this.rows.values()]
      .filter((r) => r.status === 'queued' && r.externalId === null && !r.cancelRequested)
      .sort((a, b) => b.priority - a.priority)
      .slice(0, limit)
      .map((r) => ({
        id: r.id,
        projectId: r.projectId,
        kind: r.kind,
        attempt: r.attempts + 1,
        ...(r.resources ? { resources: r.resources } : {}),
        ...(r.placement ? { placement: r.placement } : {}),
        ...(r.trialImage ? { trialImage: r.trialImage } : {}),
      }));
  }

  async claim(job: JobToDispatch, externalId: string): Promise<boolean> {
    const r = this.rows.get(job.id);
    if (
      !r ||
      r.status !== 'queued' ||
      r.externalId !== null ||
      r.cancelRequested ||
      r.attempts + 1 !== job.attempt
    ) {
      return false;
    }
    r.executor = 'kubernetes';
    r.externalId = externalId;
    return true;
  }

  async markPending(jobId: string, reason: string): Promise<void> {
    if (this.rows.has(jobId)) this.events.push({ jobId, level: 'pending', message: reason });
  }

  async markRunning(jobId: string, message: string): Promise<void> {
    if (this.rows.has(jobId)) this.events.push({ jobId, level: 'running', message });
  }

  async requeue(jobId: string, reason: string): Promise<void> {
    const r = this.rows.get(jobId);
    if (!r || FINAL.has(r.status)) return;
    this.events.push({ jobId, level: 'requeue', message: reason });
    // A worker that claimed the row counted this attempt already; otherwise count it here.
    if (r.status === 'queued') r.attempts += 1;
    r.externalId = null;
    if (r.cancelRequested) {
      r.status = 'cancelled';
    } else if (r.attempts >= r.maxAttempts) {
      r.status = 'failed';
      r.error = `${reason} (attempt ${r.attempts} of ${r.maxAttempts})`;
    } else {
      r.status = 'queued';
    }
  }

  async fail(jobId: string, reason: string): Promise<void> {
    const r = this.rows.get(jobId);
    if (!r || FINAL.has(r.status)) return;
    this.events.push({ jobId, level: 'fail', message: reason });
    // A taken row still queued had a Job whose worker never claimed it: count that attempt.
    if (r.status === 'queued' && r.externalId !== null) r.attempts += 1;
    r.status = 'failed';
    r.error = reason;
  }

  async succeedIndexed(jobId: string, message: string): Promise<void> {
    const r = this.rows.get(jobId);
    if (!r || FINAL.has(r.status)) return;
    this.events.push({ jobId, level: 'info', message });
    if (r.status === 'queued' && r.externalId !== null) r.attempts += 1;
    r.status = 'succeeded';
  }

  async markCancelled(jobId: string, reason: string): Promise<void> {
    const r = this.rows.get(jobId);
    if (!r || (FINAL.has(r.status) && r.status !== 'cancelled')) return;
    this.events.push({ jobId, level: 'cancelled', message: reason });
    r.status = 'cancelled';
  }

  async cancelRequested(jobIds: readonly string[]): Promise<string[]> {
    return jobIds.filter((id) => this.rows.get(id)?.cancelRequested === true);
  }

  async appendEvent(jobId: string, level: EventLevel, message: string): Promise<void> {
    if (this.rows.has(jobId)) this.events.push({ jobId, level, message });
  }

  async activeDispatched(): Promise<DispatchedJob[]> {
    return [...this.rows.values()]
      .filter((r) => r.externalId !== null && (r.status === 'queued' || r.status === 'running'))
      .map((r) => ({
        id: r.id,
        projectId: r.projectId,
        kind: r.kind,
        attempt: r.status === 'queued' ? r.attempts + 1 : r.attempts,
        ...(r.resources ? { resources: r.resources } : {}),
        ...(r.placement ? { placement: r.placement } : {}),
        ...(r.trialImage ? { trialImage: r.trialImage } : {}),
        externalId: r.externalId as string,
        status: r.status as 'queued' | 'running',
      }));
  }
}
