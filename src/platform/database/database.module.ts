import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { openDataSource } from './data-source';
import { DatabaseHealthRepository } from './database-health.repository';
import { Transactions } from './transactions';
import type { EntityClass } from './platform-entities';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres';

export const DATABASE_URL = Symbol('DATABASE_URL');
const EMBEDDED = Symbol('EMBEDDED');

/** Applies pending migrations; an advisory lock keeps concurrent starters from racing. */
export async function runMigrations(db: DataSource): Promise<string[]> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(7230002)`);
    const applied = await db.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(7230002)`).catch(() => undefined);
    await runner.release();
  }
}

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly db: DataSource,
    @Inject(EMBEDDED) private readonly embedded: EmbeddedDatabase | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
    await this.embedded?.stop();
  }
}

export interface DatabaseModuleOptions {
  /** Apply pending migrations at start (the API and `autodl migrate` do; workers do not). */
  migrate: boolean;
  poolSize?: number;
  /** Every entity of the service (the composition root's SERVICE_ENTITIES). */
  entities: readonly EntityClass[];
}

/**
 * The database: DATABASE_URL when configured, else the embedded PostgreSQL under AUTODL_HOME,
 * started here and stopped at shutdown. Provides a TypeORM DataSource and the effective URL
 * (passed on to worker processes).
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: EMBEDDED,
          inject: [APP_CONFIG],
          useFactory: async (config: AppConfig) =>
            config.databaseUrl
              ? null
              : startEmbeddedPostgres(config.home, config.embeddedPgPort, (m) =>
                  new Logger('Database').log(m),
                ),
        },
        {
          provide: DATABASE_URL,
          inject: [APP_CONFIG, EMBEDDED],
          useFactory: (config: AppConfig, embedded: EmbeddedDatabase | null) =>
            config.databaseUrl ?? embedded!.url,
        },
        {
          provide: DataSource,
          inject: [DATABASE_URL],
          useFactory: async (url: string) => {
            const db = await openDataSource(url, options.poolSize ?? 10, options.entities);
            if (options.migrate) {
              const applied = await runMigrations(db);
              if (applied.length)
                new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
            }
            return db;
          },
        },
        DatabaseLifecycle,
        Transactions,
        DatabaseHealthRepository,
      ],
      // Repositories take the DataSource; services and controllers take repositories.
      exports: [DataSource, DATABASE_URL, Transactions, DatabaseHealthRepository],
    };
  }
}
