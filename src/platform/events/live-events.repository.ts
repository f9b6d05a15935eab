import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobEventRow, StreamFilter } from './live-event';

const COLUMNS = `e.id::text AS id, e.job_id AS "jobId", j.project_id AS "projectId", j.kind,
  e.type, e.level, e.message, e.attempt, e.created_at AS time, j.status AS "jobStatus",
  j.progress`;

/** The SQL of the live stream: job_events rows by id (fan-out) and after an id (resume). */
@Injectable()
export class LiveEventsRepository {
  constructor(private readonly db: DataSource) {}

  async byIds(ids: readonly string[]): Promise<JobEventRow[]> {
    if (ids.length === 0) return [];
    return this.db.query(
      `SELECT ${COLUMNS} FROM job_events e JOIN jobs j ON j.id = e.job_id
        WHERE e.id = ANY($1::bigint[]) ORDER BY e.id`,
      [ids],
    );
  }

  /** The project's events after `afterId` (oldest first), at most `limit`. */
  async after(filter: StreamFilter, afterId: string, limit: number): Promise<JobEventRow[]> {
    return this.db.query(
      `SELECT ${COLUMNS} FROM job_events e JOIN jobs j ON j.id = e.job_id
        WHERE j.project_id = $1 AND e.id > $2::bigint
          AND ($3::uuid IS NULL OR e.job_id = $3::uuid) AND ($4::text IS NULL OR j.kind = $4)
        ORDER BY e.id LIMIT $5`,
      [filter.projectId, afterId, filter.jobId ?? null, filter.kind ?? null, limit],
    );
  }
}
