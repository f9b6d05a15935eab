import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Role } from './roles';

/** A key as listed (never its hash). */
export interface KeyRow {
  id: string;
  projectId: string;
  project: string;
  name: string;
  role: Role;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What authentication needs of a live key. */
export interface ActiveKey {
  id: string;
  projectId: string;
  project: string;
  role: Role;
  expiresAt: Date | null;
}

/** Revocations are announced here (payload: the key's hash) so every API process drops it. */
export const KEYS_CHANNEL = 'autodl_api_keys';

type Queryable = DataSource | EntityManager;

const COLUMNS = `k.id, k.project_id AS "projectId", p.name AS project, k.name, k.role,
  k.created_at AS "createdAt", k.expires_at AS "expiresAt", k.last_used_at AS "lastUsedAt",
  k.revoked_at AS "revokedAt"`;

/** The SQL of the `api_keys` table. */
@Injectable()
export class KeysRepository {
  constructor(private readonly db: DataSource) {}

  async insert(
    key: { projectId: string; name: string; role: Role; hash: string; expiresAt: Date | null },
    tx: Queryable = this.db,
  ): Promise<KeyRow> {
    const [{ id }]: { id: string }[] = await tx.query(
      `INSERT INTO api_keys (project_id, name, role, hash, expires_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id`,
      [key.projectId, key.name, key.role, key.hash, key.expiresAt],
    );
    const rows: KeyRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.id = $1`,
      [id],
    );
    return rows[0];
  }

  /**
   * Serialises the first start's bootstrap across processes (until `tx` ends): one of several
   * concurrent starters creates the admin key, the others then see it.
   */
  async lockBootstrap(tx: Queryable): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(7230001)`);
  }

  async count(tx: Queryable = this.db): Promise<number> {
    const [{ n }]: { n: number }[] = await tx.query(`SELECT count(*)::int AS n FROM api_keys`);
    return n;
  }

  /** The key with this hash if it is neither revoked nor expired. */
  async findActiveByHash(hash: string): Promise<ActiveKey | null> {
    const rows: ActiveKey[] = await this.db.query(
      `SELECT k.id, k.project_id AS "projectId", p.name AS project, k.role,
              k.expires_at AS "expiresAt"
         FROM api_keys k JOIN projects p ON p.id = k.project_id
        WHERE k.hash = $1 AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > now())`,
      [hash],
    );
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<KeyRow | null> {
    const rows: KeyRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Keys of one project (or of all, for admins), newest first. */
  async list(filter: { projectId?: string; includeRevoked: boolean }): Promise<KeyRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.projectId) {
      params.push(filter.projectId);
      where.push(`k.project_id = $${params.length}`);
    }
    if (!filter.includeRevoked) where.push('k.revoked_at IS NULL');
    return this.db.query(
      `SELECT ${COLUMNS} FROM api_keys k JOIN projects p ON p.id = k.project_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY k.created_at DESC, k.id`,
      params,
    );
  }

  /**
   * Revokes the key and announces it on KEYS_CHANNEL in the same statement (NOTIFY is delivered
   * at commit). Returns null when there is no such live key.
   */
  async revoke(id: string): Promise<KeyRow | null> {
    const rows: { id: string }[] = await this.db.query(
      `WITH revoked AS (
         UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
         RETURNING id, hash)
       SELECT id, pg_notify('${KEYS_CHANNEL}', hash) FROM revoked`,
      [id],
    );
    return rows.length ? this.findById(id) : null;
  }

  /** Records a use; skipped in SQL when the last one is under a minute old. */
  async touch(id: string): Promise<void> {
    await this.db.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }
}
