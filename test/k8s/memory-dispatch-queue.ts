/**
 * In-memory DispatchQueue with the semantics the PostgreSQL one must have: atomic claim,
 * attempts counted on requeue and failure at maxAttempts, and the terminal-state rule
 * (requeue/fail/markCancelled never override succeeded/failed/cancelled).
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
  resources?: JobToDispatch['resources'];
  status: RowStatus;
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
      status: 'queued',
      attempts: 1,
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

  async listQueued(limit: number): Promise<JobToDispatch[]> {
    return [...this.rows.values()]
      .filter((r) => r.status === 'queued' && r.executor === null && !r.cancelRequested)
      .slice(0, limit)
      .map((r) => ({
        id: r.id,
        projectId: r.projectId,
        kind: r.kind,
        attempt: r.attempts,
        resources: r.resources,
      }));
  }

  async claim(jobId: string): Promise<boolean> {
    const r = this.rows.get(jobId);
    if (!r || r.status !== 'queued' || r.executor !== null) return false;
    r.executor = 'kubernetes';
    return true;
  }

  async setExternalId(jobId: string, externalId: string): Promise<void> {
    this.row(jobId).externalId = externalId;
  }

  async markPending(jobId: string, reason: string): Promise<void> {
    this.events.push({ jobId, level: 'pending', message: reason });
  }

  async markRunning(jobId: string, message: string): Promise<void> {
    this.events.push({ jobId, level: 'running', message });
  }

  async requeue(jobId: string, reason: string): Promise<void> {
    const r = this.rows.get(jobId);
    if (!r || FINAL.has(r.status)) return;
    this.events.push({ jobId, level: 'requeue', message: reason });
    if (r.attempts >= r.maxAttempts) {
      r.status = 'failed';
      r.error = `${reason} (attempt ${r.attempts} of ${r.maxAttempts})`;
      return;
    }
    r.attempts += 1;
    r.status = 'queued';
    r.executor = null;
    r.externalId = null;
  }

  async fail(jobId: string, reason: string): Promise<void> {
    const r = this.rows.get(jobId);
    if (!r || FINAL.has(r.status)) return;
    this.events.push({ jobId, level: 'fail', message: reason });
    r.status = 'failed';
    r.error = reason;
  }

  async markCancelled(jobId: string, reason: string): Promise<void> {
    const r = this.rows.get(jobId);
    if (!r || FINAL.has(r.status)) return;
    this.events.push({ jobId, level: 'cancelled', message: reason });
    r.status = 'cancelled';
  }

  async cancelRequested(): Promise<string[]> {
    return [...this.rows.values()]
      .filter((r) => r.cancelRequested && r.executor === 'kubernetes' && !FINAL.has(r.status))
      .map((r) => r.id);
  }

  async appendEvent(jobId: string, level: EventLevel, message: string): Promise<void> {
    this.events.push({ jobId, level, message });
  }

  async activeDispatched(): Promise<DispatchedJob[]> {
    return [...this.rows.values()]
      .filter(
        (r) => r.executor === 'kubernetes' && (r.status === 'queued' || r.status === 'running'),
      )
      .map((r) => ({
        id: r.id,
        projectId: r.projectId,
        kind: r.kind,
        attempt: r.attempts,
        resources: r.resources,
        externalId: r.externalId,
        status: r.status as 'queued' | 'running',
      }));
  }
}
