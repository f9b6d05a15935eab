// Wire types of the REST API as the console reads them (the OpenAPI document at /docs-json is the
// reference; only the fields the pages use are named).

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

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
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
