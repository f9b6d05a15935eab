import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobFence, OWNER_CTE, StaleAttemptError, fenceParams } from '../jobs/job-fence';
import { StoredFile } from './artifact-store';

/** An artifact of a job as GET /v1/jobs/:id/artifacts lists it. */
export interface ArtifactListing {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  createdAt: Date;
}

/** The `artifacts` table: rows of job artifacts, each pointing at a file of the ArtifactStore. */
@Injectable()
export class ArtifactsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Puts a staged file in place and records it (or replaces it) for the attempt that owns the
   * job, in one transaction that holds the job row FOR KEY SHARE from the fence check to the
   * commit: a re-queue (which locks the row FOR UPDATE) cannot happen in between, so a stale
   * attempt never renames over the file of the attempt that replaced it. Throws
   * StaleAttemptError without calling `place` when the fence does not hold.
   */
  async recordForAttempt(
    fence: JobFence,
    name: string,
    file: StoredFile,
    contentType: string,
    place: () => Promise<void>,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const owner: unknown[] = await tx.query(`WITH ${OWNER_CTE} SELECT id FROM owner`, [
        ...fenceParams(fence),
      ]);
      if (owner.length === 0) throw new StaleAttemptError(fence, `artifact ${name}`);
      await place();
      await tx.query(
        `INSERT INTO artifacts (job_id, name, path, size, sha256, content_type)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (job_id, name) DO UPDATE
           SET path = EXCLUDED.path, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
               content_type = EXCLUDED.content_type, created_at = now()`,
        [fence.jobId, name, file.path, file.size, file.sha256, contentType],
      );
    });
  }

  /** The stored path of an artifact of a job of this project, or null. */
  async pathInProject(projectId: string, jobId: string, name: string): Promise<string | null> {
    const rows: { path: string }[] = await this.db.query(
      `SELECT a.path FROM artifacts a JOIN jobs j ON j.id = a.job_id
        WHERE a.job_id = $1 AND a.name = $2 AND j.project_id = $3`,
      [jobId, name, projectId],
    );
    return rows[0]?.path ?? null;
  }

  async listOfJob(jobId: string): Promise<ArtifactListing[]> {
    const rows: {
      name: string;
      size: string;
      sha256: string;
      content_type: string;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT name, size, sha256, content_type, created_at FROM artifacts WHERE job_id = $1 ORDER BY name`,
      [jobId],
    );
    return rows.map((r) => ({
      name: r.name,
      size: Number(r.size),
      sha256: r.sha256,
      contentType: r.content_type,
      createdAt: r.created_at,
    }));
  }

  /** The stored file of a job's artifact, or null. */
  async findOfJob(
    jobId: string,
    name: string,
  ): Promise<{ path: string; contentType: string; size: number } | null> {
    const rows: { path: string; content_type: string; size: string }[] = await this.db.query(
      `SELECT path, content_type, size FROM artifacts WHERE job_id = $1 AND name = $2`,
      [jobId, name],
    );
    if (rows.length === 0) return null;
    return { path: rows[0].path, contentType: rows[0].content_type, size: Number(rows[0].size) };
  }
}
