import { MigrationInterface, QueryRunner } from 'typeorm';

/** Serving loop: measured service-time profiles of deployments (one per `deployment-profile` job). */
export class DeploymentProfiles1766040000001 implements MigrationInterface {
  name = 'DeploymentProfiles1766040000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "deployment_profiles" ("id" uuid NOT NULL, "project_id" uuid NOT NULL, "deployment_id" uuid NOT NULL, "model_id" uuid NOT NULL, "rows" jsonb NOT NULL, "rule" text NOT NULL, "overheads" jsonb NOT NULL, "profiled_config" jsonb NOT NULL, "backend" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0441fe392c7a23b15eaaf958da2" PRIMARY KEY ("id"))`,
      `CREATE INDEX "IDX_deployment_profiles_deployment" ON "deployment_profiles" ("deployment_id", "created_at") `,
      `ALTER TABLE "deployment_profiles" ADD CONSTRAINT "FK_0441fe392c7a23b15eaaf958da2" FOREIGN KEY ("id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "deployment_profiles" ADD CONSTRAINT "FK_ff41d463792d228d37e02e50ac8" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "deployment_profiles" ADD CONSTRAINT "FK_fc822fc7b8b84810ba0df0d18ae" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `ALTER TABLE "deployment_profiles" DROP CONSTRAINT "FK_fc822fc7b8b84810ba0df0d18ae"`,
      `ALTER TABLE "deployment_profiles" DROP CONSTRAINT "FK_ff41d463792d228d37e02e50ac8"`,
      `ALTER TABLE "deployment_profiles" DROP CONSTRAINT "FK_0441fe392c7a23b15eaaf958da2"`,
      `DROP INDEX "public"."IDX_deployment_profiles_deployment"`,
      `DROP TABLE "deployment_profiles"`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}
