import { DataSource } from 'typeorm';
import { JobFence, OWNER_CTE, StaleAttemptError, fenceParams } from '../jobs/job-fence';
import { StoredFile } from './artifact-store';

/** The `artifacts` table: rows of job artifacts, each pointing at a file of the ArtifactStore. */
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
}
