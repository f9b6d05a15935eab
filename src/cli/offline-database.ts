/**
 * The database for admin commands that work without the API (`autodl migrate`,
 * `autodl keys create --offline`): the configured server, or the embedded one started for the
 * command and stopped after it.
 */
import type { DataSource } from 'typeorm';
import { SERVICE_ENTITIES } from '../capability-entities';
import { KeysRepository } from '../platform/auth/keys.repository';
import { IssuedKey, issueKey } from '../platform/auth/projects.service';
import { ProjectsRepository } from '../platform/auth/projects.repository';
import type { Role } from '../platform/auth/roles';
import type { AppConfig } from '../platform/config/app-config';
import { openDataSource } from '../platform/database/data-source';
import { runMigrations } from '../platform/database/database.module';
import { EmbeddedDatabase, startEmbeddedPostgres } from '../platform/database/embedded-postgres';
import { Transactions } from '../platform/database/transactions';

export interface OfflineDatabase {
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  issueKey(
    project: string,
    name: string,
    options: { role?: Role; expiresAt?: Date | null },
  ): Promise<IssuedKey>;
}

function offline(db: DataSource): OfflineDatabase {
  const ports = {
    transactions: new Transactions(db),
    projects: new ProjectsRepository(db),
    keys: new KeysRepository(db),
  };
  return {
    migrate: () => runMigrations(db),
    issueKey: (project, name, options) => issueKey(ports, project, name, options),
  };
}

export async function withOfflineDatabase<T>(
  config: AppConfig,
  work: (db: OfflineDatabase) => Promise<T>,
): Promise<T> {
  let embedded: EmbeddedDatabase | null = null;
  const url =
    config.databaseUrl ??
    (embedded = await startEmbeddedPostgres(config.home, config.embeddedPgPort)).url;
  const db = await openDataSource(url, 4, SERVICE_ENTITIES);
  try {
    return await work(offline(db));
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}
