import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Console studies at 100k trials: notes on studies and trials, and the indexes the aggregation
 * queries of StudyAnalyticsRepository use (EXPLAINed in docs/benchmarks.md, Studies console).
 */
export class StudyConsole1764280000000 implements MigrationInterface {
  name = 'StudyConsole1764280000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "study_notes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "study_id" uuid NOT NULL, "trial_number" integer, "body" text NOT NULL, "author" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_study_notes" PRIMARY KEY ("id"))`,
      `CREATE INDEX "IDX_study_notes_study" ON "study_notes" ("study_id", "created_at") `,
      `ALTER TABLE "study_notes" ADD CONSTRAINT "FK_9c68e209cbccb2bbffc506c5e77" FOREIGN KEY ("study_id") REFERENCES "studies"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `CREATE INDEX "IDX_trial_params_study_name" ON "trial_params" ("study_id", "name", "number") `,
      `CREATE INDEX "IDX_trials_study_value0" ON "trials" ("study_id", ("values"[1])) WHERE "state" = 'complete'`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `DROP INDEX "public"."IDX_trials_study_value0"`,
      `DROP INDEX "public"."IDX_trial_params_study_name"`,
      `ALTER TABLE "study_notes" DROP CONSTRAINT "FK_9c68e209cbccb2bbffc506c5e77"`,
      `DROP INDEX "public"."IDX_study_notes_study"`,
      `DROP TABLE "study_notes"`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
