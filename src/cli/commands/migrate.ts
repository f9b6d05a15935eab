import { Command } from 'commander';
import { loadServiceConfig } from '../../capability-config';
import { globalOptions } from '../command-context';
import { printJson } from '../output';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async (_o: unknown, cmd: Command) => {
      // Loaded here, not at the top: the client commands start without TypeORM and the entities.
      const { withOfflineDatabase } = await import('../offline-database');
      const applied = await withOfflineDatabase(loadServiceConfig(), (db) => db.migrate());
      if (globalOptions(cmd).json) printJson({ applied });
      else
        process.stdout.write(
          applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
        );
    });
}
