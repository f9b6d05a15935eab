import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AuditEntry {
  keyId: string;
  projectId: string;
  method: string;
  route: string;
  targetId: string | null;
  status: number;
}

export interface AuditRow extends AuditEntry {
  id: string;
  project: string | null;
  createdAt: Date;
}

/** The SQL of the `audit_log` table. */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: DataSource) {}

  async insert(e: AuditEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (key_id, project_id, method, route, target_id, status)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [e.keyId, e.projectId, e.method, e.route, e.targetId, e.status],
    );
  }

  /** Newest first; `projectId` narrows to one project. */
  async list(filter: {
    projectId?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: AuditRow[]; total: number }> {
    const params: unknown[] = [];
    let where = '';
    if (filter.projectId) {
      params.push(filter.projectId);
      where = `WHERE a.project_id = $1`;
    }
    const [{ total }]: { total: number }[] = await this.db.query(
      `SELECT count(*)::int AS total FROM audit_log a ${where}`,
      params,
    );
    const items: AuditRow[] = await this.db.query(
      `SELECT a.id::text AS id, a.key_id AS "keyId", a.project_id AS "projectId", p.name AS project,
              a.method, a.route, a.target_id AS "targetId", a.status, a.created_at AS "createdAt"
         FROM audit_log a LEFT JOIN projects p ON p.id = a.project_id ${where}
        ORDER BY a.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    return { items, total };
  }
}
