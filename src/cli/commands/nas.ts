import * as fs from 'node:fs';
import { Command } from 'commander';
import { CliError } from '../client';
import { printJson, printTable } from '../output';
import { client, globalOptions } from '../command-context';
import { followToSuccess, type JobRef } from '../follow-job';
import { jsonValue, positiveInt } from '../flags';

interface TrialRow {
  number: number;
  state: string;
  encoding: unknown;
  accuracy?: number;
  params: number;
  flops: number;
  latencyMs?: number;
  feasible?: boolean;
  constraints?: number[];
}

interface NasCounts {
  complete: number;
  infeasible: number;
  pruned: number;
  failed: number;
  rejectedDraws: number;
}

interface NasStatus {
  id: string;
  status: string;
  error: string | null;
  spec?: { constraints?: { metric: string; max: number }[] };
  seed?: number | null;
  objectives?: string[];
  trials?: number;
  counts?: NasCounts;
  frontCosts?: string[];
  stoppedBy?: string;
  best?: TrialRow;
  leaderboard?: TrialRow[];
  paretoFront?: TrialRow[];
  artifacts?: Record<string, string | null>;
}

/** `--space`: a built-in name, inline JSON, or a JSON file. */
function readSpace(value: string): unknown {
  if (value.trim().startsWith('{')) return jsonValue(value, '--space');
  if (fs.existsSync(value)) return jsonValue(fs.readFileSync(value, 'utf8'), `--space ${value}`);
  return value;
}

/** `--constraint flops<=2e6` (repeatable) -> { metric, max }. */
function constraint(value: string, previous: { metric: string; max: number }[] = []) {
  const m = /^\s*([A-Za-z]+)\s*<=\s*([0-9.eE+-]+)\s*$/.exec(value);
  if (!m || !Number.isFinite(Number(m[2])))
    throw new CliError(`--constraint must look like flops<=2000000, got ${value}`);
  return [...previous, { metric: m[1], max: Number(m[2]) }];
}

/** "yes", or the broken budgets with their excess, e.g. "no: latencyMs +1.2". */
function feasibility(t: TrialRow, spec: NasStatus['spec']): string {
  if (t.feasible !== false) return 'yes';
  const broken = (t.constraints ?? [])
    .map((v, i) => ({ v, metric: spec?.constraints?.[i]?.metric ?? `constraint ${i}` }))
    .filter((c) => c.v > 0)
    .map((c) => `${c.metric} +${Number(c.v.toPrecision(3))}`);
  return `no: ${broken.join(', ')}`;
}

function rows(trials: TrialRow[], spec: NasStatus['spec']) {
  return trials.map((t) => ({
    trial: t.number,
    accuracy: t.accuracy?.toFixed(4) ?? '-',
    params: t.params,
    flops: t.flops,
    latencyMs: t.latencyMs === undefined ? '-' : Number(t.latencyMs.toPrecision(3)),
    feasible: feasibility(t, spec),
    encoding: t.encoding,
  }));
}

function countsLine(c: NasCounts): string {
  const redrawn = c.rejectedDraws
    ? `; ${c.rejectedDraws} candidates over a params/FLOPs budget re-drawn before training`
    : '';
  return `${c.complete} complete, ${c.infeasible} infeasible, ${c.pruned} pruned, ${c.failed} failed${redrawn}`;
}

function printStatus(s: NasStatus): void {
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`nas job   ${s.id} ${s.status}${s.error ? `: ${s.error}` : ''}`);
  if (s.seed !== undefined && s.seed !== null) out(`seed      ${s.seed}`);
  if (s.trials !== undefined)
    out(
      `trials    ${s.trials}${s.stoppedBy ? ` (${s.stoppedBy})` : ''}${s.counts ? `: ${countsLine(s.counts)}` : ''}`,
    );
  if (s.best)
    out(
      `best      trial ${s.best.number}: accuracy ${s.best.accuracy?.toFixed(4) ?? '-'}, ${s.best.flops} FLOPs, ${s.best.params} params`,
    );
  if (s.artifacts?.paretoPng) out(`pareto    ${s.artifacts.paretoPng}`);
  const latency = [...(s.leaderboard ?? []), ...(s.paretoFront ?? [])].some(
    (t) => t.latencyMs !== undefined,
  );
  const columns = ['trial', 'accuracy', 'params', 'flops', ...(latency ? ['latencyMs'] : [])];
  if (s.leaderboard?.length) {
    out('\nleaderboard (feasible first, then infeasible by violation)');
    printTable(rows(s.leaderboard.slice(0, 10), s.spec), [...columns, 'feasible']);
  }
  if (s.paretoFront?.length) {
    out(`\nPareto front (accuracy vs ${(s.frontCosts ?? ['flops']).join(', ')}; as in pareto.png)`);
    printTable(rows(s.paretoFront, s.spec), columns);
  }
}

