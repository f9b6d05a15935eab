/**
 * The SQL of remote sites: which `site` key belongs to which federation site, and the work items
 * the coordinator posts for an agent and the agent answers. Nothing else touches collab_site_work.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SiteControlState } from '../core/scaffold';
import { decodeWeights, encodeWeights } from '../federation-checkpoint';

export interface SiteBinding {
  federationId: string;
  projectId: string;
  site: string;
}

export interface WorkItem {
  id: string;
  federationId: string;
  site: string;
  round: number;
  attempt: number;
  /** `stats`: CCVR's per-class feature statistics under the final global weights. */
  kind: 'train' | 'evaluate' | 'stats';
  status: 'pending' | 'taken' | 'done' | 'expired';
  task: Record<string, unknown>;
  globalState: Buffer;
  sharedState: Buffer | null;
  report: Record<string, number | null> | null;
  /**
   * An evaluate item's answer: the site's confusion matrix on its test split, [true][predicted]
   * counts (the registry's evaluation merges them; counts only, never an example).
   */
  confusion: number[][] | null;
}

/** TypeORM answers UPDATE ... RETURNING on PostgreSQL with [rows, count], INSERT with rows. */
function returnedRows<T>(result: unknown): T[] {
  const r = result as unknown[];
  return (Array.isArray(r[0]) ? r[0] : r) as T[];
}

function workItem(r: Record<string, unknown>): WorkItem {
  // The confusion matrix rides in the report's JSON under its own key (no schema change).
  const { confusion, ...report } = (r.report as Record<string, unknown> | null) ?? {};
  return {
    id: String(r.id),
    federationId: String(r.federation_id),
    site: String(r.site),
    round: Number(r.round),
    attempt: Number(r.attempt),
    kind: r.kind as WorkItem['kind'],
    status: r.status as WorkItem['status'],
    task: r.task as Record<string, unknown>,
    globalState: r.global_state as Buffer,
    sharedState: (r.shared_state as Buffer | null) ?? null,
    report: r.report ? (report as WorkItem['report']) : null,
    confusion: Array.isArray(confusion) ? (confusion as number[][]) : null,
  };
}

@Injectable()
export class SiteWorkRepository {
  constructor(private readonly db: DataSource) {}

  /** The remote site `site` of a federation of the project, if it is one. */
  async remoteSite(
    projectId: string,
    federationId: string,
    site: string,
  ): Promise<{ keyId: string | null } | null> {
    const rows: { key_id: string | null }[] = await this.db.query(
      `SELECT s.key_id FROM collab_sites s JOIN collab_federations f ON f.id = s.federation_id
        WHERE f.project_id = $1 AND s.federation_id = $2 AND s.name = $3 AND s.placement = 'remote'`,
      [projectId, federationId, site],
    );
    return rows[0] ? { keyId: rows[0].key_id } : null;
  }

  async bindKey(federationId: string, site: string, keyId: string): Promise<void> {
    await this.db.query(
      `UPDATE collab_sites SET key_id = $3 WHERE federation_id = $1 AND name = $2`,
      [federationId, site, keyId],
    );
  }

  /** The federation site a `site` key was issued for (null: none, e.g. its site was deleted). */
  async bindingOf(keyId: string): Promise<SiteBinding | null> {
    const rows: { federation_id: string; project_id: string; name: string }[] = await this.db.query(
      `SELECT s.federation_id, f.project_id, s.name FROM collab_sites s
         JOIN collab_federations f ON f.id = s.federation_id WHERE s.key_id = $1`,
      [keyId],
    );
    return rows[0]
      ? { federationId: rows[0].federation_id, projectId: rows[0].project_id, site: rows[0].name }
      : null;
  }

  /** The federation's job status (the agent stops when it is over). */
  async federationStatus(federationId: string): Promise<string | null> {
    const rows: { status: string }[] = await this.db.query(
      `SELECT status FROM jobs WHERE id = $1`,
      [federationId],
    );
    return rows[0]?.status ?? null;
  }

