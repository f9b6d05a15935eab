import * as fs from 'node:fs';
import { Command } from 'commander';
import { ApiClient, CliError } from '../client';
import { printJson, printTable } from '../output';
import { client, globalOptions } from '../command-context';
import { followJob } from '../follow-job';

interface SimArtifact {
  name: string;
  url: string;
}
interface SimJob<R> {
  id: string;
  status: string;
  error: string | null;
  artifacts: SimArtifact[];
  result: R | null;
}
interface StageSummary {
  id: string;
  instances: number;
  utilisation: number;
  meanQueueLength: number;
  maxQueueLength: number;
  meanBatchSize: number;
  dropped: number;
  cacheHitRatio: number | null;
}
interface SimulationSummary {
  pipeline: string;
  seed: number;
  requests: { arrived: number; completed: number; dropped: number; dropRate: number };
  throughputRps: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  stages: StageSummary[];
  cost: { instances: number; perHour: number };
  accuracyPenalty: number;
  truncated: boolean;
}
interface Evaluation {
  params: Record<string, number>;
  cost: number;
  instances: number;
  p99Ms: number;
  dropRate: number;
  accuracyPenalty: number;
  feasible: boolean;
  unstable: boolean;
}
interface TuneSummary {
  objective: string;
  sampler: string;
  trials: number;
  simulations: number;
  best: Evaluation | null;
  current: Evaluation;
  savingVsCurrent: number | null;
  paretoFront: Evaluation[];
}
interface RingTable {
  formula: string;
  efficiencyLimit: number;
  rows: Record<string, number>[];
}

