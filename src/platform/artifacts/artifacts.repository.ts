import { DataSource } from 'typeorm';
import { JobFence, OWNER_CTE, StaleAttemptError, fenceParams } from '../jobs/job-fence';
import { StoredFile } from './artifact-store';

/** The `artifacts` table: rows of job artifacts, each pointing at a file of the ArtifactStore. */
export class ArtifactsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Records (or replaces) a job's artifact for the attempt that owns the job, in one fenced
   * statement. Returns the path of the file it replaced (for the caller to delete), or throws
   * StaleAttemptError and records nothing.
   */
  async recordForAttempt(
    fence: JobFence,
    name: string,
    file: StoredFile,
    contentType: string,
  ): Promise<{ replacedPath: string | null }> {
    const rows: { replaced_path: string | null }[] = await this.db.query(
      `WITH ${OWNER_CTE},
       old AS (SELECT path FROM artifacts WHERE job_id = $1 AND name = $4),
       up AS (
         INSERT INTO artifacts (job_id, name, path, size, sha256, content_type)
         SELECT id, $4, $5, $6, $7, $8 FROM owner
         ON CONFLICT (job_id, name) DO UPDATE
           SET path = EXCLUDED.path, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
               content_type = EXCLUDED.content_type, created_at = now()
         RETURNING 1)
       SELECT (SELECT path FROM old) AS replaced_path FROM up`,
      [...fenceParams(fence), name, file.path, file.size, file.sha256, contentType],
    );
    if (rows.length === 0) throw new StaleAttemptError(fence, `artifact ${name}`);
    const replaced = rows[0].replaced_path;
    return { replacedPath: replaced !== null && replaced !== file.path ? replaced : null };
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
