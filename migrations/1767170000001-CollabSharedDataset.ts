import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A federation's shared labelled set (`sharedDataset`, docs/collab.md): the data set every site
 * trains on beside its own, by id, shown with the federation (null: none). Like a site's
 * `dataset_id`, a plain id: the lineage outlives the data set.
 */
export class CollabSharedDataset1767170000001 implements MigrationInterface {
  name = 'CollabSharedDataset1767170000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "collab_federations" ADD "shared_dataset_id" uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "collab_federations" DROP COLUMN "shared_dataset_id"`);
  }
}
