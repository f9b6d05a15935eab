import * as path from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';

/** migrations/*.ts when running from source; dist/migrations/*.js (tsconfig.migrations.json) built. */
export function migrationsGlob(): string {
  return path.extname(__filename) === '.ts'
    ? path.resolve(__dirname, '..', '..', '..', 'migrations', '*.ts')
    : path.resolve(__dirname, '..', '..', 'migrations', '*.js');
}

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
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

export async function openDataSource(url: string, poolSize = 10): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(url, poolSize));
  await ds.initialize();
  return ds;
}
