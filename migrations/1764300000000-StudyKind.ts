import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Studies get a real `kind` column ('hyperparameter' | 'nas') instead of being told apart by the
 * JSON predicate `(config -> 'nas') IS NULL`; existing NAS studies (those with `config.nas`) are
 * backfilled. Listing a project's studies of one kind, newest first, uses the new index.
 */
export class StudyKind1764300000000 implements MigrationInterface {
  name = 'StudyKind1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `DROP INDEX "public"."IDX_studies_project_created"`,
      `ALTER TABLE "studies" ADD "kind" text NOT NULL DEFAULT 'hyperparameter'`,
      `UPDATE "studies" SET "kind" = 'nas' WHERE ("config" -> 'nas') IS NOT NULL`,
      `CREATE INDEX "IDX_studies_project_kind_created" ON "studies" ("project_id", "kind", "created_at") `,
      `ALTER TABLE "studies" ADD CONSTRAINT "CHK_studies_kind" CHECK ("kind" IN ('hyperparameter', 'nas'))`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `ALTER TABLE "studies" DROP CONSTRAINT "CHK_studies_kind"`,
      `DROP INDEX "public"."IDX_studies_project_kind_created"`,
      `ALTER TABLE "studies" DROP COLUMN "kind"`,
      `CREATE INDEX "IDX_studies_project_created" ON "studies" ("project_id", "created_at") `,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
