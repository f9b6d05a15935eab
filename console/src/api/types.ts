// Wire types of the REST API as the console reads them (the OpenAPI document at /docs-json is the
// reference; only the fields the pages use are named).

import type { JobStatus } from '../../../src/platform/jobs/job-status';

// The server's own list (pure), so the console and the service agree on what is final.
export {
  isFinishedStatus as isFinished,
  JOB_STATUSES,
  type JobStatus,
} from '../../../src/platform/jobs/job-status';

export interface Job {
  id: string;
  kind: string;
  status: JobStatus;
  progress: number;
  attempts: number;
  maxAttempts?: number;
  priority?: number;
  error: string | null;
  result: Record<string, unknown> | null;
  spec?: Record<string, unknown>;
  createdAt: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  worker?: string | null;
  /** The job that started this one (a study driver for its trials, a NAS run for its candidates). */
  parentId?: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** GET /v1/jobs/:id/events (and the `status`/`log` events of the live stream). */
export interface JobEvent {
  id: string;
  type: 'log' | 'status';
  level: string;
  message: string;
  attempt: number;
  time: string;
}

export interface MetricPoint {
  name: string;
  step: number;
  value: number;
}

export interface Artifact {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  createdAt: string;
}

/** Events of GET /v1/events/stream (src/platform/events/live-event.ts). */
export type LiveEvent =
  | ({ type: 'status'; jobId: string; kind: string; status: JobStatus; jobStatus: JobStatus } & {
      id: string;
      progress: number;
      level: string;
      message: string;
      attempt: number;
      time: string;
    })
  | ({ type: 'log'; jobId: string; kind: string } & Omit<JobEvent, 'type'>)
  | { type: 'progress'; jobId: string; kind: string; progress: number; message: string | null }
  | { type: 'metric'; jobId: string; kind: string; name: string; step: number; value: number };

export interface ApiKey {
  id: string;
  project: string;
  name: string;
  role: 'admin' | 'member' | 'viewer';
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Project {
  id: string;
  name: string;
  allowCommands: boolean;
  createdAt: string;
}

export interface AuditEntry {
  id: string;
  time: string;
  keyId: string;
  project: string | null;
  method: string;
  route: string;
  targetId: string | null;
  status: number;
}

/** GET /v1/admin/queue */
export interface QueueOverview {
  counts: { kind: string; status: JobStatus; count: number }[];
  totals: Partial<Record<JobStatus, number>>;
  oldestQueuedAt: string | null;
  workers: {
    worker: string;
    executor: string | null;
    jobs: number;
    kinds: string[];
    lastHeartbeatAt: string;
  }[];
  pool: { workers: number; coordinators: number };
}
