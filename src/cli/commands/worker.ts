import { Command } from 'commander';
import { EXECUTOR, type Executor } from '../../platform/jobs/executor.port';
import { CliError } from '../client';
import { configWith, onSignals } from '../service-process';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a pool of job workers against the configured database (no API)')
    .option('--concurrency <n>', 'worker processes (AUTODL_WORKERS)')
    .action(async (o: { concurrency?: string }) => {
      const config = configWith({ AUTODL_WORKERS: o.concurrency });
      if (config.workers < 1) throw new CliError('--concurrency must be at least 1');
      const toStderr = (m: string) => process.stderr.write(m + '\n');
      // Loaded here, not at the top: every other command starts without the whole app.
      const { NestFactory } = await import('@nestjs/core');
      const { WorkerPoolModule } = await import('../../app.module');
      const ctx = await NestFactory.createApplicationContext(
        WorkerPoolModule.forRoot(config, { log: toStderr, warn: toStderr }),
        { logger: false, abortOnError: false },
      );
      const executor = ctx.get<Executor | null>(EXECUTOR);
      if (!executor) throw new Error('no executor');
      await executor.start();
      process.stderr.write(`${config.workers} worker(s) claiming jobs\n`);
      onSignals(async () => {
        await executor.stop();
        await ctx.close();
      });
    });
}
