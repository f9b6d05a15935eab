import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Listing a run's child jobs (`GET /v1/jobs?parent=`) and the jobs without a parent
 * (`?topLevel=true`, the console's default jobs list) by index, newest first, however many trial
 * jobs a study has started.
 */
export class JobParentIndexes1767250000001 implements MigrationInterface {
  name = 'JobParentIndexes1767250000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_parent_created" ON "jobs" ("parent_id", "created_at") WHERE parent_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_project_top_created" ON "jobs" ("project_id", "created_at") WHERE parent_id IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_jobs_project_top_created"`);
    await queryRunner.query(`DROP INDEX "IDX_jobs_parent_created"`);
  }
}
