/**
 * Prints the SQL a new migration needs: applies the existing migrations to a scratch database
 * and lists the statements TypeORM would run to match the entities (up, then down).
 *   node -r ./bin/register-ts.cjs scripts/migration-sql.ts
 * Uses TEST_DATABASE_URL's server when set, else a scratch embedded PostgreSQL.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { SERVICE_ENTITIES } from '../src/capability-entities';
import { openDataSource } from '../src/platform/database/data-source';
import { runMigrations } from '../src/platform/database/database.module';
import { startScratchPostgres } from '../src/platform/database/embedded-postgres';

async function main(): Promise<void> {
  const scratch = process.env.TEST_DATABASE_URL ? null : await startScratchPostgres(54366);
  const server = process.env.TEST_DATABASE_URL ?? scratch!.url;
  const name = `autodl_migration_${process.pid}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    const ds = await openDataSource(url.toString(), 2, SERVICE_ENTITIES);
    await runMigrations(ds);
    const sql = await ds.driver.createSchemaBuilder().log();
    process.stdout.write('-- up\n' + sql.upQueries.map((q) => q.query + ';').join('\n') + '\n');
    process.stdout.write(
      '-- down\n' +
        sql.downQueries
          .reverse()
          .map((q) => q.query + ';')
          .join('\n') +
        '\n',
    );
    await ds.destroy();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await scratch?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
