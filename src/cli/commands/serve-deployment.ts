import { Command } from 'commander';
import { CliError } from '../client';
import { positiveInt } from '../flags';
import { configWith, onSignals } from '../service-process';

/** `autodl serve-deployment --id <id>`: what a Kubernetes serving pod runs (docs/serving.md). */
export function registerServeDeploymentCommand(program: Command): void {
  program
    .command('serve-deployment')
    .description(
      "serve one deployment's batcher over HTTP from the shared database and artifacts (the Kubernetes serving pod)",
    )
    .requiredOption('--id <id>', 'the deployment id')
    .option('--port <port>', 'HTTP port (PORT; default 8080)')
    .option('--threads <n>', 'model instances in this process', positiveInt('--threads'), 1)
    .action(async (o: { id: string; port?: string; threads: number }) => {
      const config = configWith({ PORT: o.port ?? process.env.PORT ?? '8080' });
      if (!config.databaseUrl) throw new CliError('serve-deployment needs DATABASE_URL');
      // Loaded here: other commands start without TF.js and the database.
      const { startDeploymentServer } = await import('../../serving/pod/deployment-server');
      const server = await startDeploymentServer({
        databaseUrl: config.databaseUrl,
        home: config.home,
        id: o.id,
        port: config.port,
        backend: config.tfBackend,
        threads: o.threads,
      });
      process.stderr.write(`deployment ${o.id} serving on port ${config.port}\n`);
      onSignals(() => server.close());
    });
}
