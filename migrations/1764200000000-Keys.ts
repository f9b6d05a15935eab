import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key roles, expiry and last use; the projects' allowCommands setting; the audit log
 * (docs/security.md). Existing data: the bootstrap key of the default project (named "admin")
 * becomes an admin key and the default project keeps running command trials; every other key
 * becomes a member key and every other project has commands off.
 */
export class Keys1764200000000 implements MigrationInterface {
  name = 'Keys1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "audit_log" ("id" BIGSERIAL NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "key_id" uuid NOT NULL, "project_id" uuid NOT NULL, "method" text NOT NULL, "route" text NOT NULL, "target_id" text, "status" integer NOT NULL, CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id"))`,
      `CREATE INDEX "IDX_audit_log_time" ON "audit_log" ("created_at") `,
      `CREATE INDEX "IDX_audit_log_project_time" ON "audit_log" ("project_id", "created_at") `,
      `ALTER TABLE "projects" ADD "allow_commands" boolean NOT NULL DEFAULT false`,
      `ALTER TABLE "api_keys" ADD "role" text NOT NULL DEFAULT 'member'`,
      `ALTER TABLE "api_keys" ADD "expires_at" TIMESTAMP WITH TIME ZONE`,
      `ALTER TABLE "api_keys" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`,
      `UPDATE "projects" SET "allow_commands" = true WHERE "name" = 'default'`,
      `UPDATE "api_keys" SET "role" = 'admin' WHERE "name" = 'admin' AND "project_id" IN (SELECT "id" FROM "projects" WHERE "name" = 'default')`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `ALTER TABLE "api_keys" DROP COLUMN "last_used_at"`,
      `ALTER TABLE "api_keys" DROP COLUMN "expires_at"`,
      `ALTER TABLE "api_keys" DROP COLUMN "role"`,
      `ALTER TABLE "projects" DROP COLUMN "allow_commands"`,
      `DROP INDEX "public"."IDX_audit_log_project_time"`,
      `DROP INDEX "public"."IDX_audit_log_time"`,
      `DROP TABLE "audit_log"`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
