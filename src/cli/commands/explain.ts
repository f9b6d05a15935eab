import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import type { ExplainResult } from '../../interpret/explain.handler';
import { readCsvRows } from '../../ml/data/csv-rows';
import type { NormLimeJobResult } from '../../interpret/normlime.handler';
import { loadServiceConfig } from '../../capability-config';
import { CliError, refPath } from '../client';
import { printJson, printTable, Progress } from '../output';
import { client, globalOptions } from '../command-context';
import { followJob } from '../follow-job';

interface ExplainOptions {
  model: string;
  method: string;
  data?: string;
  instances?: string;
  dataset?: string;
  sampleSize?: string;
  labelColumn?: string;
  header?: boolean;
  classNames?: string;
  parameters?: string;
  out?: string;
  wait: boolean;
}

interface Explanation {
  id: string;
  status: string;
  error: string | null;
  result: ExplainResult | NormLimeJobResult | null;
  artifacts: { name: string; url: string }[];
}

/** A model given by path (a .json file or a directory with model.json) runs in this process. */
function modelFile(ref: string): string | null {
  if (fs.existsSync(ref)) {
    const file = fs.statSync(ref).isDirectory() ? path.join(ref, 'model.json') : ref;
    if (!fs.existsSync(file)) throw new CliError(`--model: ${ref} holds no model.json`);
    return file;
  }
  if (/\.json$/i.test(ref) || ref.includes('/') || ref.includes(path.sep)) {
    throw new CliError(`--model: file ${ref} does not exist`);
  }
  return null;
}

function readText(file: string, option: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`${option}: cannot read ${file} (${(e as NodeJS.ErrnoException).code})`);
  }
}

