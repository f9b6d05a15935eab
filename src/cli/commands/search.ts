import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { ApiClient, CliError } from '../client';
import { printJson, printTable, Progress } from '../output';
import { client, globalOptions } from '../command-context';
import { positiveInt, resourcesFromFlags, withResourceFlags } from '../flags';
import { registerSearchResultCommands } from './search-results';

interface Trial {
  number: number;
  state: string;
  params: Record<string, unknown>;
  values: number[] | null;
  userAttrs: Record<string, unknown>;
}

interface Study {
  id: string;
  name: string;
  status: string;
  directions: string[];
  metrics: string[];
  seed: number;
  jobId: string | null;
  config: { budget: { nTrials: number | null; timeoutS: number | null } };
  counts: { running: number; complete: number; pruned: number; failed: number };
  bestTrial: Trial | null;
  paretoFront: Trial[];
}

const ENDED = ['completed', 'stopped', 'failed'];

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new CliError(`${flag} must be a positive number, got ${value}`);
    return n;
  };
}

function readSpace(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --space ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`--space ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function bestLine(s: Study): string {
  if (!s.bestTrial?.values) return 'no complete trial yet';
  return `best ${s.metrics[0]}=${s.bestTrial.values[0]} (trial ${s.bestTrial.number})`;
}

/** Polls the study until it ends, with a progress bar on a TTY (lines on a pipe). */
async function followStudy(api: ApiClient, id: string, progress: boolean): Promise<Study> {
  const bar = new Progress(progress);
  try {
    for (;;) {
      const s = await api.get<Study>(`/v1/studies/${id}`);
      const done = s.counts.complete + s.counts.pruned + s.counts.failed;
      const n = s.config.budget.nTrials;
      bar.update(
        n ? done / n : 0,
        `${s.status} - ${done}${n ? `/${n}` : ''} trials (${s.counts.running} running, ${s.counts.pruned} pruned, ${s.counts.failed} failed), ${bestLine(s)}`,
      );
      if (ENDED.includes(s.status)) return s;
      await sleep(500);
    }
  } finally {
    bar.stop();
  }
}

function summary(s: Study, trials: Trial[]) {
  const best = s.bestTrial;
  return {
    studyId: s.id,
    status: s.status,
    seed: s.seed,
    bestValue: best?.values?.[0] ?? null,
    bestParams: best?.params ?? null,
    paretoFront: s.directions.length > 1 ? s.paretoFront : undefined,
    counts: s.counts,
    trials: trials.map((t) => ({
      number: t.number,
      state: t.state,
      params: t.params,
      values: t.values,
      ...(t.userAttrs.error ? { error: t.userAttrs.error } : {}),
    })),
  };
}

interface RunOptions {
  space: string;
  name?: string;
  metric: string[];
  direction: string[];
  sampler: string;
  samplerSettings?: string;
  pruner?: string;
  prunerSettings?: string;
  trials?: number;
  timeout?: number;
  parallel: number;
  seed?: number;
  trialTimeout?: number;
  image?: string;
  namespace?: string;
  nodeSelector?: Record<string, string>;
  detach?: boolean;
}

/** `--node-selector pool=a,zone=b` as an object (the service checks the label syntax). */
function labels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--node-selector takes key=value pairs, got ${pair}`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

function settings(json: string | undefined, flag: string): Record<string, unknown> {
  if (json === undefined) return {};
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError(`${flag} must be a JSON object, got ${json}`);
}

export function registerSearchCommands(program: Command): void {
  const search = program
    .command('search')
    .description('hyper-parameter search studies (docs/search.md)');
  registerSearchResultCommands(search);

  withResourceFlags(search.command('run'))
    .description(
      'run a study whose trials run <command...> (after --) through the service; the command ' +
        'gets AUTODL_TRIAL_PARAMS and ${name} substitutions and prints name=value lines',
    )
    .argument('<command...>', 'the trial command and its arguments, after --')
    .requiredOption('--space <file>', 'search space JSON file')
    .option('--name <name>', 'study name (default: the command)')
    .option('--metric <names>', 'objective metric(s) the command prints, comma-separated', list, [
      'value',
    ])
    .option('--direction <dirs>', 'minimize | maximize per metric, comma-separated', list, [
      'minimize',
    ])
    .option(
      '--sampler <name>',
      'auto | gp | tpe | tpe-multivariate | random | grid | qmc | cmaes | nsga2 | nsga3 ...',
      'auto',
    )
    .option('--sampler-settings <json>', 'sampler settings as a JSON object')
    .option('--pruner <name>', 'median | percentile | asha | hyperband (default: none)')
    .option('--pruner-settings <json>', 'pruner settings as a JSON object')
    .option('--trials <n>', 'number of trials', positiveInt('--trials'))
    .option('--timeout <s>', 'start no trial after this many seconds', positiveNumber('--timeout'))
    .option('--parallel <n>', 'trials in flight', positiveInt('--parallel'), 1)
    .option('--seed <n>', 'sampler seed (default: random, recorded on the study)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new CliError(`--seed must be an integer >= 0, got ${v}`);
      return n;
    })
    .option(
      '--trial-timeout <s>',
      'kill a trial after this many seconds',
      positiveNumber('--trial-timeout'),
    )
    .option(
      '--image <ref>',
      'run each trial in this image (Kubernetes executor; needs sh and tee in the image)',
    )
    .option(
      '--namespace <ns>',
      "the trials' Kubernetes namespace (AUTODL_K8S_PLACEMENT_NAMESPACES)",
    )
    .option('--node-selector <labels>', "the trials' node labels, key=value,...", labels)
    .option('--detach', 'create the study and print its id without following it')
    .action(async (command: string[], o: RunOptions, cmd: Command) => {
      if (o.nodeSelector && !o.namespace)
        throw new CliError('--node-selector places trials: give --namespace too');
      const json = globalOptions(cmd).json;
      const samplerSettings = settings(o.samplerSettings, '--sampler-settings');
      const resources = resourcesFromFlags(o as unknown as Record<string, unknown>);
      const body = {
        name: o.name ?? command.join(' ').slice(0, 200),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        space: readSpace(o.space),
        directions: o.direction,
        metrics: o.metric,
        sampler: { name: o.sampler, settings: samplerSettings },
        ...(o.pruner
          ? {
              pruner: { name: o.pruner, settings: settings(o.prunerSettings, '--pruner-settings') },
            }
          : {}),
        budget: {
          ...(o.trials !== undefined ? { nTrials: o.trials } : {}),
          ...(o.timeout !== undefined ? { timeoutS: o.timeout } : {}),
          parallelism: o.parallel,
        },
        runner: {
          type: 'command',
          command,
          ...(o.trialTimeout !== undefined ? { timeoutS: o.trialTimeout } : {}),
          ...(o.image !== undefined ? { image: o.image } : {}),
          ...(resources ? { resources } : {}),
        },
        ...(o.namespace !== undefined
          ? { placement: { namespace: o.namespace, nodeSelector: o.nodeSelector ?? {} } }
          : {}),
      };
      const api = client(cmd);
      const created = await api.post<Study>('/v1/studies', body);
      if (o.detach) {
        if (json) printJson(created);
        else process.stdout.write(`${created.id} ${created.status}\n`);
        return;
      }
      if (!json)
        process.stderr.write(
          `study ${created.id} (driver job ${created.jobId}, seed ${created.seed})\n`,
        );
      const ended = await followStudy(api, created.id, !json);
      const trials = (await api.get<{ items: Trial[] }>(`/v1/studies/${created.id}/trials`)).items;
      if (json) printJson(summary(ended, trials));
      else {
        process.stdout.write(`${ended.status}: ${bestLine(ended)}\n`);
        if (ended.bestTrial)
          process.stdout.write(`best params: ${JSON.stringify(ended.bestTrial.params)}\n`);
      }
      if (ended.status === 'failed') process.exitCode = 1;
    });

  search
    .command('show <id>')
    .description('a study: status, counts, best trial and its trials')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const api = client(cmd);
      const s = await api.get<Study>(`/v1/studies/${id}`);
      const trials = (await api.get<{ items: Trial[] }>(`/v1/studies/${id}/trials`)).items;
      if (globalOptions(cmd).json) return printJson(summary(s, trials));
      process.stdout.write(
        `${s.name} (${s.id}, seed ${s.seed}) ${s.status}: ${s.counts.complete} complete, ${s.counts.pruned} pruned, ${s.counts.failed} failed, ${s.counts.running} running; ${bestLine(s)}\n`,
      );
      printTable(
        trials.map((t) => ({
          number: t.number,
          state: t.state,
          values: t.values?.join(', '),
          params: t.params,
        })),
        ['number', 'state', 'values', 'params'],
      );
    });

  search
    .command('stop <id>')
    .description('start no more trials; trials in flight finish')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = await client(cmd).post<Study>(`/v1/studies/${id}/stop`);
      if (globalOptions(cmd).json) printJson(s);
      else process.stdout.write(`${s.id} ${s.status}\n`);
    });
}
