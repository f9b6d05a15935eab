/** `autodl audit`: the audit log of mutating requests (admin keys). */
import { Command } from 'commander';
import { client, globalOptions } from '../command-context';
import { printJson, printTable } from '../output';

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('the audit log of mutating requests, newest first (admin)')
    .option('--project <name>', 'only this project')
    .option('--limit <n>', 'rows', '50')
    .action(async (o: { project?: string; limit: string }, cmd: Command) => {
      const q = new URLSearchParams({ limit: o.limit });
      if (o.project) q.set('project', o.project);
      const page = await client(cmd).get<{ items: Record<string, unknown>[] }>(
        `/v1/audit?${q.toString()}`,
      );
      if (globalOptions(cmd).json) printJson(page);
      else
        printTable(page.items, [
          'time',
          'project',
          'keyId',
          'method',
          'route',
          'targetId',
          'status',
        ]);
    });
}
