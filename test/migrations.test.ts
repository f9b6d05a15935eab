import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVICE_ENTITIES } from '../src/capability-entities';
import { openDataSource } from '../src/platform/database/data-source';
import { runMigrations } from '../src/platform/database/database.module';
import { createTestDatabase } from './support/database';

test('migrations: up on an empty database, entities match the schema, down and up again', async () => {
  const db = await createTestDatabase();
  const ds = await openDataSource(db.url, 2, SERVICE_ENTITIES);
  try {
    assert.equal(await ds.showMigrations(), true, 'an empty database has pending migrations');
    const applied = await runMigrations(ds);
    assert.ok(applied.length >= 1);
    assert.equal(await ds.showMigrations(), false);
    // Immich-style drift check: the schema TypeORM derives from the entities equals the migrated one.
    const diff = await ds.driver.createSchemaBuilder().log();
    assert.deepEqual(
      diff.upQueries.map((q) => q.query),
      [],
      'entities and migrations disagree: write a migration for the entity change',
    );
    // Every migration can be reverted and re-applied.
    for (let i = 0; i < applied.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    assert.equal(n, 0, 'down migrations leave no table behind');
    assert.deepEqual(await runMigrations(ds), applied);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});
