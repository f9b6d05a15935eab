/** `autodl collab run|show|list`: federations (collaborative learning across sites). */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import type { ApiClient } from '../client';
import { CliError } from '../client';
import { client, globalOptions } from '../command-context';
import { finiteNumber as num, wholeNumber as int } from '../flags';
import { printJson, printTable, Progress } from '../output';

interface Round {
  round: number;
  attempts: number;
  accepted: string[];
  rejected: { site: string; reason: string }[];
  bytesUp: number;
  bytesDown: number;
  globalAccuracy: number | null;
}

interface Federation {
  id: string;
  status: string;
  error: string | null;
  algorithm: string;
  placement: string;
  roundsPlanned: number;
  roundsDone: number;
  bytesTotal: number;
  modelId: string | null;
  summary: Record<string, unknown>;
  sites: { name: string; datasetId: string; architecture: string; samples: number | null }[];
  rounds?: Round[];
  createdAt: string;
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

/** `name=dataset` (repeatable) into the sites list. */
function parseSite(value: string, previous: { name: string; dataset: string }[] = []) {
  const m = /^([a-z0-9][a-z0-9-]{0,39})=(.+)$/.exec(value);
  if (!m) throw new CliError(`--site must be name=dataset (a lower-case name), got ${value}`);
  return [...previous, { name: m[1], dataset: m[2] }];
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function roundLine(r: Round, planned: number, sites: number): string {
  const acc = r.globalAccuracy === null ? '-' : r.globalAccuracy.toFixed(4);
  const rejected = r.rejected.length
    ? `; left out ${r.rejected.map((x) => `${x.site} (${x.reason})`).join(', ')}`
    : '';
  return `round ${r.round + 1}/${planned}: ${r.accepted.length}/${sites} sites accepted, global accuracy ${acc}, ${formatBytes(r.bytesUp + r.bytesDown)} exchanged${rejected}`;
}

/** Follows a federation: one progress bar step and one line per finished round. */
async function follow(api: ApiClient, id: string, progress: boolean): Promise<Federation> {
  const bar = new Progress(progress);
  let shown = 0;
  try {
    for (;;) {
      const f = await api.get<Federation>(`/v1/federations/${id}`);
      const rounds = f.rounds ?? [];
      for (const r of rounds.slice(shown)) bar.log(roundLine(r, f.roundsPlanned, f.sites.length));
      shown = rounds.length;
      bar.update(
        f.roundsDone / Math.max(1, f.roundsPlanned),
        `${f.status} - round ${f.roundsDone}/${f.roundsPlanned}, ${formatBytes(f.bytesTotal)}`,
      );
      if (FINISHED.includes(f.status)) return f;
      await sleep(1000);
    }
  } finally {
    bar.stop();
  }
}

function printFederation(f: Federation): void {
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`federation ${f.id} (${f.algorithm}, ${f.placement} placement): ${f.status}`);
  if (f.error) out(`error      ${f.error}`);
  out(`rounds     ${f.roundsDone}/${f.roundsPlanned}; ${formatBytes(f.bytesTotal)} exchanged`);
  out(`model      ${f.modelId ?? '-'}`);
  const acc = f.summary.globalAccuracy;
  if (typeof acc === 'number')
    out(`accuracy   ${acc.toFixed(4)} (global model, sites' test splits)`);
  printTable(f.sites, ['name', 'datasetId', 'architecture', 'samples']);
  if (f.rounds?.length) {
    printTable(
      f.rounds.map((r) => ({
        round: r.round + 1,
        accepted: r.accepted.length,
        rejected: r.rejected.map((x) => `${x.site}:${x.reason}`).join(' ') || '-',
        accuracy: r.globalAccuracy,
        bytes: formatBytes(r.bytesUp + r.bytesDown),
      })),
      ['round', 'accepted', 'rejected', 'accuracy', 'bytes'],
    );
  }
}

export function registerCollabCommands(program: Command): void {
  const collab = program
    .command('collab')
    .description('collaborative learning across sites (federations)');

  collab
    .command('run')
    .description(
      'train one model across sites (data sets) without moving their data; follows the rounds',
    )
    .requiredOption('--architecture <zoo>', 'zoo architecture, e.g. small-cnn')
    .requiredOption(
      '--site <name=dataset>',
      'a site: its name and data set (repeat per site)',
      parseSite,
    )
    .option('--algorithm <name>', 'fedavg | esp-clr | mcl | codistill', 'esp-clr')
    .option('--epochs <n>', 'local epochs per site in all')
    .option('--period <n>', 'esp-clr: epochs per synchronisation (T0)')
    .option('--local-epochs <n>', 'fedavg, mcl, codistill: epochs per round')
    .option('--lr <rate>', 'learning rate (esp-clr: the cycle maximum)')
    .option('--min-lr <rate>', 'esp-clr: the cycle minimum')
    .option('--batch-size <n>', 'mini-batch size')
    .option('--optimizer <name>', 'sgd | momentum | adam')
    .option('--width <n>', 'zoo width')
    .option('--mixup-alpha <a>', 'mcl: Beta(a, a)')
    .option('--public-dataset <ds>', 'codistill: the shared public set')
    .option('--temperature <t>', 'codistill: softmax temperature')
    .option('--quorum <n>', 'accepted updates a round needs')
    .option('--dp-clip <c>', 'DP: clip norm of a site update (with --dp-noise)')
    .option('--dp-noise <sigma>', 'DP: noise multiplier')
    .option('--seed <n>', 'seed')
    .option('--name <name>', 'name of the registered global model')
    .option('--no-wait', 'print the job and return')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
      const body: Record<string, unknown> = {
        architecture: s('architecture'),
        sites: o.site,
        algorithm: s('algorithm'),
      };
      const ints: [string, string, string][] = [
        ['epochs', 'epochs', '--epochs'],
        ['period', 'period', '--period'],
        ['localEpochs', 'localEpochs', '--local-epochs'],
        ['batchSize', 'batchSize', '--batch-size'],
        ['width', 'width', '--width'],
        ['quorum', 'quorum', '--quorum'],
        ['seed', 'seed', '--seed'],
      ];
      for (const [key, field, flag] of ints) if (s(key)) body[field] = int(s(key)!, flag);
      const nums: [string, string, string][] = [
        ['lr', 'learningRate', '--lr'],
        ['minLr', 'minLr', '--min-lr'],
        ['mixupAlpha', 'mixupAlpha', '--mixup-alpha'],
        ['temperature', 'temperature', '--temperature'],
      ];
      for (const [key, field, flag] of nums) if (s(key)) body[field] = num(s(key)!, flag);
      if (s('optimizer')) body.optimizer = s('optimizer');
      if (s('publicDataset')) body.publicDataset = s('publicDataset');
      if (s('name')) body.name = s('name');
      if (s('dpClip') || s('dpNoise')) {
        if (!s('dpClip') || !s('dpNoise'))
          throw new CliError('--dp-clip and --dp-noise go together');
        body.dp = {
          clipNorm: num(s('dpClip')!, '--dp-clip'),
          noiseMultiplier: num(s('dpNoise')!, '--dp-noise'),
        };
      }
      const api = client(cmd);
      const json = globalOptions(cmd).json;
      const job = await api.post<{ id: string }>('/v1/federations', body);
      if (o.wait === false) {
        if (json) printJson(job);
        else process.stdout.write(`${job.id}\n`);
        return;
      }
      const f = await follow(api, job.id, !json);
      if (json) printJson(f);
      else printFederation(f);
      if (f.status !== 'succeeded')
        throw new CliError(`federation ${f.id} ${f.status}${f.error ? `: ${f.error}` : ''}`);
    });

  collab
    .command('show <id>')
    .description('a federation: sites, rounds, accuracy, bytes exchanged')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const f = await client(cmd).get<Federation>(`/v1/federations/${id}`);
      if (globalOptions(cmd).json) printJson(f);
      else printFederation(f);
    });

  collab
    .command('list')
    .description("the project's federations, newest first")
    .action(async (_o: unknown, cmd: Command) => {
      const page = await client(cmd).get<{ items: Federation[]; total: number }>('/v1/federations');
      if (globalOptions(cmd).json) printJson(page);
      else
        printTable(
          page.items.map((f) => ({
            id: f.id,
            algorithm: f.algorithm,
            status: f.status,
            rounds: `${f.roundsDone}/${f.roundsPlanned}`,
            sites: f.sites.length,
            bytes: formatBytes(f.bytesTotal),
          })),
          ['id', 'algorithm', 'status', 'rounds', 'sites', 'bytes'],
        );
    });
}
