import * as path from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { PLATFORM_ENTITIES, type EntityClass } from './platform-entities';

/** migrations/*.ts when running from source; dist/migrations/*.js (tsconfig.migrations.json) built. */
export function migrationsGlob(): string {
  return path.extname(__filename) === '.ts'
    ? path.resolve(__dirname, '..', '..', '..', 'migrations', '*.ts')
    : path.resolve(__dirname, '..', '..', 'migrations', '*.js');
}

/**
 * `entities`: the service passes SERVICE_ENTITIES (src/capability-entities.ts); the default, the
 * platform's tables only, serves tools and tests that query with SQL.
 */
export function dataSourceOptions(
  url: string,
  poolSize = 10,
  entities: readonly EntityClass[] = PLATFORM_ENTITIES,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [...entities],
    migrations: [migrationsGlob()],
    migrationsTableName: 'migrations',
    // gen_random_uuid() is built into PostgreSQL >= 13: no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    // A connection not obtained in 10 s fails the query (503 at the API) instead of hanging it.
    extra: { max: poolSize, application_name: 'autodl', connectionTimeoutMillis: 10_000 },
  };
}

export async function openDataSource(
  url: string,
  poolSize = 10,
  entities: readonly EntityClass[] = PLATFORM_ENTITIES,
): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(url, poolSize, entities));
  await ds.initialize();
  return ds;
}
