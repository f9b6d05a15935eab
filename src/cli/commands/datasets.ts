/** `autodl datasets list|show|create`: register and inspect data sets. */
import * as path from 'node:path';
import { Command } from 'commander';
import { CliError, refPath } from '../client';
import { client, globalOptions } from '../command-context';
import { finiteNumber as num, readFlagFile as readFile, wholeNumber as int } from '../flags';
import type { Page } from '../model-view';
import { printJson, printTable } from '../output';
import { parseClassList } from '../../datasets/core/class-list';

interface Dataset {
  id: string;
  name: string;
  kind: string;
  source: string;
  stats: { size: number; numClasses: number; countsPerClass: Record<string, number> } & Record<
    string,
    unknown
  >;
  splitSizes: { train: number; validation: number; test: number };
  options: Record<string, unknown>;
  createdAt: string;
}
function printDataset(d: Dataset): void {
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`data set  ${d.name} (${d.id})`);
  out(`kind      ${d.kind}, ${d.source}; ${d.stats.size} examples, ${d.stats.numClasses} classes`);
  out(
    `split     train ${d.splitSizes.train}, validation ${d.splitSizes.validation}, test ${d.splitSizes.test}`,
  );
  if (d.stats.imageShape) out(`images    ${JSON.stringify(d.stats.imageShape)}`);
  if (d.stats.featureCount) out(`features  ${String(d.stats.featureCount)}`);
  if (d.options.perClass !== undefined)
    out(
      `few-shot  ${String(d.options.perClass)} examples per class in train only; validation and test keep every example`,
    );
  out('');
  printTable(
    Object.entries(d.stats.countsPerClass).map(([name, count]) => ({ class: name, count })),
    ['class', 'count'],
  );
}

export function registerDatasetCommands(program: Command): void {
  const datasets = program.command('datasets').description('register and inspect data sets');
  datasets
    .command('list')
    .description('list the data sets of the project')
    .action(async (_o: unknown, cmd: Command) => {
      const page = await client(cmd).get<Page<Dataset>>('/v1/datasets?limit=500');
      if (globalOptions(cmd).json) return printJson(page);
      printTable(
        page.items.map((d) => ({
          id: d.id,
          name: d.name,
          kind: d.kind,
          size: d.stats.size,
          classes: d.stats.numClasses,
          train: d.splitSizes.train,
          test: d.splitSizes.test,
        })),
        ['id', 'name', 'kind', 'size', 'classes', 'train', 'test'],
      );
    });
  datasets
    .command('show <dataset>')
    .description('a data set with its statistics (name or id)')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const api = client(cmd);
      const d = await api.get<Dataset>(refPath('datasets', ref));
      if (globalOptions(cmd).json) printJson(d);
      else printDataset(d);
    });
  datasets
    .command('create <name>')
    .description('upload a zip of class folders, a CSV or a JSONL file, or register a packaged set')
    .option('--file <path>', 'the data file (.zip, .csv, .jsonl)')
    .option(
      '--packaged <set>',
      'fashion-mnist | sklearn-digits | iris | wine | breast-cancer | spam-assassin',
    )
    .option('--label-column <col>', 'CSV: label column')
    .option('--resize <HxW>', 'images: resize to HxW')
    .option('--classes <list>', 'packaged: keep these classes (comma-separated names or indices)')
    .option(
      '--per-class <n>',
      'packaged: few-shot, training examples per class (train split only; validation and test keep all)',
    )
    .option('--split <t,v,t>', 'train,validation,test fractions')
    .option('--seed <n>', 'split seed')
    .action(async (name: string, o: Record<string, string | undefined>, cmd: Command) => {
      const api = client(cmd);
      if ((o.file === undefined) === (o.packaged === undefined)) {
        throw new CliError('pass exactly one of --file and --packaged');
      }
      let created: Dataset;
      if (o.file !== undefined) {
        const form = new FormData();
        form.set('name', name);
        if (o.labelColumn !== undefined) form.set('labelColumn', o.labelColumn);
        if (o.resize !== undefined) form.set('resize', o.resize);
        if (o.split !== undefined) form.set('split', o.split);
        if (o.seed !== undefined) form.set('seed', o.seed);
        form.set('file', new Blob([readFile(o.file, '--file')]), path.basename(o.file));
        created = await api.postForm<Dataset>('/v1/datasets', form);
      } else {
        const body: Record<string, unknown> = { packaged: o.packaged, name };
        if (o.classes !== undefined) body.classes = parseClassList(o.classes);
        if (o.perClass !== undefined) body.perClass = int(o.perClass, '--per-class');
        if (o.seed !== undefined) body.seed = int(o.seed, '--seed');
        if (o.split !== undefined) {
          const [train, validation, test] = o.split.split(',').map((s) => num(s, '--split'));
          body.split = { train, validation, test };
        }
        created = await api.post<Dataset>('/v1/datasets', body);
      }
      if (globalOptions(cmd).json) printJson(created);
      else printDataset(created);
    });
}