  async post(
    w: Omit<WorkItem, 'id' | 'status' | 'sharedState' | 'report' | 'confusion'>,
  ): Promise<string> {
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO collab_site_work (federation_id, site, round, attempt, kind, task, global_state)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [w.federationId, w.site, w.round, w.attempt, w.kind, JSON.stringify(w.task), w.globalState],
    );
    return rows[0].id;
  }

  /** Hands the oldest pending item of the site to its agent (taken; a second agent gets the next). */
  async take(federationId: string, site: string): Promise<WorkItem | null> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.db.query(
        `UPDATE collab_site_work SET status = 'taken'
        WHERE id = (SELECT id FROM collab_site_work WHERE federation_id = $1 AND site = $2
                      AND status = 'pending' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
        [federationId, site],
      ),
    );
    return rows[0] ? workItem(rows[0]) : null;
  }

  /** The agent's answer to a taken item of its own site; false when there is no such item. */
  async complete(
    id: string,
    binding: SiteBinding,
    sharedState: Buffer | null,
    report: Record<string, number | null>,
    confusion: number[][] | null = null,
  ): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await this.db.query(
        `UPDATE collab_site_work SET status = 'done', shared_state = $4, report = $5
          WHERE id = $1 AND federation_id = $2 AND site = $3 AND status = 'taken' RETURNING id`,
        [
          id,
          binding.federationId,
          binding.site,
          sharedState,
          JSON.stringify(confusion ? { ...report, confusion } : report),
        ],
      ),
    );
    return rows.length > 0;
  }

  /**
   * A `federation-site` job's item: the pending one of its site, round, attempt and kind (posted
   * before the job was queued). Null: nothing left to do (answered, expired, or taken by an
   * earlier run of the same job that died with it).
   */
  async takeScoped(
    federationId: string,
    site: string,
    scope: { round: number; attempt: number; kind: WorkItem['kind'] },
  ): Promise<WorkItem | null> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.db.query(
        `UPDATE collab_site_work SET status = 'taken'
        WHERE id = (SELECT id FROM collab_site_work WHERE federation_id = $1 AND site = $2
                      AND round = $3 AND attempt = $4 AND kind = $5 AND status = 'pending'
                    ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
        [federationId, site, scope.round, scope.attempt, scope.kind],
      ),
    );
    return rows[0] ? workItem(rows[0]) : null;
  }

  /**
   * An item an earlier attempt of the coordinator posted for the same (site, round, attempt,
   * kind) and nobody expired: a re-queued coordinator adopts it (and keeps its answer, if any)
   * instead of posting the work again. Deterministic seeds make it the same work.
   */
  async findLive(
    federationId: string,
    site: string,
    round: number,
    attempt: number,
    kind: WorkItem['kind'],
  ): Promise<string | null> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM collab_site_work WHERE federation_id = $1 AND site = $2 AND round = $3
          AND attempt = $4 AND kind = $5 AND status <> 'expired' ORDER BY created_at DESC LIMIT 1`,
      [federationId, site, round, attempt, kind],
    );
    return rows[0]?.id ?? null;
  }

  /** The data set of a local site of a federation of the project (null: no such local site). */
  async localSiteDataset(
    projectId: string,
    federationId: string,
    site: string,
  ): Promise<string | null> {
    const rows: { dataset_id: string | null }[] = await this.db.query(
      `SELECT s.dataset_id FROM collab_sites s JOIN collab_federations f ON f.id = s.federation_id
        WHERE f.project_id = $1 AND s.federation_id = $2 AND s.name = $3 AND s.placement = 'local'`,
      [projectId, federationId, site],
    );
    return rows[0]?.dataset_id ?? null;
  }

  async find(id: string): Promise<WorkItem | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM collab_site_work WHERE id = $1`,
      [id],
    );
    return rows[0] ? workItem(rows[0]) : null;
  }

  /**
   * A new attempt of the federation's job: what a dead attempt left open for these (remote)
   * sites is nobody's work now. Sites trained by `federation-site` jobs keep theirs: the new
   * attempt adopts them (findLive).
   */
  async expireOpen(federationId: string, sites: readonly string[]): Promise<void> {
    await this.db.query(
      `UPDATE collab_site_work SET status = 'expired'
        WHERE federation_id = $1 AND site = ANY($2::text[]) AND status IN ('pending', 'taken')`,
      [federationId, sites],
    );
  }

  /** The coordinator stopped waiting: a late answer is refused. */
  async expire(id: string): Promise<void> {
    await this.db.query(
      `UPDATE collab_site_work SET status = 'expired' WHERE id = $1 AND status <> 'done'`,
      [id],
    );
  }

  async findForSite(id: string, binding: SiteBinding): Promise<WorkItem | null> {
    const w = await this.find(id);
    return w && w.federationId === binding.federationId && w.site === binding.site ? w : null;
  }

  /**
   * SCAFFOLD: the site's control variate c_i between rounds (collab_site_controls), for the
   * site jobs of the pool and of Kubernetes namespaces; whichever job trains the site next reads
   * it. c_i is the sum of the c_i+ - c_i the site already shared, so the row holds nothing the
   * coordinator was not sent.
   */
  controlStore(
    federationId: string,
    site: string,
  ): { load(): Promise<SiteControlState | null>; save(s: SiteControlState): Promise<void> } {
    return {
      load: async () => {
        const rows: {
          round: number;
          sizes: number[];
          previous: Buffer | null;
          current: Buffer;
        }[] = await this.db.query(
          `SELECT round, sizes, previous, current FROM collab_site_controls
            WHERE federation_id = $1 AND site = $2`,
          [federationId, site],
        );
        const r = rows[0];
        if (!r) return null;
        return {
          round: Number(r.round),
          previous: r.previous ? decodeWeights(r.previous, r.sizes) : null,
          current: decodeWeights(r.current, r.sizes),
        };
      },
      save: async (state) => {
        const current = encodeWeights(state.current);
        await this.db.query(
          `INSERT INTO collab_site_controls (federation_id, site, round, sizes, previous, current)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (federation_id, site) DO UPDATE SET round = EXCLUDED.round,
             sizes = EXCLUDED.sizes, previous = EXCLUDED.previous, current = EXCLUDED.current,
             updated_at = now()`,
          [
            federationId,
            site,
            state.round,
            JSON.stringify(current.sizes),
            state.previous ? encodeWeights(state.previous).data : null,
            current.data,
          ],
        );
      },
    };
  }
}
