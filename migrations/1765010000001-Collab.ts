import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Collaborative learning: federations (one per `federation` job), their sites (local data sets or
 * remote agents with a `site` key), rounds, per-site metrics and the remote sites' work items.
 */
export class Collab1765010000001 implements MigrationInterface {
  name = 'Collab1765010000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "collab_federations" ("id" uuid NOT NULL, "project_id" uuid NOT NULL, "algorithm" text NOT NULL, "placement" text NOT NULL, "rounds_planned" integer NOT NULL, "rounds_done" integer NOT NULL DEFAULT '0', "bytes_total" bigint NOT NULL DEFAULT '0', "model_id" uuid, "summary" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f66423d33bccc94a4c9f0a6990e" PRIMARY KEY ("id"))`,
      `CREATE TABLE "collab_sites" ("federation_id" uuid NOT NULL, "name" text NOT NULL, "dataset_id" uuid, "placement" text NOT NULL DEFAULT 'local', "key_id" uuid, "architecture" text NOT NULL, "samples" integer, CONSTRAINT "PK_330096e28912a9a45014f2c518c" PRIMARY KEY ("federation_id", "name"))`,
      `CREATE TABLE "collab_rounds" ("federation_id" uuid NOT NULL, "round" integer NOT NULL, "attempts" integer NOT NULL, "accepted" jsonb NOT NULL, "rejected" jsonb NOT NULL, "bytes_up" bigint NOT NULL, "bytes_down" bigint NOT NULL, "global_accuracy" double precision, "global_loss" double precision, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3457f28f3d89b4f8c1bbdff2536" PRIMARY KEY ("federation_id", "round"))`,
      `CREATE TABLE "collab_site_metrics" ("federation_id" uuid NOT NULL, "round" integer NOT NULL, "site" text NOT NULL, "train_loss" double precision, "train_accuracy" double precision, "local_accuracy" double precision, "update_norm" double precision, "accepted" boolean NOT NULL, "bytes_sent" bigint NOT NULL, "bytes_received" bigint NOT NULL, CONSTRAINT "PK_cdb9c1b94a91c587c6f5adebeb4" PRIMARY KEY ("federation_id", "round", "site"))`,
      `CREATE TABLE "collab_site_work" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "federation_id" uuid NOT NULL, "site" text NOT NULL, "round" integer NOT NULL, "attempt" integer NOT NULL, "kind" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "task" jsonb NOT NULL, "global_state" bytea NOT NULL, "shared_state" bytea, "report" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6ca7232c3e5348ce3d49a30f4f9" PRIMARY KEY ("id"))`,
      `CREATE INDEX "IDX_collab_site_work_site" ON "collab_site_work" ("federation_id", "site", "status") `,
      `ALTER TABLE "collab_federations" ADD CONSTRAINT "FK_f66423d33bccc94a4c9f0a6990e" FOREIGN KEY ("id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "collab_federations" ADD CONSTRAINT "FK_c053254fa84723ab332e6e180ec" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "collab_sites" ADD CONSTRAINT "FK_1a792b2706752f175ac6c3e6fe4" FOREIGN KEY ("federation_id") REFERENCES "collab_federations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "collab_rounds" ADD CONSTRAINT "FK_e820c7596144e77058cb89c8121" FOREIGN KEY ("federation_id") REFERENCES "collab_federations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "collab_site_metrics" ADD CONSTRAINT "FK_730e1a52c34eabc8cf5453ff32b" FOREIGN KEY ("federation_id") REFERENCES "collab_federations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "collab_site_work" ADD CONSTRAINT "FK_d393ba434e19336816aea463037" FOREIGN KEY ("federation_id") REFERENCES "collab_federations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `ALTER TABLE "collab_site_work" DROP CONSTRAINT "FK_d393ba434e19336816aea463037"`,
      `ALTER TABLE "collab_site_metrics" DROP CONSTRAINT "FK_730e1a52c34eabc8cf5453ff32b"`,
      `ALTER TABLE "collab_rounds" DROP CONSTRAINT "FK_e820c7596144e77058cb89c8121"`,
      `ALTER TABLE "collab_sites" DROP CONSTRAINT "FK_1a792b2706752f175ac6c3e6fe4"`,
      `ALTER TABLE "collab_federations" DROP CONSTRAINT "FK_c053254fa84723ab332e6e180ec"`,
      `ALTER TABLE "collab_federations" DROP CONSTRAINT "FK_f66423d33bccc94a4c9f0a6990e"`,
      `DROP INDEX "public"."IDX_collab_site_work_site"`,
      `DROP TABLE "collab_site_work"`,
      `DROP TABLE "collab_site_metrics"`,
      `DROP TABLE "collab_rounds"`,
      `DROP TABLE "collab_sites"`,
      `DROP TABLE "collab_federations"`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
