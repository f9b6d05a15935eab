import { MigrationInterface, QueryRunner } from 'typeorm';

/** Platform tables: projects, API keys, jobs (also the queue), job events, metrics, artifacts. */
export class Init1764090000000 implements MigrationInterface {
  name = 'Init1764090000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "projects" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_2187088ab5ef2a918473cb99007" UNIQUE ("name"), CONSTRAINT "PK_6271df0a7aed1d6c0691ce6ac50" PRIMARY KEY ("id"))`,
      `CREATE TABLE "jobs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "kind" text NOT NULL, "spec" jsonb NOT NULL, "status" text NOT NULL DEFAULT 'queued', "priority" integer NOT NULL DEFAULT '0', "attempts" integer NOT NULL DEFAULT '0', "max_attempts" integer NOT NULL DEFAULT '3', "progress" double precision NOT NULL DEFAULT '0', "progress_message" text, "error" text, "result" jsonb, "checkpoint" jsonb, "cancel_requested_at" TIMESTAMP WITH TIME ZONE, "executor" text, "external_id" text, "worker_id" text, "heartbeat_at" TIMESTAMP WITH TIME ZONE, "parent_id" uuid, "idempotency_key" text, "request_hash" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_cf0a6c42b72fcc7f7c237def345" PRIMARY KEY ("id"))`,
      `CREATE UNIQUE INDEX "IDX_jobs_idempotency" ON "jobs" ("project_id", "idempotency_key") WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX "IDX_jobs_project_created" ON "jobs" ("project_id", "created_at") `,
      `CREATE INDEX "IDX_jobs_claim" ON "jobs" ("status", "priority", "created_at") `,
      `CREATE TABLE "artifacts" ("job_id" uuid NOT NULL, "name" text NOT NULL, "path" text NOT NULL, "size" bigint NOT NULL, "sha256" text NOT NULL, "content_type" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_48cd82353c1ea617cca3511a613" PRIMARY KEY ("job_id", "name"))`,
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "project_id" uuid NOT NULL, "name" text NOT NULL, "hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
      `CREATE INDEX "IDX_api_keys_project" ON "api_keys" ("project_id") `,
      `CREATE UNIQUE INDEX "IDX_api_keys_hash" ON "api_keys" ("hash") `,
      `CREATE TABLE "job_events" ("id" BIGSERIAL NOT NULL, "job_id" uuid NOT NULL, "type" text NOT NULL, "level" text NOT NULL DEFAULT 'info', "message" text NOT NULL, "attempt" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_77f0d06e95eed355f7a38f6093b" PRIMARY KEY ("id"))`,
      `CREATE INDEX "IDX_job_events_job" ON "job_events" ("job_id", "id") `,
      `CREATE TABLE "metrics" ("job_id" uuid NOT NULL, "name" text NOT NULL, "step" integer NOT NULL, "value" double precision NOT NULL, "time" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_11c856f4e0d91177bcc6087d421" PRIMARY KEY ("job_id", "name", "step"))`,
      `ALTER TABLE "jobs" ADD CONSTRAINT "FK_570051510a95166a699cd7dafd5" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "artifacts" ADD CONSTRAINT "FK_145c6edf912d244ec998d3ddc04" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "api_keys" ADD CONSTRAINT "FK_f5de07dbb229225e2be643ff3d0" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "job_events" ADD CONSTRAINT "FK_a4d87f3aed580149588c26cb3f2" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "metrics" ADD CONSTRAINT "FK_ccee8dbf31eb6fdb2cc226c0017" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `ALTER TABLE "metrics" DROP CONSTRAINT "FK_ccee8dbf31eb6fdb2cc226c0017"`,
      `ALTER TABLE "job_events" DROP CONSTRAINT "FK_a4d87f3aed580149588c26cb3f2"`,
      `ALTER TABLE "api_keys" DROP CONSTRAINT "FK_f5de07dbb229225e2be643ff3d0"`,
      `ALTER TABLE "artifacts" DROP CONSTRAINT "FK_145c6edf912d244ec998d3ddc04"`,
      `ALTER TABLE "jobs" DROP CONSTRAINT "FK_570051510a95166a699cd7dafd5"`,
      `DROP TABLE "metrics"`,
      `DROP INDEX "public"."IDX_job_events_job"`,
      `DROP TABLE "job_events"`,
      `DROP INDEX "public"."IDX_api_keys_hash"`,
      `DROP INDEX "public"."IDX_api_keys_project"`,
      `DROP TABLE "api_keys"`,
      `DROP TABLE "artifacts"`,
      `DROP INDEX "public"."IDX_jobs_claim"`,
      `DROP INDEX "public"."IDX_jobs_project_created"`,
      `DROP INDEX "public"."IDX_jobs_idempotency"`,
      `DROP TABLE "jobs"`,
      `DROP TABLE "projects"`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
