import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { ApiClient, CliError } from '../client';
import { printJson, printTable } from '../output';
import { CsvTrial, trialsCsv } from '../trials-csv';
import { client, globalOptions } from '../command-context';

interface StudySummary {
  id: string;
  name: string;
  status: string;
  directions: string[];
  jobId: string | null;
  trials: number;
  createdAt: string;
}

/** The trials endpoint pages at most this many. */
const TRIALS_PAGE = 1000;

/** Every trial of a study, paging through GET /v1/studies/:id/trials. */
async function allTrials(api: ApiClient, id: string): Promise<CsvTrial[]> {
  const trials: CsvTrial[] = [];
  for (let offset = 0; ; offset += TRIALS_PAGE) {
    const page = await api.get<{ items: CsvTrial[]; total: number }>(
      `/v1/studies/${encodeURIComponent(id)}/trials?limit=${TRIALS_PAGE}&offset=${offset}`,
    );
    trials.push(...page.items);
    if (page.items.length < TRIALS_PAGE || trials.length >= page.total) return trials;
  }
}

/** `search list`, `search importance`, `search trials`: reading a study's results. */
export function registerSearchResultCommands(search: Command): void {
  search
    .command('list')
    .description('the studies of the project, newest first')
    .option(
      '--status <status>',
      'only studies in this status (running, completed, stopped, failed)',
    )
    .option('--limit <n>', 'at most this many', '50')
    .action(async (o: { status?: string; limit: string }, cmd: Command) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.status ? { status: o.status } : {}) });
      const page = await client(cmd).get<{ items: StudySummary[]; total: number }>(
        `/v1/studies?${q}`,
      );
      if (globalOptions(cmd).json) return printJson(page);
      printTable(
        page.items.map((s) => ({ ...s, directions: s.directions.join(',') })),
        ['id', 'name', 'status', 'directions', 'trials', 'createdAt'],
      );
    });

  search
    .command('importance <study>')
    .description('parameter importance over the complete trials (share of explained variance)')
    .option('--objective <i>', 'objective index for multi-objective studies', '0')
    .action(async (id: string, o: { objective: string }, cmd: Command) => {
      if (!/^\d+$/.test(o.objective))
        throw new CliError(`--objective must be a whole number, got ${o.objective}`);
      const res = await client(cmd).get<{
        objective: number;
        importance: Record<string, number>;
        method: string;
      }>(`/v1/studies/${encodeURIComponent(id)}/importance?objective=${o.objective}`);
      if (globalOptions(cmd).json) return printJson(res);
      process.stdout.write(`objective ${res.objective}, ${res.method}\n`);
      printTable(
        Object.entries(res.importance)
          .sort((a, b) => b[1] - a[1])
          .map(([param, importance]) => ({ param, importance })),
        ['param', 'importance'],
      );
    });

  search
    .command('trials <study>')
    .description("a study's trials: a table, or CSV (--csv) to stdout or a file (-o)")
    .option('--csv', 'CSV like Optuna trials_dataframe(): values, params_*, user_attrs_*, times')
    .option('-o, --out <file>', 'write the CSV to this file')
    .action(async (id: string, o: { csv?: boolean; out?: string }, cmd: Command) => {
      const api = client(cmd);
      const study = await api.get<{ metrics: string[] }>(`/v1/studies/${encodeURIComponent(id)}`);
      const trials = await allTrials(api, id);
      if (o.csv || o.out) {
        const csv = trialsCsv(study.metrics, trials);
        if (!o.out) return void process.stdout.write(csv);
        await fs.promises.mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
        await fs.promises.writeFile(o.out, csv);
        process.stderr.write(`wrote ${trials.length} trial(s) to ${o.out}\n`);
        return;
      }
      if (globalOptions(cmd).json) return printJson(trials);
      printTable(
        trials.map((t) => ({ ...t, values: t.values?.join(', ') })),
        ['number', 'state', 'values', 'params'],
      );
    });
}
