import { MigrationInterface, QueryRunner } from 'typeorm';

/** Data sets and the model registry (with lineage: base model, data set, job). */
export class Models1764110000000 implements MigrationInterface {
  name = 'Models1764110000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "datasets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "name" text NOT NULL, "kind" text NOT NULL, "source" text NOT NULL, "options" jsonb NOT NULL DEFAULT '{}', "stats" jsonb NOT NULL, "train_size" integer NOT NULL, "validation_size" integer NOT NULL, "test_size" integer NOT NULL, "file_path" text NOT NULL, "file_size" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1bf831e43c559a240303e23d038" PRIMARY KEY ("id"))`,
      `CREATE UNIQUE INDEX "IDX_datasets_project_name" ON "datasets" ("project_id", "name") `,
      `CREATE TABLE "models" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "name" text NOT NULL, "architecture" text NOT NULL, "summary" jsonb NOT NULL, "params" bigint NOT NULL, "flops" double precision NOT NULL, "input_kind" text NOT NULL, "input_shape" jsonb NOT NULL, "class_names" jsonb NOT NULL, "feature_names" jsonb, "preprocessing" jsonb NOT NULL DEFAULT '{}', "vocabulary_path" text, "base_model_id" uuid, "dataset_id" uuid, "method" text NOT NULL, "job_id" uuid, "model_json_path" text NOT NULL, "weights_path" text NOT NULL, "metrics" jsonb NOT NULL DEFAULT '{}', "evaluation" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ef9ed7160ea69013636466bf2d5" PRIMARY KEY ("id"))`,
      `CREATE INDEX "IDX_models_job" ON "models" ("job_id") `,
      `CREATE UNIQUE INDEX "IDX_models_project_name" ON "models" ("project_id", "name") `,
      `ALTER TABLE "datasets" ADD CONSTRAINT "FK_0bd61b0be85f417be961250475e" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "models" ADD CONSTRAINT "FK_af1562929376541081d7178408a" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "models" ADD CONSTRAINT "FK_1dd974d69ad1a0646c8c18a047b" FOREIGN KEY ("base_model_id") REFERENCES "models"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
      `ALTER TABLE "models" ADD CONSTRAINT "FK_90afea9658cd59cf414b60e192b" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
      `ALTER TABLE "models" ADD CONSTRAINT "FK_537af7e210fb10441fd7e5430fe" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `ALTER TABLE "models" DROP CONSTRAINT "FK_537af7e210fb10441fd7e5430fe"`,
      `ALTER TABLE "models" DROP CONSTRAINT "FK_90afea9658cd59cf414b60e192b"`,
      `ALTER TABLE "models" DROP CONSTRAINT "FK_1dd974d69ad1a0646c8c18a047b"`,
      `ALTER TABLE "models" DROP CONSTRAINT "FK_af1562929376541081d7178408a"`,
      `ALTER TABLE "datasets" DROP CONSTRAINT "FK_0bd61b0be85f417be961250475e"`,
      `DROP INDEX "public"."IDX_models_project_name"`,
      `DROP INDEX "public"."IDX_models_job"`,
      `DROP TABLE "models"`,
      `DROP INDEX "public"."IDX_datasets_project_name"`,
      `DROP TABLE "datasets"`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
