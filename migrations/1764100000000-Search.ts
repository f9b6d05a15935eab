import { MigrationInterface, QueryRunner } from 'typeorm';

/** Search tables: studies (of a project), trials, trial parameters, intermediate values. */
export class Search1764100000000 implements MigrationInterface {
  name = 'Search1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "studies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "name" text NOT NULL, "directions" jsonb NOT NULL, "user_attrs" jsonb NOT NULL DEFAULT '{}', "config" jsonb NOT NULL DEFAULT '{}', "status" text NOT NULL DEFAULT 'running', "next_number" integer NOT NULL DEFAULT '0', "max_trials" integer, "job_id" uuid, "idempotency_key" text, "request_hash" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b100ff0c4a0ad02a9c2270d45b6" PRIMARY KEY ("id"))`,
      `CREATE UNIQUE INDEX "IDX_studies_idempotency" ON "studies" ("project_id", "idempotency_key") WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX "IDX_studies_project_created" ON "studies" ("project_id", "created_at") `,
      `CREATE TABLE "trials" ("study_id" uuid NOT NULL, "number" integer NOT NULL, "state" text NOT NULL DEFAULT 'running', "values" double precision array, "constraints" double precision array, "system_attrs" jsonb NOT NULL DEFAULT '{}', "user_attrs" jsonb NOT NULL DEFAULT '{}', "job_id" uuid, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_aef0cc0a2ca227834f19083a49c" PRIMARY KEY ("study_id", "number"))`,
      `CREATE INDEX "IDX_trials_study_state" ON "trials" ("study_id", "state") `,
      `CREATE TABLE "trial_params" ("study_id" uuid NOT NULL, "number" integer NOT NULL, "name" text NOT NULL, "value" jsonb NOT NULL, "distribution" jsonb NOT NULL, CONSTRAINT "PK_6a86d9e378336bae03a3452f93d" PRIMARY KEY ("study_id", "number", "name"))`,
      `CREATE TABLE "trial_intermediate_values" ("study_id" uuid NOT NULL, "number" integer NOT NULL, "step" integer NOT NULL, "values" double precision array NOT NULL, CONSTRAINT "PK_193d62e154c689e6d06faff771a" PRIMARY KEY ("study_id", "number", "step"))`,
      `ALTER TABLE "studies" ADD CONSTRAINT "FK_85e360590ffcda0eaa05d3a7143" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "trials" ADD CONSTRAINT "FK_d937d55fc4dd7fcb4802a83f321" FOREIGN KEY ("study_id") REFERENCES "studies"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "trial_params" ADD CONSTRAINT "FK_a04cff834e6e679317b9b6de7e2" FOREIGN KEY ("study_id", "number") REFERENCES "trials"("study_id","number") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "trial_intermediate_values" ADD CONSTRAINT "FK_a197a37b282b78a869520343683" FOREIGN KEY ("study_id", "number") REFERENCES "trials"("study_id","number") ON DELETE CASCADE ON UPDATE NO ACTION`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `ALTER TABLE "trial_intermediate_values" DROP CONSTRAINT "FK_a197a37b282b78a869520343683"`,
      `ALTER TABLE "trial_params" DROP CONSTRAINT "FK_a04cff834e6e679317b9b6de7e2"`,
      `ALTER TABLE "trials" DROP CONSTRAINT "FK_d937d55fc4dd7fcb4802a83f321"`,
      `ALTER TABLE "studies" DROP CONSTRAINT "FK_85e360590ffcda0eaa05d3a7143"`,
      `DROP TABLE "trial_intermediate_values"`,
      `DROP TABLE "trial_params"`,
      `DROP INDEX "public"."IDX_trials_study_state"`,
      `DROP TABLE "trials"`,
      `DROP INDEX "public"."IDX_studies_project_created"`,
      `DROP INDEX "public"."IDX_studies_idempotency"`,
      `DROP TABLE "studies"`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
