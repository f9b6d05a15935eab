/** `autodl models list|show|evaluation|download|bundle|predict`: registered models. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { readCsvRows } from '../../ml/data/csv-rows';
import { CliError, refPath } from '../client';
import { client, globalOptions } from '../command-context';
import { downloadFiles, RemoteFile } from '../download';
import { readFlagFile as readFile } from '../flags';
import { printModel, type Model, type Page } from '../model-view';
import { printJson, printTable } from '../output';

interface Evaluation {
  model: string;
  split: string;
  count: number;
  accuracy: number;
  loss: number;
  classNames: string[];
  precision: (number | null)[];
  recall: (number | null)[];
  confusion: number[][];
}

/** What the CLI reads of GET /v1/models/:id/bundle (src/registry/model-bundle.ts). */
interface BundleManifest {
  model: { id: string };
  files: RemoteFile[];
  variants: { id: string; name: string; params: number; flops: number }[];
}

function printEvaluation(e: Evaluation): void {
  process.stdout.write(
    `${e.split} split: ${e.count} examples, accuracy ${e.accuracy.toFixed(4)}, loss ${e.loss.toFixed(4)}\n\n`,
  );
  printTable(
    e.classNames.map((c, k) => ({ class: c, precision: e.precision[k], recall: e.recall[k] })),
    ['class', 'precision', 'recall'],
  );
  process.stdout.write('\nconfusion (rows: true class, columns: predicted)\n');
  const columns = ['true', ...e.classNames];
  printTable(
    e.confusion.map((row, k) => ({
      true: e.classNames[k],
      ...Object.fromEntries(row.map((n, j) => [e.classNames[j], n])),
    })),
    columns,
  );
}

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('inspect registered models and predict');
  models
    .command('list')
    .description('list the registered models of the project')
    .action(async (_o: unknown, cmd: Command) => {
      const page = await client(cmd).get<Page<Model>>('/v1/models?limit=500');
      if (globalOptions(cmd).json) return printJson(page);
      printTable(
        page.items.map((m) => ({
          id: m.id,
          name: m.name,
          arch: m.architecture,
          method: m.lineage.method,
          params: m.params,
          accuracy: m.testAccuracy,
        })),
        ['id', 'name', 'arch', 'method', 'params', 'accuracy'],
      );
    });
  models
    .command('show <model>')
    .description('architecture, parameters, FLOPs and lineage of a model (name or id)')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const api = client(cmd);
      const m = await api.get<Model>(refPath('models', ref));
      if (globalOptions(cmd).json) printJson(m);
      else printModel(m);
    });
  models
    .command('evaluation <model>')
    .description('test-split accuracy, per-class precision and recall, confusion matrix')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const e = await client(cmd).get<Evaluation>(`${refPath('models', ref)}/evaluation`);
      if (globalOptions(cmd).json) return printJson(e);
      printEvaluation(e);
    });
  models
    .command('download <model>')
    .description(
      "download a model's files (model.json, weights.bin, vocabulary, model card) into a folder",
    )
    .requiredOption('-o, --out <dir>', 'the folder to write into (created if missing)')
    .action(async (ref: string, o: { out: string }, cmd: Command) => {
      const api = client(cmd);
      const json = globalOptions(cmd).json;
      const listing = await api.get<{ model: string; files: RemoteFile[] }>(
        `${refPath('models', ref)}/files`,
      );
      const written = await downloadFiles(api, listing.files, o.out, !json);
      if (json) return printJson({ model: listing.model, files: written });
      for (const w of written) process.stdout.write(`${w.file}  ${w.bytes} bytes\n`);
    });
  models
    .command('bundle <model>')
    .description(
      'download the export bundle for on-device use (packages/edge): bundle.json and the files it names',
    )
    .requiredOption('-o, --out <dir>', 'the folder to write into (created if missing)')
    .action(async (ref: string, o: { out: string }, cmd: Command) => {
      const api = client(cmd);
      const json = globalOptions(cmd).json;
      const manifest = await api.get<BundleManifest>(`${refPath('models', ref)}/bundle`);
      const written = await downloadFiles(api, manifest.files, o.out, !json);
      // In the folder the files sit beside bundle.json: relative URLs, so the folder can be
      // served as is (loadBundle({ url })) or read from disk (loadBundleFromDirectory).
      const local = { ...manifest, files: manifest.files.map((f) => ({ ...f, url: f.name })) };
      const manifestFile = path.join(o.out, 'bundle.json');
      fs.writeFileSync(manifestFile, JSON.stringify(local, null, 2) + '\n');
      if (json)
        return printJson({ model: manifest.model.id, manifest: manifestFile, files: written });
      for (const w of written) process.stdout.write(`${w.file}  ${w.bytes} bytes\n`);
      process.stdout.write(`${manifestFile}\n`);
      for (const v of manifest.variants) {
        process.stdout.write(
          `variant ${v.name}: ${v.params} params, ${v.flops} FLOPs (autodl models bundle ${v.id})\n`,
        );
      }
    });
  models
    .command('predict <model>')
    .description('predict images (PNG/JPEG files), CSV rows (--rows file) or texts (--text)')
    .option('--image <files...>', 'image files')
    .option(
      '--rows <csv>',
      'a CSV file of feature rows (a header line and a label column are recognised, as in explain --data)',
    )
    .option('--label-column <name|index>', '--rows: the column holding labels (not a feature)')
    .option('--header', '--rows: the first line is a header (default: detected)')
    .option('--no-header', '--rows: the first line is data')
    .option('--text <texts...>', 'texts')
    .action(
      async (
        ref: string,
        o: {
          image?: string[];
          rows?: string;
          labelColumn?: string;
          header?: boolean;
          text?: string[];
        },
        cmd: Command,
      ) => {
        const api = client(cmd);
        const model = await api.get<Model>(refPath('models', ref));
        const body: Record<string, unknown> = {};
        if (o.image) body.images = o.image.map((f) => readFile(f, '--image').toString('base64'));
        if (o.rows) {
          body.rows = readCsvRows(readFile(o.rows, '--rows').toString('utf8'), o.rows, {
            width: model.inputKind === 'tabular' ? (model.featureNames?.length ?? null) : null,
            labelColumn: o.labelColumn,
            header: o.header,
          }).rows;
        }
        if (o.text) body.texts = o.text;
        if (Object.keys(body).length !== 1)
          throw new CliError('pass one of --image, --rows, --text');
        const res = await api.post<{
          predictions: { label: string; probabilities: Record<string, number> }[];
        }>(`${refPath('models', model.id)}/predict`, body);
        if (globalOptions(cmd).json) return printJson(res);
        printTable(
          res.predictions.map((p, i) => ({
            input: i,
            label: p.label,
            probability: p.probabilities[p.label],
          })),
          ['input', 'label', 'probability'],
        );
      },
    );
}
