import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SCAFFOLD (src/collab/core/scaffold.ts): a local site's control variate c_i between rounds,
 * read by the site job that trains the site next (pool or Kubernetes namespace). `previous` is
 * the c_i before the latest round, so a retried round starts from it again.
 */
export class CollabSiteControls1767090000001 implements MigrationInterface {
  name = 'CollabSiteControls1767090000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "collab_site_controls" ("federation_id" uuid NOT NULL, "site" text NOT NULL, "round" integer NOT NULL, "sizes" jsonb NOT NULL, "previous" bytea, "current" bytea NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_collab_site_controls" PRIMARY KEY ("federation_id", "site"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "collab_site_controls" ADD CONSTRAINT "FK_collab_site_controls_federation" FOREIGN KEY ("federation_id") REFERENCES "collab_federations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "collab_site_controls" DROP CONSTRAINT "FK_collab_site_controls_federation"`,
    );
    await queryRunner.query(`DROP TABLE "collab_site_controls"`);
  }
}
