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

/** Queue depth and the workers seen by heartbeats, over every project (admin page). */
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
}
