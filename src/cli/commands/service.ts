import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { startApp } from '../../app';
import { loadServiceConfig } from '../../capability-config';
import { SERVICE_ENTITIES } from '../../capability-entities';
import { AppConfig, workerEnv } from '../../platform/config/app-config';
import { openDataSource } from '../../platform/database/data-source';
import { runMigrations } from '../../platform/database/database.module';
import { EmbeddedDatabase, startEmbeddedPostgres } from '../../platform/database/embedded-postgres';
import { JobQueue } from '../../platform/jobs/job-queue';
import { processGroupDir } from '../../platform/jobs/process-groups';
import { LocalExecutor } from '../../platform/jobs/local-executor';
import { CliError } from '../client';
import { globalOptions } from './jobs';
import { printJson } from '../output';

function configWith(overrides: Record<string, string | undefined>): AppConfig {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
  return loadServiceConfig(env);
}

/** Opens the configured (or embedded) database for admin commands that work without the API. */
export async function withDatabase<T>(
  config: AppConfig,
  fn: (db: DataSource, url: string) => Promise<T>,
): Promise<T> {
  let embedded: EmbeddedDatabase | null = null;
  const url =
    config.databaseUrl ??
    (embedded = await startEmbeddedPostgres(config.home, config.embeddedPgPort)).url;
  const db = await openDataSource(url, 4, SERVICE_ENTITIES);
  try {
    return await fn(db, url);
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`shutdown failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function registerServiceCommands(program: Command): void {
  program
    .command('serve')
    .description('run the API (Swagger console at /docs) with its local worker pool')
    .option('--port <port>', 'HTTP port (PORT)')
    .option('--workers <n>', 'local worker processes (AUTODL_WORKERS)')
    .action(async (o: { port?: string; workers?: string }) => {
      const config = configWith({ PORT: o.port, AUTODL_WORKERS: o.workers });
      const running = await startApp(config);
      process.stderr.write(
        `AutoDL API on http://localhost:${config.port} (${config.consoleDir ? 'web console: /, ' : ''}Swagger console: /docs), executor ${config.executor}` +
          `${config.executor === 'local' ? ` with ${config.workers} worker(s)` : ''}\n`,
      );
      onSignals(() => running.close());
    });

  program
    .command('worker')
    .description('run a pool of job workers against the configured database (no API)')
    .option('--concurrency <n>', 'worker processes (AUTODL_WORKERS)')
    .action(async (o: { concurrency?: string }) => {
      const config = configWith({ AUTODL_WORKERS: o.concurrency });
      if (config.workers < 1) throw new CliError('--concurrency must be at least 1');
      let embedded: EmbeddedDatabase | null = null;
      const url =
        config.databaseUrl ??
        (embedded = await startEmbeddedPostgres(config.home, config.embeddedPgPort)).url;
      const db = await openDataSource(url, 2);
      const executor = new LocalExecutor(new JobQueue(db), {
        workers: config.workers,
        coordinators: config.coordinators,
        databaseUrl: url,
        heartbeatTimeoutMs: config.heartbeatTimeoutMs,
        cancelGraceMs: config.cancelGraceMs,
        env: workerEnv(config),
        processGroupDir: processGroupDir(config.home),
        log: (m) => process.stderr.write(m + '\n'),
      });
      await executor.start();
      process.stderr.write(`${config.workers} worker(s) claiming jobs\n`);
      onSignals(async () => {
        await executor.stop();
        await db.destroy();
        await embedded?.stop();
      });
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async (_o: unknown, cmd: Command) => {
      const applied = await withDatabase(loadServiceConfig(), (db) => runMigrations(db));
      if (globalOptions(cmd).json) printJson({ applied });
      else
        process.stdout.write(
          applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
        );
    });
}
