/**
 * `autodl deploy load|profile|tune|apply`: open-loop load, and the profile -> simulate -> tune ->
 * apply loop of a deployment (docs/serving.md, "Profile, simulate, tune, apply").
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { LoadReport, runOpenLoop, systemClock } from '../../serving/core/open-loop';
import { poissonSchedule } from '../../serving/core/poisson-schedule';
import type { ServingOverheads } from '../../serving/core/serving-pipeline';
import { httpRowsTarget, httpTarget } from '../../serving/loop/load-targets';
import { CliError, resolveApiKey } from '../client';
import { client, globalOptions } from '../command-context';
import { followToSuccess } from '../follow-job';
import { finiteNumber, jsonValue, positiveInt } from '../flags';
import { printJson, printTable, Progress } from '../output';

const path = (ref: string) => `/v1/deployments/${encodeURIComponent(ref)}`;
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

/** `30s`, `2m`, `500ms` or a plain number of seconds, in seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new CliError(`${flag} must be a duration like 30s, 2m or 500ms, got ${text}`);
  const v = Number(m[1]);
  const s = m[2] === 'ms' ? v / 1000 : m[2] === 'm' ? v * 60 : v;
  if (!(s > 0)) throw new CliError(`${flag} must be > 0, got ${text}`);
  return s;
}

/** `50ms`, `0.2s` or a plain number of milliseconds, in ms. */
export function parseMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new CliError(`${flag} must be a latency like 50ms or 0.2s, got ${text}`);
  const v = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  if (!(v > 0)) throw new CliError(`${flag} must be > 0, got ${text}`);
  return v;
}

interface ProfileRowView {
  batchSize: number;
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p99RelCi: number;
  converged: boolean;
}

interface TuningView {
  config: {
    instances: number;
    batch: { maxSize: number; maxDelayMs: number };
    queue: { capacity: number };
  } | null;
  predicted: { p50Ms: number; p99Ms: number; dropRate: number; throughputRps: number } | null;
  slo: { p99Ms: number; maxDropRate: number };
  trials: number;
  simulations: number;
}

/** A numeric instance (flat or nested) as one float32 row, for a binary body. */
export function float32Row(instance: unknown, flag: string): Float32Array {
  const flat = Array.isArray(instance) ? (instance as unknown[]).flat(Infinity) : [instance];
  if (flat.length === 0 || flat.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new CliError(
      `${flag}: a binary body takes numbers (a pixel array or a feature row); for a string or a base64 image use --body json`,
    );
  }
  return Float32Array.from(flat as number[]);
}

export function printLoadReport(r: LoadReport, title: string): void {
  const l = r.latencyMs;
  const drops = Object.entries(r.dropped)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  process.stdout.write(
    [
      title,
      `requests    ${r.scheduled} scheduled, ${r.ok} ok, ${r.scheduled - r.ok} dropped${drops ? ` (${drops})` : ''}`,
      `rate        offered ${f2(r.offeredRps)} req/s, achieved ${f2(r.achievedRps)} req/s`,
      `latency ms  p50 ${f2(l.p50)}  p90 ${f2(l.p90)}  p95 ${f2(l.p95)}  p99 ${f2(l.p99)}  max ${f2(l.max)}  (from the scheduled send time)`,
      `send lag    p99 ${f2(r.sendLagMs.p99)} ms, max ${f2(r.sendLagMs.max)} ms${r.sendLagMs.p99 > 5 ? '  (the generator fell behind: its lag is in the latencies)' : ''}`,
    ].join('\n') + '\n',
  );
}

