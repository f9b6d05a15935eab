/**
 * The SQL of collaborative learning; nothing else touches the collab_* tables. Round writes are
 * upserts keyed by (federation, round[, site]): a re-queued attempt that repeats a round
 * overwrites what the dead one wrote instead of failing on it.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface SiteRow {
  name: string;
  datasetId: string | null;
  placement: 'local' | 'remote';
  architecture: string;
  samples: number | null;
}

/** A site as read back: with the Kubernetes namespace its spec placed it in (null: none). */
export interface StoredSiteRow extends SiteRow {
  namespace: string | null;
}

export interface SiteRoundRow {
  site: string;
  trainLoss: number | null;
  trainAccuracy: number | null;
  localAccuracy: number | null;
  updateNorm: number | null;
  accepted: boolean;
  bytesSent: number;
  bytesReceived: number;
}

export interface RoundRow {
  round: number;
  attempts: number;
  accepted: string[];
  rejected: { site: string; reason: string; norm?: number }[];
  bytesUp: number;
  bytesDown: number;
  globalAccuracy: number | null;
  globalLoss: number | null;
  sites: SiteRoundRow[];
}

export interface FederationRow {
  id: string;
  status: string;
  progress: number;
  error: string | null;
  algorithm: string;
  placement: string;
  /** The shared labelled set's data set id (null: none). */
  sharedDatasetId: string | null;
  roundsPlanned: number;
  roundsDone: number;
  bytesTotal: number;
  modelId: string | null;
  summary: Record<string, unknown>;
  createdAt: Date;
  sites: StoredSiteRow[];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

@Injectable()
export class FederationsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * The federation of a queued job and its sites, in the caller's transaction (the job's insert);
   * idempotent, so that the job can write it again when it starts and fill in the sample counts.
   */
  async open(
    f: {
      id: string;
      projectId: string;
      algorithm: string;
      placement: string;
      roundsPlanned: number;
      sharedDatasetId?: string | null;
    },
    sites: readonly SiteRow[],
    manager?: EntityManager,
  ): Promise<void> {
    const write = async (m: EntityManager): Promise<void> => {
      await m.query(
        `INSERT INTO collab_federations (id, project_id, algorithm, placement, rounds_planned, shared_dataset_id)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        [f.id, f.projectId, f.algorithm, f.placement, f.roundsPlanned, f.sharedDatasetId ?? null],
      );
      for (const s of sites) {
        await m.query(
          `INSERT INTO collab_sites (federation_id, name, dataset_id, architecture, samples, placement)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (federation_id, name)
           DO UPDATE SET samples = coalesce(EXCLUDED.samples, collab_sites.samples)`,
          [f.id, s.name, s.datasetId, s.architecture, s.samples, s.placement],
        );
      }
    };
    if (manager) await write(manager);
    else await this.db.transaction(write);
  }

  /** A finished round, its per-site metrics and the federation's running totals, in one transaction. */
  async recordRound(federationId: string, r: RoundRow): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(
        `INSERT INTO collab_rounds (federation_id, round, attempts, accepted, rejected, bytes_up,
           bytes_down, global_accuracy, global_loss)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (federation_id, round) DO UPDATE SET attempts = EXCLUDED.attempts,
           accepted = EXCLUDED.accepted, rejected = EXCLUDED.rejected, bytes_up = EXCLUDED.bytes_up,
           bytes_down = EXCLUDED.bytes_down, global_accuracy = EXCLUDED.global_accuracy,
           global_loss = EXCLUDED.global_loss`,
        [
          federationId,
          r.round,
          r.attempts,
          JSON.stringify(r.accepted),
          JSON.stringify(r.rejected),
          r.bytesUp,
          r.bytesDown,
          r.globalAccuracy,
          r.globalLoss,
        ],
      );
      for (const s of r.sites) {
        await m.query(
          `INSERT INTO collab_site_metrics (federation_id, round, site, train_loss, train_accuracy,
             local_accuracy, update_norm, accepted, bytes_sent, bytes_received)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (federation_id, round, site) DO UPDATE SET train_loss = EXCLUDED.train_loss,
             train_accuracy = EXCLUDED.train_accuracy, local_accuracy = EXCLUDED.local_accuracy,
             update_norm = EXCLUDED.update_norm, accepted = EXCLUDED.accepted,
             bytes_sent = EXCLUDED.bytes_sent, bytes_received = EXCLUDED.bytes_received`,
          [
            federationId,
            r.round,
            s.site,
            s.trainLoss,
            s.trainAccuracy,
            s.localAccuracy,
            s.updateNorm,
            s.accepted,
            s.bytesSent,
            s.bytesReceived,
          ],
        );
      }
      await m.query(
        `UPDATE collab_federations f SET rounds_done = r.n, bytes_total = r.bytes
           FROM (SELECT count(*)::int AS n, coalesce(sum(bytes_up + bytes_down), 0) AS bytes
                   FROM collab_rounds WHERE federation_id = $1) r
          WHERE f.id = $1`,
        [federationId],
      );
    });
  }

  /**
   * Bytes exchanged after the rounds (classifier calibration's statistics and the weights sent
   * for them): bytes_total becomes the rounds' sum plus these (idempotent: a resumed coordinator
   * that calibrates again writes the same total).
   */
  async recordExtraBytes(federationId: string, bytes: number): Promise<void> {
    await this.db.query(
      `UPDATE collab_federations f SET bytes_total = r.bytes + $2
         FROM (SELECT coalesce(sum(bytes_up + bytes_down), 0) AS bytes
                 FROM collab_rounds WHERE federation_id = $1) r
        WHERE f.id = $1`,
      [federationId, bytes],
    );
  }

  async finish(
    federationId: string,
    modelId: string | null,
    summary: Record<string, unknown>,
  ): Promise<void> {
    await this.db.query(`UPDATE collab_federations SET model_id = $2, summary = $3 WHERE id = $1`, [
      federationId,
      modelId,
      JSON.stringify(summary),
    ]);
  }

  async list(
    projectId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: FederationRow[]; total: number }> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `${SELECT_FEDERATION} WHERE f.project_id = $1 ORDER BY f.created_at DESC, f.id LIMIT $2 OFFSET $3`,
      [projectId, limit, offset],
    );
    const [{ n }] = await this.db.query(
      `SELECT count(*)::int AS n FROM collab_federations WHERE project_id = $1`,
      [projectId],
    );
    return { items: await this.withSites(rows.map(federationRow)), total: n };
  }

  async find(projectId: string, id: string): Promise<FederationRow | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `${SELECT_FEDERATION} WHERE f.project_id = $1 AND f.id = $2`,
      [projectId, id],
    );
    if (rows.length === 0) return null;
    return (await this.withSites([federationRow(rows[0])]))[0];
  }

  async rounds(federationId: string): Promise<RoundRow[]> {
    const rounds: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM collab_rounds WHERE federation_id = $1 ORDER BY round`,
      [federationId],
    );
    const metrics: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM collab_site_metrics WHERE federation_id = $1 ORDER BY round, site`,
      [federationId],
    );
    return rounds.map((r) => ({
      round: Number(r.round),
      attempts: Number(r.attempts),
      accepted: r.accepted as string[],
      rejected: r.rejected as RoundRow['rejected'],
      bytesUp: Number(r.bytes_up),
      bytesDown: Number(r.bytes_down),
      globalAccuracy: num(r.global_accuracy),
      globalLoss: num(r.global_loss),
      sites: metrics
        .filter((s) => Number(s.round) === Number(r.round))
        .map((s) => ({
          site: String(s.site),
          trainLoss: num(s.train_loss),
          trainAccuracy: num(s.train_accuracy),
          localAccuracy: num(s.local_accuracy),
          updateNorm: num(s.update_norm),
          accepted: Boolean(s.accepted),
          bytesSent: Number(s.bytes_sent),
          bytesReceived: Number(s.bytes_received),
        })),
    }));
  }

  private async withSites(rows: Omit<FederationRow, 'sites'>[]): Promise<FederationRow[]> {
    if (rows.length === 0) return [];
    // The namespace stays where the spec put it (the job's spec, `sites[].placement`).
    const sites: Record<string, unknown>[] = await this.db.query(
      `SELECT s.*,
              (SELECT x->'placement'->>'namespace' FROM jsonb_array_elements(j.spec->'sites') x
                WHERE x->>'name' = s.name) AS namespace
         FROM collab_sites s JOIN jobs j ON j.id = s.federation_id
        WHERE s.federation_id = ANY($1) ORDER BY s.name`,
      [rows.map((r) => r.id)],
    );
    return rows.map((r) => ({
      ...r,
      sites: sites
        .filter((s) => s.federation_id === r.id)
        .map((s) => ({
          name: String(s.name),
          datasetId: (s.dataset_id as string | null) ?? null,
          placement: s.placement as SiteRow['placement'],
          architecture: String(s.architecture),
          samples: num(s.samples),
          namespace: (s.namespace as string | null) ?? null,
        })),
    }));
  }
}

const SELECT_FEDERATION = `SELECT f.*, j.status, j.progress, j.error
  FROM collab_federations f JOIN jobs j ON j.id = f.id`;

function federationRow(r: Record<string, unknown>): Omit<FederationRow, 'sites'> {
  return {
    id: String(r.id),
    status: String(r.status),
    progress: Number(r.progress),
    error: (r.error as string | null) ?? null,
    algorithm: String(r.algorithm),
    placement: String(r.placement),
    sharedDatasetId: (r.shared_dataset_id as string | null) ?? null,
    roundsPlanned: Number(r.rounds_planned),
    roundsDone: Number(r.rounds_done),
    bytesTotal: Number(r.bytes_total),
    modelId: (r.model_id as string | null) ?? null,
    summary: r.summary as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
}