/** Reads a request file: a clear error for a missing file, bad JSON or a bare pipeline. */
export function readRequestFile(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CliError(
      `--config ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--config ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`--config ${file} must hold a JSON object (${what})`);
  const o = parsed as Record<string, unknown>;
  if (o.pipeline === undefined && Array.isArray(o.stages))
    throw new CliError(
      `--config ${file} is a bare pipeline; wrap it as ${what} (see examples/jizhi/)`,
    );
  return o;
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function charts(api: ApiClient, artifacts: SimArtifact[]): void {
  for (const a of artifacts) process.stdout.write(`chart      ${a.name}: ${api.baseUrl}${a.url}\n`);
}

function printSimulation(api: ApiClient, sim: SimJob<SimulationSummary>): void {
  const r = sim.result as SimulationSummary;
  const l = r.latencyMs;
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`simulation ${sim.id} succeeded (pipeline ${r.pipeline}, seed ${r.seed})`);
  const ms = (x: number) => `${fixed(x, 2)} ms`;
  out(
    `latency    p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`,
  );
  out(`throughput ${fixed(r.throughputRps, 1)} req/s`);
  out(
    `requests   ${r.requests.arrived} arrived, ${r.requests.completed} completed, ` +
      `${r.requests.dropped} dropped (drop rate ${fixed(r.requests.dropRate, 4)})`,
  );
  out(
    `cost       ${r.cost.instances} instances, ${r.cost.perHour} per hour; ` +
      `accuracy penalty ${r.accuracyPenalty}`,
  );
  if (r.truncated) out('warning    the run hit the event cap; statistics cover the simulated part');
  out('');
  printTable(
    r.stages.map((s) => ({
      stage: s.id,
      instances: s.instances,
      utilisation: s.utilisation,
      meanQueue: s.meanQueueLength,
      maxQueue: s.maxQueueLength,
      meanBatch: s.meanBatchSize,
      cacheHits: s.cacheHitRatio,
      dropped: s.dropped,
    })),
    [
      'stage',
      'instances',
      'utilisation',
      'meanQueue',
      'maxQueue',
      'meanBatch',
      'cacheHits',
      'dropped',
    ],
  );
  out('');
  charts(api, sim.artifacts);
}

function describeEvaluation(e: Evaluation): string {
  if (e.unstable) return 'unstable (queues would grow without bound)';
  return (
    `cost ${e.cost} (${e.instances} instances), p99 ${fixed(e.p99Ms, 2)} ms, ` +
    `drop rate ${fixed(e.dropRate, 4)}, accuracy penalty ${e.accuracyPenalty}, ` +
    `${e.feasible ? 'meets' : 'misses'} the SLO`
  );
}

function printTuning(api: ApiClient, t: SimJob<TuneSummary>): void {
  const r = t.result as TuneSummary;
  const out = (line: string) => process.stdout.write(line + '\n');
  out(
    `tuning ${t.id} succeeded: ${r.trials} trials, ${r.simulations} simulations ` +
      `(${r.sampler}, ${r.objective})`,
  );
  out(`current    ${describeEvaluation(r.current)}`);
  if (r.best) {
    out(`best       ${describeEvaluation(r.best)}`);
    for (const [k, v] of Object.entries(r.best.params)) out(`             ${k} = ${v}`);
    if (r.savingVsCurrent !== null && r.savingVsCurrent >= 0)
      out(`saving     ${fixed(100 * r.savingVsCurrent, 1)}% of the current cost`);
    else if (r.savingVsCurrent !== null)
      out(
        `saving     none: the best config costs ${fixed(-100 * r.savingVsCurrent, 1)}% more than ` +
          (r.current.feasible
            ? 'the current one, which meets the SLO (keep it, or raise the budget)'
            : 'the current one, which misses the SLO'),
      );
  } else out('best       no configuration met the SLO; widen the space or raise the budget');
  if (r.paretoFront.length > 0) {
    out('');
    out('Pareto front (cost vs p99):');
    printTable(
      r.paretoFront.map((e) => ({ cost: e.cost, instances: e.instances, p99Ms: e.p99Ms })),
      ['cost', 'instances', 'p99Ms'],
    );
  }
  out('');
  charts(api, t.artifacts);
}

/** Submits, follows with a progress bar (not with --json), fetches the resource, prints it. */
async function runJob<R>(
  cmd: Command,
  resource: 'simulations' | 'tunings',
  body: Record<string, unknown>,
  print: (api: ApiClient, job: SimJob<R>) => void,
): Promise<void> {
  const api = client(cmd);
  const json = globalOptions(cmd).json;
  const created = await api.post<SimJob<R>>(`/v1/${resource}`, body);
  await followJob(api, created.id, { progress: !json, printLogs: false });
  const done = await api.get<SimJob<R>>(`/v1/${resource}/${created.id}`);
  if (json) printJson(done);
  else if (done.status === 'succeeded') print(api, done);
  if (done.status !== 'succeeded') {
    if (!json) process.stderr.write(`${resource.slice(0, -1)} ${done.id} ${done.status}\n`);
    throw new CliError(`job ${done.id} ${done.status}${done.error ? `: ${done.error}` : ''}`);
  }
}

function number(value: string, option: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x))
    throw new CliError(`${option} must be a number, got "${value}"`);
  return x;
}

export function registerSimCommands(program: Command): void {
  const sim = program
    .command('sim')
    .description('JIZHI serving simulator: simulate a pipeline, tune its config, size a ring');

  sim
    .command('run')
    .description('simulate a serving pipeline through the service (job kind simulate)')
    .requiredOption(
      '--config <file>',
      'request JSON {pipeline, traffic, durationS, warmupS?, seed?} (examples/jizhi/simulate.json)',
    )
    .action(async (o: { config: string }, cmd: Command) => {
      const body = readRequestFile(o.config, '{pipeline, traffic, durationS}');
      await runJob<SimulationSummary>(cmd, 'simulations', body, printSimulation);
    });

  sim
    .command('tune')
    .description('search the serving config against an SLO (job kind tune)')
    .requiredOption(
      '--config <file>',
      'request JSON {pipeline, traffic, slo, space, budget, ...} (examples/jizhi/tune.json)',
    )
    .action(async (o: { config: string }, cmd: Command) => {
      const body = readRequestFile(o.config, '{pipeline, traffic, slo, space, budget}');
      await runJob<TuneSummary>(cmd, 'tunings', body, printTuning);
    });

  sim
    .command('ring')
    .description('speedup of data-parallel training on a ring of GPUs (iFlytek RSPS)')
    .requiredOption('--calc <ms>', 'compute time of one iteration on one GPU (ms)')
    .requiredOption('--transmit <ms>', 'time to send the whole model over one link (ms)')
    .requiredOption('--merge <ms>', 'time to add a whole model (ms)')
    .option('--gpus <list>', 'comma-separated GPU counts', '1,2,4,8,16')
    .option('--jitter <cv>', 'coefficient of variation of every step, for the simulation', '0')
    .action(
      async (
        o: { calc: string; transmit: string; merge: string; gpus: string; jitter: string },
        cmd: Command,
      ) => {
        const body = {
          tCalcMs: number(o.calc, '--calc'),
          tTransmitMs: number(o.transmit, '--transmit'),
          tMergeMs: number(o.merge, '--merge'),
          jitterCv: number(o.jitter, '--jitter'),
          gpus: o.gpus.split(',').map((g) => number(g, '--gpus')),
        };
        const table = await client(cmd).post<RingTable>('/v1/ring', body);
        if (globalOptions(cmd).json) return printJson(table);
        process.stdout.write(`${table.formula}\n`);
        process.stdout.write(`efficiency limit (n -> infinity): ${table.efficiencyLimit}\n\n`);
        printTable(table.rows, [
          'gpus',
          'iterationMs',
          'speedup',
          'efficiency',
          'simulatedIterationMs',
          'simulatedSpeedup',
        ]);
      },
    );
}
