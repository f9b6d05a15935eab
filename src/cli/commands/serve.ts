import { Command } from 'commander';
import { configWith, onSignals } from '../service-process';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the API (Swagger console at /docs) with its local worker pool')
    .option('--port <port>', 'HTTP port (PORT)')
    .option('--workers <n>', 'local worker processes (AUTODL_WORKERS)')
    .action(async (o: { port?: string; workers?: string }) => {
      const config = configWith({ PORT: o.port, AUTODL_WORKERS: o.workers });
      // Loaded here, not at the top: every other command starts without the whole app.
      const { startApp } = await import('../../app');
      const running = await startApp(config);
      process.stderr.write(
        `AutoDL API on http://localhost:${config.port} (${config.consoleDir ? 'web console: /, ' : ''}Swagger console: /docs), executor ${config.executor}` +
          `${config.executor === 'local' ? ` with ${config.workers} worker(s)` : ''}\n`,
      );
      onSignals(() => running.close());
    });
}