export function registerDeployLoopCommands(deploy: Command): void {
  deploy
    .command('load [deployment]')
    .description(
      'open-loop Poisson load: requests sent on schedule whatever the responses do; latency from the scheduled send time',
    )
    .requiredOption('--rate <rps>', 'mean arrival rate, requests per second', (v) =>
      finiteNumber(v, '--rate'),
    )
    .option(
      '--duration <time>',
      'how long to send (30s, 2m)',
      (v) => parseDuration(v, '--duration'),
      30,
    )
    .option('--url <url>', 'POST here instead of the deployment')
    .option('--instance <json>', 'the instance sent (default: 0.5 of the model’s input size)')
    .option(
      '--body <kind>',
      'binary (default: the instance as little-endian float32, answered in binary) or json ({"instance": ...}, e.g. for a text model)',
      'binary',
    )
    .option('--seed <n>', 'seeds the arrival schedule', (v) => Number(v), 0)
    .action(
      async (
        ref: string | undefined,
        o: {
          rate: number;
          duration: number;
          url?: string;
          instance?: string;
          body: string;
          seed: number;
        },
        cmd: Command,
      ) => {
        const g = globalOptions(cmd);
        const api = client(cmd);
        if (!ref && !o.url) throw new CliError('give a deployment or --url');
        if (!(o.rate > 0)) throw new CliError(`--rate must be > 0, got ${o.rate}`);
        if (o.body !== 'binary' && o.body !== 'json') {
          throw new CliError(`--body must be binary or json, got ${o.body}`);
        }
        let instance: unknown =
          o.instance !== undefined ? jsonValue(o.instance, '--instance') : undefined;
        let url = o.url;
        if (ref) {
          const d = await api.get<{ id: string; model: { id: string } }>(path(ref));
          url ??= `${api.baseUrl}/v1/deployments/${d.id}/predict`;
          if (instance === undefined) {
            const m = await api.get<{ inputShape: number[] }>(`/v1/models/${d.model.id}`);
            instance = Array(m.inputShape.reduce((a, x) => a * x, 1)).fill(0.5);
          }
        }
        if (instance === undefined) throw new CliError('give --instance with --url');
        const schedule = poissonSchedule(o.rate, o.duration, o.seed);
        const bar = new Progress(!g.json);
        const headers = { authorization: `Bearer ${resolveApiKey(g.apiKey)}` };
        const target =
          o.body === 'binary'
            ? httpRowsTarget(url as string, float32Row(instance, '--instance'), { headers })
            : httpTarget(url as string, { instance }, { headers });
        let report: LoadReport;
        try {
          report = await runOpenLoop(schedule, target, systemClock, {
            onProgress: (p) =>
              bar.update(
                p.elapsedMs / (o.duration * 1000),
                `${p.sent}/${p.scheduled} sent, ${p.answered} answered`,
              ),
          });
        } finally {
          bar.stop();
        }
        const { latencies: _, ...summary } = report;
        if (g.json) return printJson(summary);
        printLoadReport(
          report,
          `open-loop Poisson ${o.rate} req/s for ${o.duration} s -> ${url} (${o.body} body)`,
        );
      },
    );

  deploy
    .command('profile <deployment>')
    .description(
      'measure the service time per batch size on this host (a job): warm-up, then until the p99’s bootstrap CI is within --target-ci',
    )
    .option('--batch-sizes <list>', 'comma-separated batch sizes (default 1,2,4,8,16)')
    .option('--target-ci <fraction>', 'p99 CI half-width target (default 0.05)', (v) =>
      finiteNumber(v, '--target-ci'),
    )
    .option('--max-samples <n>', 'per batch size (default 3000)', positiveInt('--max-samples'))
    .option('--max-seconds <s>', 'per batch size (default 20)', (v) =>
      finiteNumber(v, '--max-seconds'),
    )
    .action(
      async (
        ref: string,
        o: { batchSizes?: string; targetCi?: number; maxSamples?: number; maxSeconds?: number },
        cmd: Command,
      ) => {
        const api = client(cmd);
        const json = globalOptions(cmd).json;
        const body = {
          ...(o.batchSizes
            ? { batchSizes: o.batchSizes.split(',').map((s) => Number(s.trim())) }
            : {}),
          ...(o.targetCi !== undefined ? { targetRelCi: o.targetCi } : {}),
          ...(o.maxSamples !== undefined ? { maxSamples: o.maxSamples } : {}),
          ...(o.maxSeconds !== undefined ? { maxSecondsPerSize: o.maxSeconds } : {}),
        };
        const job = await api.post<{ id: string }>(`${path(ref)}/profile`, body);
        await followToSuccess(api, job.id, json);
        const p = await api.get<{
          id: string;
          backend: string;
          rule: string;
          rows: ProfileRowView[];
          overheads: ServingOverheads;
          capacityRps: number | null;
          eventLoopCapacityRps: number | null;
        }>(`${path(ref)}/profile`);
        if (json) return printJson(p);
        process.stdout.write(`profile ${p.id} (${p.backend}): ${p.rule}\n\n`);
        printTable(
          p.rows.map((r) => ({
            batch: r.batchSize,
            samples: r.samples,
            'mean ms': f2(r.meanMs),
            'p50 ms': f2(r.p50Ms),
            'p99 ms': f2(r.p99Ms),
            'p99 CI': `+-${(r.p99RelCi * 100).toFixed(1)}%${r.converged ? '' : ' (not converged)'}`,
          })),
          ['batch', 'samples', 'mean ms', 'p50 ms', 'p99 ms', 'p99 CI'],
        );
        process.stdout.write(
          `\noverheads: timer late ${f2(p.overheads.timerLateMs)} ms, reply ${p.overheads.replyMs.toFixed(3)} ms` +
            `\nrequest path: ${requestPathLine(p.overheads)}` +
            (p.overheads.contention
              ? `\ncontention: a full batch x${p.overheads.contention.slowdown.map((x) => x.toFixed(2)).join(' / x')} with 0..${p.overheads.contention.slowdown.length - 1} busy threads on ${p.overheads.contention.cores} cores`
              : '') +
            (p.capacityRps !== null ? `; capacity as configured ${f2(p.capacityRps)} req/s` : '') +
            (p.eventLoopCapacityRps !== null
              ? ` (the API's event loop takes up to ${f2(p.eventLoopCapacityRps)} req/s)`
              : '') +
            `\nsimulator pipeline: GET ${path(ref)}/profile (pipeline)\n`,
        );
      },
    );

  deploy
    .command('tune <deployment>')
    .description(
      'the cheapest config (instances, maxSize, maxDelayMs, queue capacity) meeting an SLO, by simulation of the profile',
    )
    .option('--rate <rps>', 'Poisson traffic at this rate', (v) => finiteNumber(v, '--rate'))
    .option(
      '--trace <file>',
      'replay a recorded trace instead (CSV, first column: arrival seconds)',
    )
    .requiredOption('--p99 <latency>', 'p99 latency SLO (50ms, 0.2s)', (v) => parseMs(v, '--p99'))
    .option('--max-drop <fraction>', 'drop-rate SLO (default 0.001)', (v) =>
      finiteNumber(v, '--max-drop'),
    )
    .option(
      '--max-instances <n>',
      'largest instance count tried (default 4)',
      positiveInt('--max-instances'),
    )
    .option('--apply', 'apply the tuned config at once')
    .action(
      async (
        ref: string,
        o: {
          rate?: number;
          trace?: string;
          p99: number;
          maxDrop?: number;
          maxInstances?: number;
          apply?: boolean;
        },
        cmd: Command,
      ) => {
        if ((o.rate === undefined) === (o.trace === undefined))
          throw new CliError('give exactly one of --rate or --trace');
        const traffic =
          o.rate !== undefined
            ? { model: 'poisson', rateRps: o.rate }
            : { model: 'replay', csv: readTrace(o.trace as string) };
        const api = client(cmd);
        const json = globalOptions(cmd).json;
        const job = await api.post<{ id: string }>(`${path(ref)}/tune`, {
          traffic,
          slo: { p99Ms: o.p99, ...(o.maxDrop !== undefined ? { maxDropRate: o.maxDrop } : {}) },
          ...(o.maxInstances !== undefined ? { maxInstances: o.maxInstances } : {}),
        });
        const done = await followToSuccess(api, job.id, json);
        const t = done.result as unknown as TuningView;
        if (o.apply && t.config) await api.post(`${path(ref)}/apply`, { tuning: job.id });
        if (json) return printJson({ tuning: job.id, ...t, applied: Boolean(o.apply && t.config) });
        if (!t.config || !t.predicted) {
          process.stdout.write(
            `tuning ${job.id}: no config meets p99 <= ${t.slo.p99Ms} ms and drops <= ${t.slo.maxDropRate} (${t.trials} configs simulated)\n`,
          );
          return;
        }
        const c = t.config;
        process.stdout.write(
          [
            `tuning ${job.id}: ${t.trials} configs, ${t.simulations} simulations`,
            `config      ${c.instances} instance(s), maxSize ${c.batch.maxSize}, maxDelayMs ${c.batch.maxDelayMs}, queue capacity ${c.queue.capacity}`,
            `predicted   p50 ${f2(t.predicted.p50Ms)} ms, p99 ${f2(t.predicted.p99Ms)} ms (SLO ${t.slo.p99Ms}), drops ${t.predicted.dropRate.toFixed(4)}`,
            o.apply ? 'applied' : `apply with: autodl deploy apply ${ref} --tuning ${job.id}`,
          ].join('\n') + '\n',
        );
      },
    );

  deploy
    .command('apply <deployment>')
    .description('roll a tuned config onto the deployment (nothing waiting or running is dropped)')
    .requiredOption('--tuning <id>', 'a deployment-tune job')
    .action(async (ref: string, o: { tuning: string }, cmd: Command) => {
      const d = await client(cmd).post<{
        name: string;
        instances: number;
        batch: { maxSize: number; maxDelayMs: number };
        queue: { capacity: number; timeoutMs: number };
      }>(`${path(ref)}/apply`, { tuning: o.tuning });
      if (globalOptions(cmd).json) return printJson(d);
      process.stdout.write(
        `${d.name}: ${d.instances} instance(s), maxSize ${d.batch.maxSize}, maxDelayMs ${d.batch.maxDelayMs}, queue capacity ${d.queue.capacity}, timeoutMs ${d.queue.timeoutMs}\n`,
      );
    });
}

function readTrace(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`--trace ${file}: ${(e as Error).message}`);
  }
}

/** The profile's request-path overheads in one line (what the simulator's http stage uses). */
function requestPathLine(o: ServingOverheads): string {
  const r = o.requestPath;
  if (!r) return 'not measured yet (send traffic first, e.g. deploy load, then profile)';
  const ms = (v: number) => v.toFixed(3);
  return (
    `${ms(r.eventLoopMs)} ms of the API's event loop per request` +
    (r.perBatchMs !== undefined
      ? ` (${ms(r.perBatchMs)} ms of it per batch, at batches of ${(r.batchSize ?? 1).toFixed(2)})`
      : '') +
    (r.wakeDelayMs !== undefined ? `, ${ms(r.wakeDelayMs)} ms to get a core when woken` : '') +
    (r.handoffMs !== undefined
      ? `, thread hand-off ${ms(r.handoffMs)} ms per batch (profile ${o.handoffMs?.toFixed(3) ?? '?'})`
      : '')
  );
}
