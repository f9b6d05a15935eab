/**
 * `autodl collab run|show|list|split`: federations (collaborative learning across sites), and
 * site data sets split from one data set for experiments.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { CliError, refPath, type ApiClient } from '../client';
import { client, globalOptions } from '../command-context';
import { finiteNumber, wholeNumber } from '../flags';
import { printJson, printTable, Progress } from '../output';
import {
  federationBody,
  parseRemoteSite,
  parseSite,
  parseSiteSetting,
  readSpecFile,
} from './collab-body';
import { isFinishedStatus } from '../../platform/jobs/job-status';

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
  sharedDatasetId?: string | null;
  modelId: string | null;
  summary: Record<string, unknown>;
  sites: { name: string; datasetId: string; architecture: string; samples: number | null }[];
  rounds?: Round[];
  createdAt: string;
}

/** A site data set as `POST /v1/datasets/:ref/site-split` returns it. */
interface SiteDataset {
  id: string;
  name: string;
  splitSizes: { train: number; validation: number; test: number };
  stats: { countsPerClass: Record<string, number> };
}

/** The federation summary's `classifierCalibration` (federation-calibration.ts). */
interface CalibrationSummary {
  method: string;
  sites: string[];
  bytesUp: number;
  uncalibratedAccuracy: number | null;
  calibratedAccuracy: number | null;
}

export function calibrationLine(c: CalibrationSummary): string {
  const acc = (v: number | null) => (v === null ? '-' : v.toFixed(4));
  return `calibrated ${c.method}: head re-trained on ${c.sites.length} sites' feature statistics (${formatBytes(c.bytesUp)} sent); accuracy ${acc(c.uncalibratedAccuracy)} -> ${acc(c.calibratedAccuracy)}`;
}

