import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { ApiClient, CliError, refPath, resolveApiKey } from '../client';
import { readCsvRows } from '../../ml/data/csv-rows';
import { downloadFiles, RemoteFile } from '../download';
import { printJson, printTable } from '../output';
import { followJob, globalOptions } from './jobs';

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
interface Model {
  id: string;
  name: string;
  architecture: string;
  params: number;
  flops: number;
  inputKind: string;
  inputShape: number[];
  classNames: string[];
  featureNames: string[] | null;
  lineage: {
    baseModelId: string | null;
    datasetId: string | null;
    method: string;
    jobId: string | null;
  };
  testAccuracy: number | null;
  createdAt: string;
}
interface Page<T> {
  items: T[];
  total: number;
}
interface JobRef {
  id: string;
  status: string;
  error: string | null;
  result: Record<string, unknown> | null;
}

function client(cmd: Command): ApiClient {
  const o = globalOptions(cmd);
  return new ApiClient({ url: o.url, apiKey: o.apiKey });
}

/** A data set or model given by id or by name (names are unique per project). */
function int(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number, got ${value}`);
  return Number(value);
}

function num(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new CliError(`${flag} must be a number, got ${value}`);
  return n;
}

/** multipart/form-data upload (the JSON ApiClient does not send forms). */
async function postForm<T>(
  cmd: Command,
  api: ApiClient,
  route: string,
  form: FormData,
): Promise<T> {
  const key = resolveApiKey(globalOptions(cmd).apiKey);
  let res: globalThis.Response;
  try {
    res = await fetch(api.baseUrl + route, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
  } catch (e) {
    throw new CliError(`cannot reach the service at ${api.baseUrl} (${(e as Error).message})`);
  }
  const text = await res.text();
  const parsed: unknown =
    text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
  if (!res.ok) {
    const p = parsed as { detail?: string; errors?: { field: string; message: string }[] };
    throw new CliError(
      `${res.status} ${p?.detail ?? res.statusText}`,
      (p?.errors ?? []).map((e) => `${e.field}: ${e.message}`),
    );
  }
  return parsed as T;
}

function readFile(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CliError(
      `${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
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

function printModel(m: Model): void {
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`model     ${m.name} (${m.id})`);
  out(`arch      ${m.architecture}: ${m.params} parameters, ${m.flops} FLOPs per example`);
  out(`input     ${m.inputKind} [${m.inputShape.join(', ')}]; classes ${m.classNames.join(', ')}`);
  out(
    `lineage   method ${m.lineage.method}; base ${m.lineage.baseModelId ?? '-'}; data set ${m.lineage.datasetId ?? '-'}; job ${m.lineage.jobId ?? '-'}`,
  );
  if (m.testAccuracy !== null) out(`accuracy  ${m.testAccuracy.toFixed(4)} (test split)`);
}

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

/** Submits a training job, follows it (progress bar unless --json) and prints the new model. */
async function trainAndShow(
  cmd: Command,
  route: string,
  body: Record<string, unknown>,
): Promise<void> {
  const api = client(cmd);
  const json = globalOptions(cmd).json;
  const created = await api.post<JobRef>(route, body);
  const job = (await followJob(api, created.id, {
    progress: !json,
    printLogs: false,
  })) as unknown as JobRef;
  if (job.status !== 'succeeded') {
    if (json) printJson(job);
    throw new CliError(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`);
  }
  const model = await api.get<Model>(`/v1/models/${String(job.result?.modelId)}`);
  if (json) printJson({ job, model });
  else printModel(model);
}

export function registerModelCommands(program: Command): void {
  program
    .command('finetune')
    .description(
      'fine-tune a base model on a data set (PaddleHub-style one-liner) and register the result',
    )
    .requiredOption('--base <model>', 'base model name or id')
    .requiredOption('--dataset <ds>', 'target data set name or id')
    .option(
      '--method <method>',
      'l2 | l2sp | delta | rifle | dtnh+l2sp | dtnh+delta | auto',
      'auto',
    )
    .option('--epochs <n>', 'training epochs')
    .option('--batch-size <n>', 'mini-batch size')
    .option('--lr <rate>', 'learning rate')
    .option('--alpha <a>', 'strength of the transfer term')
    .option('--beta <b>', 'weight decay of the new head')
    .option('--freeze <spec>', 'none | all-but-head | K (first K layers)')
    .option('--patience <n>', 'early stopping patience (epochs)')
    .option('--seed <n>', 'seed')
    .option('--name <name>', 'name of the registered model')
    .option('--record-dynamics', 'store per-sample training dynamics (dynamics.json)')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const hp: Record<string, unknown> = {};
      if (typeof o.batchSize === 'string') hp.batchSize = int(o.batchSize, '--batch-size');
      if (typeof o.lr === 'string') hp.learningRate = num(o.lr, '--lr');
      if (typeof o.alpha === 'string') hp.alpha = num(o.alpha, '--alpha');
      if (typeof o.beta === 'string') hp.beta = num(o.beta, '--beta');
      if (typeof o.patience === 'string') hp.earlyStoppingPatience = int(o.patience, '--patience');
      if (typeof o.seed === 'string') hp.seed = int(o.seed, '--seed');
      if (typeof o.freeze === 'string')
        hp.freeze = /^\d+$/.test(o.freeze) ? Number(o.freeze) : o.freeze;
      const body: Record<string, unknown> = {
        baseModel: String(o.base),
        dataset: String(o.dataset),
        method: o.method,
        hyperParameters: hp,
      };
      if (typeof o.epochs === 'string') body.epochs = int(o.epochs, '--epochs');
      if (typeof o.name === 'string') body.name = o.name;
      if (o.recordDynamics === true) body.recordDynamics = true;
      await trainAndShow(cmd, '/v1/finetune', body);
    });

  program
    .command('pretrain')
    .description('train a zoo architecture on a data set and register the model')
    .requiredOption('--dataset <ds>', 'data set name or id')
    .requiredOption('--arch <name>', 'small-cnn | small-resnet | mobilenet | mlp | text-classifier')
    .option('--epochs <n>', 'training epochs')
    .option('--batch-size <n>', 'mini-batch size')
    .option('--lr <rate>', 'learning rate')
    .option('--seed <n>', 'seed')
    .option('--name <name>', 'name of the registered model')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const body: Record<string, unknown> = {
        dataset: String(o.dataset),
        architecture: o.arch,
      };
      if (o.epochs !== undefined) body.epochs = int(o.epochs, '--epochs');
      if (o.batchSize !== undefined) body.batchSize = int(o.batchSize, '--batch-size');
      if (o.lr !== undefined) body.learningRate = num(o.lr, '--lr');
      if (o.seed !== undefined) body.seed = int(o.seed, '--seed');
      if (o.name !== undefined) body.name = o.name;
      await trainAndShow(cmd, '/v1/pretrain', body);
    });

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
        created = await postForm<Dataset>(cmd, api, '/v1/datasets', form);
      } else {
        const body: Record<string, unknown> = { packaged: o.packaged, name };
        if (o.classes !== undefined)
          body.classes = o.classes
            .split(',')
            .map((c) => (/^\d+$/.test(c.trim()) ? Number(c) : c.trim()));
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
