/** `autodl projects show|set`: project settings over the REST API (set: admin keys). */
import { Command } from 'commander';
import { CliError } from '../client';
import { client } from '../command-context';
import { printJson } from '../output';

export function registerProjectCommands(program: Command): void {
  const projects = program.command('projects').description('project settings');
  projects.command('show <name>').action(async (name: string, _o: unknown, cmd: Command) => {
    printJson(await client(cmd).get(`/v1/projects/${encodeURIComponent(name)}`));
  });
  projects
    .command('set <name>')
    .description('change settings (admin)')
    .requiredOption('--allow-commands <bool>', 'true | false: may its studies run commands')
    .action(async (name: string, o: { allowCommands: string }, cmd: Command) => {
      if (!['true', 'false'].includes(o.allowCommands))
        throw new CliError(`--allow-commands must be true or false, got "${o.allowCommands}"`);
      printJson(
        await client(cmd).request('PATCH', `/v1/projects/${encodeURIComponent(name)}`, {
          allowCommands: o.allowCommands === 'true',
        }),
      );
    });
}