function parseJson(text: string, option: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${option} is not valid JSON`);
  }
}

function sampleSize(o: ExplainOptions): number | undefined {
  if (o.sampleSize === undefined) return undefined;
  const n = Number(o.sampleSize);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`--sample-size must be a positive integer, got ${o.sampleSize}`);
  return n;
}

function requestFields(o: ExplainOptions): Record<string, unknown> {
  if (o.method !== 'lime' && o.method !== 'normlime')
    throw new CliError(`--method must be lime or normlime, got ${o.method}`);
  const parameters = o.parameters ? parseJson(o.parameters, '--parameters') : undefined;
  const instances = o.instances
    ? parseJson(readText(o.instances, '--instances'), '--instances')
    : undefined;
  return {
    ...(instances !== undefined ? { instances } : {}),
    ...(sampleSize(o) !== undefined ? { sampleSize: sampleSize(o) } : {}),
    ...(parameters !== undefined ? { parameters } : {}),
  };
}

/** Explains a model file in this process: no service, no database. */
async function explainLocally(
  file: string,
  o: ExplainOptions,
  json: boolean,
): Promise<ExplainResult | NormLimeJobResult> {
  if (!o.data) {
    throw new CliError(
      '--data rows.csv is required with a model file (LIME samples around its feature statistics)',
    );
  }
  if (o.dataset)
    throw new CliError('--dataset names a registered data set; use --data with a file');
  // TensorFlow and the handlers are loaded here, not at the top: `autodl` starts without them.
  const [{ selectBackend }, local, { ExplainJobHandler }, { NormLimeJobHandler }] =
    await Promise.all([
      import('../../ml/backend'),
      import('../../interpret/local-explain'),
      import('../../interpret/explain.handler'),
      import('../../interpret/normlime.handler'),
    ]);
  const { LocalJobContext, loadLayersModelFile, localTabularModel, tabularWidth } = local;
  await selectBackend(loadServiceConfig().tfBackend);
  const net = await loadLayersModelFile(file);
  const csv = readCsvRows(readText(o.data, '--data'), path.basename(o.data), {
    width: tabularWidth(net, file),
    labelColumn: o.labelColumn,
    header: o.header,
  });
  const model = localTabularModel(
    net,
    file,
    csv,
    o.classNames?.split(',').map((s) => s.trim()),
  );
  const fields = requestFields(o);
  // Without instances, lime explains a sample of the rows (default 10) and normlime all rows up to
  // its default sample size.
  if (fields.instances === undefined && fields.sampleSize === undefined)
    fields.sampleSize =
      o.method === 'lime' ? Math.min(10, csv.rows.length) : Math.min(100, csv.rows.length);
  const provider = { load: async () => model };
  const bar = new Progress(!json);
  const ctx = new LocalJobContext(o.out ?? null, (f, m) => bar.update(f, m ?? ''));
  try {
    if (o.method === 'lime') {
      const handler = new ExplainJobHandler(provider);
      return await handler.run(handler.validate({ model: file, ...fields }), ctx);
    }
    const handler = new NormLimeJobHandler(provider);
    return await handler.run(handler.validate({ model: file, ...fields }), ctx);
  } finally {
    bar.stop();
    if (ctx.written.length > 0 && !json)
      process.stderr.write(`wrote ${ctx.written.length} PNG(s) to ${o.out}\n`);
  }
}

/** Queues an explanation of a registered model and follows it. */
async function explainThroughService(
  cmd: Command,
  o: ExplainOptions,
  json: boolean,
): Promise<Explanation> {
  const api = client(cmd);
  const fields = requestFields(o);
  if (o.data) {
    if (fields.instances !== undefined) throw new CliError('give --data or --instances, not both');
    // The model's feature count tells a label column apart from the features.
    const meta = await api.get<{ inputKind: string; featureNames: string[] | null }>(
      refPath('models', o.model),
    );
    const width = meta.inputKind === 'tabular' ? (meta.featureNames?.length ?? null) : null;
    fields.instances = readCsvRows(readText(o.data, '--data'), path.basename(o.data), {
      width,
      labelColumn: o.labelColumn,
      header: o.header,
    }).rows;
  }
  const created = await api.post<Explanation>('/v1/explanations', {
    model: o.model,
    method: o.method,
    ...(o.dataset ? { dataset: o.dataset } : {}),
    ...fields,
  });
  if (!o.wait) return created;
  await followJob(api, created.id, { progress: !json, printLogs: false });
  return api.get<Explanation>(`/v1/explanations/${created.id}`);
}

function printHuman(result: ExplainResult | NormLimeJobResult): void {
  const s = result.summary;
  process.stdout.write(
    `fidelity ${s.meanFidelity.toFixed(3)}  AOPC ${s.meanAopc.toFixed(3)} (random ordering ${s.meanRandomAopc.toFixed(3)})\n`,
  );
  if ('explanations' in result) {
    for (const e of result.explanations) {
      const probs = e.probabilities as number[];
      process.stdout.write(
        `\ninstance ${String(e.instance)}: ${String(e.className)} (p = ${probs[e.label as number].toFixed(3)}), fidelity ${(e.fidelity as number).toFixed(3)}\n`,
      );
      printTable(
        (e.features as { name: string; weight: number }[]).slice(0, 10).map((f) => ({ ...f })),
        ['name', 'weight'],
      );
    }
    return;
  }
  for (const c of result.classes) {
    if (c.count === 0) continue;
    process.stdout.write(`\nclass ${c.className} (${c.count} instances)\n`);
    printTable(
      c.ranking.slice(0, 10).map((r) => ({ ...r })),
      ['feature', 'importance'],
    );
  }
}

export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description(
      'explain a model with LIME (per instance) or NormLIME (per class): a registered model ' +
        'through the service, or a TF.js model.json file in this process',
    )
    .requiredOption(
      '--model <ref|path>',
      'registered model (id or name), or path to a TF.js model.json',
    )
    .option('--method <method>', 'lime | normlime', 'lime')
    .option('--data <csv>', 'CSV rows: instances (and, with a model file, LIME statistics)')
    .option('--instances <json-file>', 'JSON array of instances (rows, texts or images)')
    .option('--dataset <ref>', 'registered data set (id or name) to sample instances from')
    .option('--sample-size <n>', 'instances drawn from the data set / CSV rows')
    .option('--label-column <name|index>', 'CSV column holding labels (ignored as a feature)')
    .option('--header', 'CSV: the first line is a header (default: detected)')
    .option('--no-header', 'CSV: the first line is data')
    .option('--class-names <a,b,...>', 'model file: class names of the outputs')
    .option('--parameters <json>', 'LIME parameters, e.g. {"numSamples": 500, "seed": 1}')
    .option('--out <dir>', 'model file: write the PNG bar charts here')
    .option('--no-wait', 'service: print the queued explanation instead of following it')
    .action(async (o: ExplainOptions, cmd: Command) => {
      const json = globalOptions(cmd).json;
      const file = modelFile(o.model);
      if (file) {
        const result = await explainLocally(file, o, json);
        if (json) printJson(result);
        else printHuman(result);
        return;
      }
      const e = await explainThroughService(cmd, o, json);
      if (json) printJson(e);
      else if (e.status === 'succeeded' && e.result) {
        printHuman(e.result);
        for (const a of e.artifacts) process.stdout.write(`artifact ${a.url}\n`);
      } else process.stdout.write(`${e.id} ${e.status}${e.error ? `: ${e.error}` : ''}\n`);
      if (o.wait && e.status !== 'succeeded') process.exitCode = 1;
    });
}
