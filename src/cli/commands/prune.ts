/** `autodl prune`: prune a trained model to cost budgets and register the family (docs/nas.md). */
import { Command } from 'commander';
import { CliError } from '../client';
import { client, globalOptions } from '../command-context';
import { positiveInt, resourcesFromFlags, withResourceFlags } from '../flags';
import { followToSuccess, type JobRef } from '../follow-job';
import { printJson, printTable } from '../output';

export function registerPruneCommand(program: Command): void {
  withResourceFlags(
    program
      .command('prune')
      .description('prune a trained model to cost budgets and register the family of models')
      .requiredOption('--model <model>', 'model name or id')
      .option(
        '--budgets <list>',
        'fractions of the original cost, comma-separated',
        '0.75,0.5,0.25',
      )
      .option('--metric <name>', 'flops | params | latencyMs', 'flops')
      .option('--dataset <ds>', 'data set name or id (default: the model’s own)')
      .option('--fine-tune-epochs <n>', 'epochs of fine-tuning per family member'),
  ).action(
    async (
      o: {
        model: string;
        budgets: string;
        metric: string;
        dataset?: string;
        fineTuneEpochs?: string;
        gpus?: string;
        gpuType?: string;
        cpu?: string;
        memory?: string;
      },
      cmd: Command,
    ) => {
      const api = client(cmd);
      const json = globalOptions(cmd).json;
      const budgets = o.budgets.split(',').map(Number);
      if (budgets.some((b) => !(b > 0 && b <= 1)))
        throw new CliError(`--budgets must be fractions in (0, 1], got ${o.budgets}`);
      const resources = resourcesFromFlags(o);
      const created = await api.post<JobRef>('/v1/prune', {
        model: o.model,
        budgets,
        metric: o.metric,
        ...(o.dataset && { dataset: o.dataset }),
        ...(o.fineTuneEpochs !== undefined && {
          fineTuneEpochs: positiveInt('--fine-tune-epochs')(o.fineTuneEpochs),
        }),
        ...(resources && { resources }),
      });
      const job = await followToSuccess(api, created.id, json);
      if (json) return printJson(job);
      const family = (job.result?.family ?? []) as Record<string, unknown>[];
      printTable(
        family.map((f) => ({
          budget: f.budget,
          flops: f.flops,
          params: f.params,
          accuracy: Number(f.accuracy).toFixed(4),
          met: f.met,
          allocation: f.allocation,
          model: f.modelId ?? '-',
        })),
        ['budget', 'flops', 'params', 'accuracy', 'met', 'allocation', 'model'],
      );
    },
  );
}
