import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface QueueCount {
  kind: string;
  status: string;
  count: number;
}

export interface SeenWorker {
  worker: string;
  executor: string | null;
  jobs: number;
  kinds: string[];
  lastHeartbeatAt: Date;
}

/**
 * Read-only aggregates of `jobs` over every project: queue depth and the workers seen by
 * heartbeats (the admin page), jobs by status (/metrics). Kept apart from JobsRepository, which
 * owns every write and the project-scoped reads: these answer monitoring, never a project.
 */
@Injectable()
export class QueueStatsRepository {
  constructor(private readonly db: DataSource) {}

  async counts(): Promise<QueueCount[]> {
    return this.db.query(
      `SELECT kind, status, count(*)::int AS count FROM jobs GROUP BY kind, status
        ORDER BY kind, status`,
    );
  }

  async oldestQueuedAt(): Promise<Date | null> {
    const [row]: { oldest: Date | null }[] = await this.db.query(
      `SELECT min(created_at) AS oldest FROM jobs WHERE status = 'queued'`,
    );
    return row?.oldest ?? null;
  }

  /** Workers running a job whose heartbeat is at most `withinMs` old. */
  async workers(withinMs: number): Promise<SeenWorker[]> {
    return this.db.query(
      `SELECT worker_id AS worker, max(executor) AS executor, count(*)::int AS jobs,
              array_agg(DISTINCT kind ORDER BY kind) AS kinds, max(heartbeat_at) AS "lastHeartbeatAt"
         FROM jobs
        WHERE status = 'running' AND worker_id IS NOT NULL
          AND heartbeat_at > now() - make_interval(secs => $1 / 1000.0)
        GROUP BY worker_id ORDER BY worker_id`,
      [withinMs],
    );
  }

  /** Jobs per status (statuses without jobs are absent). */
  byStatus(): Promise<{ status: string; n: number }[]> {
    return this.db.query(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`);
  }

  async queuedCount(): Promise<number> {
    const [{ n }]: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM jobs WHERE status = 'queued'`,
    );
    return n;
  }
}