/** The final accuracy line; codistill has no global model, so its number is the sites' mean. */
export function accuracyLine(algorithm: string, accuracy: number): string {
  const of =
    algorithm === 'codistill'
      ? "mean of the sites' own models, each on its test split"
      : "global model, sites' test splits";
  return `accuracy   ${accuracy.toFixed(4)} (${of})`;
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
      if (isFinishedStatus(f.status)) return f;
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
  if (f.sharedDatasetId) out(`shared set ${f.sharedDatasetId} (every site trains on it)`);
  const acc = f.summary.globalAccuracy;
  if (typeof acc === 'number') out(accuracyLine(f.algorithm, acc));
  const privacy = f.summary.privacy as { epsilon: number; delta: number } | null | undefined;
  if (privacy)
    out(
      `privacy    epsilon ${privacy.epsilon.toFixed(2)} at delta ${privacy.delta} per site (Gaussian mechanism, RDP accountant)`,
    );
  const cal = f.summary.classifierCalibration as CalibrationSummary | undefined;
  if (cal) out(calibrationLine(cal));
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
    .option(
      '--spec <file>',
      'a JSON file with the federation spec (any REST field); flags override it',
    )
    .option('--architecture <zoo>', 'zoo architecture, e.g. small-cnn')
    .option('--site <name=dataset>', 'a site: its name and data set (repeat per site)', parseSite)
    .option(
      '--remote-site <name>',
      'a remote site served by `autodl site serve` on its own files (repeatable)',
      parseRemoteSite,
    )
    .option(
      '--site-namespace <site=namespace>',
      "a local site's Kubernetes namespace (one of GET /v1/site-placements; repeatable)",
      parseSiteSetting('--site-namespace'),
    )
    .option(
      '--site-architecture <site=zoo>',
      "codistill: a site's own architecture (repeatable)",
      parseSiteSetting('--site-architecture'),
    )
    .option('--algorithm <name>', 'fedavg | esp-clr | mcl | codistill (default esp-clr)')
    .option('--epochs <n>', 'local epochs per site in all')
    .option('--period <n>', 'esp-clr: epochs per synchronisation (T0)')
    .option('--local-epochs <n>', 'fedavg, mcl, codistill: epochs per round')
    .option('--lr <rate>', 'learning rate (esp-clr: the cycle maximum)')
    .option('--min-lr <rate>', 'esp-clr: the cycle minimum')
    .option('--peak-decay <gamma>', 'esp-clr: cycle amplitude factor per period, in (0, 1]')
    .option('--proximal-mu <mu>', "fedavg, esp-clr: FedProx's mu (sgd/momentum sites)")
    .option('--server-momentum <beta>', 'esp-clr: FedAvgM momentum on the average')
    .option('--scaffold', "fedavg, esp-clr: SCAFFOLD's control variates (2x the bytes)")
    .option('--freeze-head', 'fedavg, esp-clr: FedBABU, sites train the body only (head stays)')
    .option('--batch-size <n>', 'mini-batch size')
    .option('--optimizer <name>', 'sgd | momentum | adam')
    .option('--width <n>', 'zoo width')
    .option('--mixup-alpha <a>', 'mcl: Beta(a, a)')
    .option('--public-dataset <ds>', 'codistill, FedDF: the public set (its labels are not read)')
    .option(
      '--server-distillation [steps]',
      'fedavg, esp-clr: FedDF, distill the sites’ models into each average on --public-dataset (most steps per round)',
    )
    .option(
      '--shared-dataset <ds>',
      'fedavg, esp-clr, mcl: a labelled set every site trains on beside its own (against label skew)',
    )
    .option(
      '--classifier-calibration <method>',
      'fedavg, esp-clr, mcl: ccvr, re-train the head at the end on the sites’ per-class feature statistics (not with --dp-*)',
    )
    .option('--temperature <t>', 'codistill: softmax temperature')
    .option('--distillation-weight <w>', 'codistill: weight of the distillation loss')
    .option('--teacher <who>', 'codistill: peers | ensemble')
    .option('--warmup-rounds <n>', 'codistill: rounds each site trains alone first')
    .option('--ramp-rounds <n>', 'codistill: rounds over which the distillation weight grows')
    .option('--round-min-lr <rate>', 'codistill: one cosine per round down to this rate')
    .option('--quorum <n>', 'accepted updates a round needs')
    .option('--round-retries <n>', 'retries of a failed round')
    .option('--site-timeout <s>', 'seconds a round waits for a remote site')
    .option('--dp-clip <c>', 'DP: clip norm of a site update (with --dp-noise)')
    .option('--dp-noise <sigma>', 'DP: noise multiplier')
    .option('--dp-delta <delta>', "DP: the accountant's delta (default 1e-5)")
    .option('--seed <n>', 'seed')
    .option('--name <name>', 'name of the registered global model')
    .option('--no-wait', 'print the job and return')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const base = typeof o.spec === 'string' ? readSpecFile(o.spec) : {};
      const body = federationBody(o, base);
      const api = client(cmd);
      const json = globalOptions(cmd).json;
      const job = await api.post<{ id: string }>('/v1/federations', body);
      if (o.wait === false) {
        if (json) printJson(job);
        else process.stdout.write(`${job.id}\n`);
        return;
      }
      const remote = (body.sites as { name: string; remote?: boolean }[]).filter((x) => x.remote);
      for (const site of remote)
        process.stderr.write(
          `remote site ${site.name} waits for its agent: autodl collab site-key ${job.id} ${site.name}\n`,
        );
      const f = await follow(api, job.id, !json);
      if (json) printJson(f);
      else printFederation(f);
      if (f.status !== 'succeeded')
        throw new CliError(`federation ${f.id} ${f.status}${f.error ? `: ${f.error}` : ''}`);
    });

  collab
    .command('site-key <id> <site>')
    .description(
      "issue a remote site's key (shown once) and print the command its data centre runs",
    )
    .action(async (id: string, site: string, _o: unknown, cmd: Command) => {
      const api = client(cmd);
      const issued = await api.post<{ key: string; keyId: string }>(
        `/v1/federations/${id}/sites/${encodeURIComponent(site)}/key`,
        {},
      );
      if (globalOptions(cmd).json) return printJson(issued);
      process.stdout.write(`key ${issued.key}\n`);
      process.stdout.write(
        `at the site: autodl site serve --coordinator ${api.baseUrl} --key ${issued.key} --data DIR\n`,
      );
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
    .command('split <dataset>')
    .description(
      'split a data set into N site data sets (<prefix>-1 ... <prefix>-N) for a federation experiment',
    )
    .requiredOption('--sites <n>', 'how many sites (2 to 32)')
    .option('--split <kind>', 'iid | dirichlet (label skew) | classes (disjoint)', 'iid')
    .option('--alpha <a>', 'dirichlet: the concentration (small: strong skew)', '0.5')
    .option('--seed <n>', 'seed of the split', '0')
    .option('--prefix <name>', 'site data set names (default: <dataset>-site)')
    .action(async (ref: string, o: Record<string, string | undefined>, cmd: Command) => {
      const body: Record<string, unknown> = {
        sites: wholeNumber(o.sites!, '--sites'),
        split: o.split,
        seed: wholeNumber(o.seed!, '--seed'),
        ...(o.split === 'dirichlet' ? { alpha: finiteNumber(o.alpha!, '--alpha') } : {}),
        ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      };
      const made = await client(cmd).post<{ items: SiteDataset[] }>(
        `${refPath('datasets', ref)}/site-split`,
        body,
      );
      if (globalOptions(cmd).json) return printJson(made);
      printTable(
        made.items.map((d) => ({
          name: d.name,
          id: d.id,
          train: d.splitSizes.train,
          validation: d.splitSizes.validation,
          test: d.splitSizes.test,
          // The skew at a glance: examples per class.
          classes: Object.entries(d.stats.countsPerClass)
            .map(([c, n]) => `${c}:${n}`)
            .join(' '),
        })),
        ['name', 'id', 'train', 'validation', 'test', 'classes'],
      );
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