interface RunOptions {
  dataset: string;
  space: string;
  strategy: string;
  trials: number;
  epochs: number;
  objective?: string;
  constraint?: { metric: string; max: number }[];
  pruner?: string;
  batchSize?: number;
  parallelism?: number;
  seed?: number;
  detach?: boolean;
}

/** `autodl nas run|show|export` (docs/nas.md). */
export function registerNasCommands(program: Command): void {
  const nas = program.command('nas').description('neural architecture search (docs/nas.md)');

  nas
    .command('run')
    .description('search architectures on a data set, following the job with a progress bar')
    .requiredOption('--dataset <ds>', 'data set name or id')
    .option('--space <space>', 'cell-cnn | mobilenet | mlp | text, inline JSON or a JSON file')
    .option('--strategy <name>', 'random | tpe | regularized-evolution', 'regularized-evolution')
    .requiredOption('--trials <n>', 'architectures to try', positiveInt('--trials'))
    .option('--epochs <n>', 'training epochs per architecture', positiveInt('--epochs'), 1)
    .option('--objective <json>', 'e.g. {"kind":"multi","costs":["flops"]} (default: accuracy)')
    .option(
      '--constraint <metric<=max>',
      'cost budget, repeatable (flops, params, latencyMs)',
      constraint,
    )
    .option('--pruner <name>', 'early stopping on epochs: asha | hyperband | median')
    .option('--batch-size <n>', 'mini-batch size', positiveInt('--batch-size'))
    .option(
      '--parallelism <n>',
      'candidates trained at once, each a nas-trial job (1..32, default 1)',
      positiveInt('--parallelism'),
    )
    .option(
      '--seed <n>',
      'seed of the split, sampler and candidates (default: random, shown)',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0)
          throw new CliError(`--seed must be an integer >= 0, got ${v}`);
        return n;
      },
    )
    .option('--detach', 'print the job id without following it')
    .action(async (o: RunOptions, cmd: Command) => {
      const api = client(cmd);
      const json = globalOptions(cmd).json;
      const body = {
        dataset: o.dataset,
        space: o.space === undefined ? 'cell-cnn' : readSpace(o.space),
        strategy: o.strategy,
        ...(o.objective && { objective: jsonValue(o.objective, '--objective') }),
        ...(o.constraint && { constraints: o.constraint }),
        ...(o.pruner && { pruner: o.pruner }),
        budget: {
          trials: o.trials,
          epochsPerTrial: o.epochs,
          ...(o.batchSize !== undefined && { batchSize: o.batchSize }),
          ...(o.parallelism !== undefined && { parallelism: o.parallelism }),
        },
        ...(o.seed !== undefined && { seed: o.seed }),
      };
      const created = await api.post<JobRef>('/v1/nas', body);
      if (o.detach) {
        if (json) printJson(created);
        else process.stdout.write(`${created.id} ${created.status}\n`);
        return;
      }
      if (!json) process.stderr.write(`nas job ${created.id}\n`);
      await followToSuccess(api, created.id, json);
      const status = await api.get<NasStatus>(`/v1/nas/${created.id}`);
      if (json) printJson(status);
      else printStatus(status);
    });

  nas
    .command('show <id>')
    .description('a NAS job: status, best architecture, leaderboard and Pareto front')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const status = await client(cmd).get<NasStatus>(`/v1/nas/${id}`);
      if (globalOptions(cmd).json) printJson(status);
      else printStatus(status);
    });

  nas
    .command('export <id>')
    .description('retrain a found architecture on train + validation and register it as a model')
    .option('--trial <n>', 'trial number (default: the best)')
    .option('--epochs <n>', 'training epochs', positiveInt('--epochs'))
    .option('--name <name>', 'name of the registered model')
    .action(
      async (id: string, o: { trial?: string; epochs?: number; name?: string }, cmd: Command) => {
        const api = client(cmd);
        const json = globalOptions(cmd).json;
        const trial = o.trial === undefined || o.trial === 'best' ? 'best' : Number(o.trial);
        if (trial !== 'best' && !(Number.isInteger(trial) && trial >= 0))
          throw new CliError(`--trial must be a trial number or best, got ${o.trial}`);
        const created = await api.post<JobRef>(`/v1/nas/${id}/export`, {
          trial,
          ...(o.epochs !== undefined && { epochs: o.epochs }),
          ...(o.name !== undefined && { name: o.name }),
        });
        const job = await followToSuccess(api, created.id, json);
        if (json) printJson(job);
        else
          process.stdout.write(
            `registered model ${String(job.result?.modelName)} (${String(job.result?.modelId)}), test accuracy ${String(job.result?.testAccuracy)}\n`,
          );
      },
    );
}
