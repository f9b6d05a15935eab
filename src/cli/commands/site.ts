import { join } from 'node:path';
/** `autodl site serve`: a remote site agent of a federation (docs/collab.md). */
import { Command } from 'commander';
import { serveSite } from '../../collab/agent/site-agent';
import { selectBackend, type BackendPreference } from '../../ml/backend';
import { loadImageFolder } from '../../ml/data/image-folder';
import { stratifiedSplit } from '../../ml/data/transforms';
import { CliError } from '../client';
import { positiveInt } from '../flags';

export function registerSiteCommands(program: Command): void {
  const site = program.command('site').description('remote site agents of federations');
  site
    .command('serve')
    .description(
      'train on local files for a federation: pulls work over HTTP(S), posts back only weights',
    )
    .requiredOption('--coordinator <url>', 'the AutoDL service URL')
    .requiredOption('--key <key>', 'the site key (POST /v1/federations/:id/sites/:name/key)')
    .requiredOption('--data <dir>', 'class folders of images (<dir>/<class>/<image>)')
    .option('--test-fraction <f>', 'share of the local data held out to evaluate', '0.25')
    .option('--seed <n>', 'seed of the local train/test split', '0')
    .option(
      '--poll-ms <n>',
      'wait between two polls when there is no work',
      positiveInt('--poll-ms'),
      1000,
    )
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option(
      '--state-dir <dir>',
      'where the agent keeps its per-federation state between rounds (SCAFFOLD control variate)',
      join(process.env.AUTODL_HOME ?? '.autodl', 'site-state'),
    )
    .action(async (o: Record<string, string | number>) => {
      const testFraction = Number(o.testFraction);
      if (!(testFraction >= 0 && testFraction < 1))
        throw new CliError(`--test-fraction must be in [0, 1), got ${o.testFraction}`);
      const backend = await selectBackend(String(o.backend) as BackendPreference);
      const data = await loadImageFolder(String(o.data));
      const split = stratifiedSplit(
        data,
        { train: 1 - testFraction, validation: 0, test: testFraction },
        Number(o.seed),
      );
      process.stdout.write(
        `site agent: ${split.train.size} training and ${split.test.size} test images, backend ${backend}; polling ${String(o.coordinator)}\n`,
      );
      const { items } = await serveSite({
        coordinator: String(o.coordinator),
        key: String(o.key),
        train: split.train,
        test: split.test,
        pollMs: Number(o.pollMs),
        stateDir: String(o.stateDir),
        log: (line) => process.stdout.write(`${line}\n`),
      });
      process.stdout.write(`site agent: ${items} work items answered\n`);
    });
}
