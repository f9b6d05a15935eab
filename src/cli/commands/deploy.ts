/** `autodl deploy create|list|show|scale|delete|predict`: deployments (docs/serving.md). */
import { Command } from 'commander';
import { CliError } from '../client';
import { client, globalOptions } from '../command-context';
import { finiteNumber, jsonValue, positiveInt } from '../flags';
import { printJson, printTable } from '../output';
import { encodeFloat32Rows } from '../../serving/core/binary-rows';
import { float32Row, registerDeployLoopCommands } from './deploy-loop';

interface RowAnswer {
  prediction: { label: string };
  batchSize: number;
  queueMs: number;
  serviceMs: number;
}

/** What the CLI reads of a deployment (src/serving/deployments.service.ts DeploymentView). */
interface Deployment {
  id: string;
  name: string;
  model: { id: string; name: string };
  instances: number;
  batch: { maxSize: number; maxDelayMs: number; preferredSizes?: number[] };
  queue: { capacity: number; timeoutMs: number };
  generation: number;
  endpoints: { predict: string; serve: string };
  status: {
    state: string;
    error?: string;
    metrics?: {
      queueLength: number;
      instances: number;
      busyInstances: number;
      requests: { served: number; dropped: number };
      drops: Record<string, number>;
      batchSizes: Record<string, number>;
      serviceMsByBatchSize: Record<string, { batches: number; meanMs: number; p99Ms: number }>;
      latencyMs: { count: number; p50: number; p95: number; p99: number };
    };
  };
}

interface TuningFlags {
  instances?: number;
  maxBatch?: number;
  maxDelayMs?: number;
  preferred?: string;
  queueCapacity?: number;
  queueTimeoutMs?: number;
}

const ms = (flag: string) => (v: string) => {
  const n = finiteNumber(v, flag);
  if (n < 0) throw new CliError(`${flag} must be >= 0, got ${v}`);
  return n;
};

function withTuningFlags(cmd: Command): Command {
  return cmd
    .option('--max-batch <n>', 'largest batch (batch.maxSize)', positiveInt('--max-batch'))
    .option(
      '--max-delay-ms <ms>',
      'how long the oldest request may wait for a fuller batch (batch.maxDelayMs)',
      ms('--max-delay-ms'),
    )
    .option('--preferred <sizes>', 'preferred batch sizes, comma-separated (batch.preferredSizes)')
    .option(
      '--queue-capacity <n>',
      'waiting requests before 429 (queue.capacity)',
      positiveInt('--queue-capacity'),
    )
    .option(
      '--queue-timeout-ms <ms>',
      'queue wait before 503 (queue.timeoutMs)',
      ms('--queue-timeout-ms'),
    );
}

/** The body fields the flags set (omitted flags: the server's defaults or current values). */
function tuningBody(o: TuningFlags): Record<string, unknown> {
  const batch = {
    ...(o.maxBatch !== undefined ? { maxSize: o.maxBatch } : {}),
    ...(o.maxDelayMs !== undefined ? { maxDelayMs: o.maxDelayMs } : {}),
    ...(o.preferred !== undefined
      ? { preferredSizes: o.preferred.split(',').map((s) => Number(s.trim())) }
      : {}),
  };
  const queue = {
    ...(o.queueCapacity !== undefined ? { capacity: o.queueCapacity } : {}),
    ...(o.queueTimeoutMs !== undefined ? { timeoutMs: o.queueTimeoutMs } : {}),
  };
  return {
    ...(o.instances !== undefined ? { instances: o.instances } : {}),
    ...(Object.keys(batch).length > 0 ? { batch } : {}),
    ...(Object.keys(queue).length > 0 ? { queue } : {}),
  };
}

const path = (ref: string) => `/v1/deployments/${encodeURIComponent(ref)}`;
const f1 = (x: number) => x.toFixed(1);

function printDeployment(d: Deployment): void {
  const lines = [
    `deployment ${d.name} (${d.id}), generation ${d.generation}: ${d.status.state}${d.status.error ? ` (${d.status.error})` : ''}`,
    `model       ${d.model.name} (${d.model.id})`,
    `instances   ${d.instances}`,
    `batch       maxSize ${d.batch.maxSize}, maxDelayMs ${d.batch.maxDelayMs}${d.batch.preferredSizes ? `, preferred ${d.batch.preferredSizes.join(',')}` : ''}`,
    `queue       capacity ${d.queue.capacity}, timeoutMs ${d.queue.timeoutMs}`,
    `predict     POST ${d.endpoints.serve}`,
  ];
  const m = d.status.metrics;
  if (m) {
    lines.push(
      `queue now   ${m.queueLength} waiting, ${m.busyInstances}/${m.instances} instances busy`,
      `requests    ${m.requests.served} served, ${m.requests.dropped} dropped (${
        Object.entries(m.drops)
          .filter(([, n]) => n > 0)
          .map(([r, n]) => `${r} ${n}`)
          .join(', ') || 'none'
      })`,
      `latency ms  p50 ${f1(m.latencyMs.p50)}, p95 ${f1(m.latencyMs.p95)}, p99 ${f1(m.latencyMs.p99)} (last ${m.latencyMs.count})`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (m && Object.keys(m.serviceMsByBatchSize).length > 0) {
    process.stdout.write('\n');
    printTable(
      Object.entries(m.serviceMsByBatchSize).map(([size, s]) => ({
        batch: size,
        batches: s.batches,
        'mean ms': f1(s.meanMs),
        'p99 ms': f1(s.p99Ms),
      })),
      ['batch', 'batches', 'mean ms', 'p99 ms'],
    );
  }
}

export function registerDeployCommands(program: Command): void {
  const deploy = program
    .command('deploy')
    .description('serve registered models behind a dynamic batcher (deployments)');
  withTuningFlags(
    deploy
      .command('create <model>')
      .description('deploy a registered model (name or id); waits until its instances are ready')
      .option('--name <name>', 'the stable name: POST /v1/serve/<name>/predict')
      .option('--instances <n>', 'model instances', positiveInt('--instances')),
  ).action(async (model: string, o: TuningFlags & { name?: string }, cmd: Command) => {
    const json = globalOptions(cmd).json;
    if (!json) process.stderr.write(`deploying ${model}...\n`);
    const d = await client(cmd).post<Deployment>('/v1/deployments', {
      model,
      ...(o.name !== undefined ? { name: o.name } : {}),
      ...tuningBody(o),
    });
    if (json) return printJson(d);
    printDeployment(d);
  });
  deploy
    .command('list')
    .description('the project’s deployments')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await client(cmd).get<{ items: Deployment[] }>('/v1/deployments');
      if (globalOptions(cmd).json) return printJson({ items });
      printTable(
        items.map((d) => ({
          id: d.id,
          name: d.name,
          model: d.model.name,
          instances: d.instances,
          batch: `${d.batch.maxSize}/${d.batch.maxDelayMs}ms`,
          queue: `${d.queue.capacity}/${d.queue.timeoutMs}ms`,
          state: d.status.state,
          served: d.status.metrics?.requests.served ?? null,
        })),
        ['id', 'name', 'model', 'instances', 'batch', 'queue', 'state', 'served'],
      );
    });
  deploy
    .command('show <deployment>')
    .description('a deployment (name or id) with its live metrics')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const d = await client(cmd).get<Deployment>(path(ref));
      if (globalOptions(cmd).json) return printJson(d);
      printDeployment(d);
    });
  withTuningFlags(
    deploy
      .command('scale <deployment>')
      .description(
        'change instances and/or batching and queue settings; nothing waiting or running is dropped',
      )
      .option('--instances <n>', 'model instances', positiveInt('--instances')),
  ).action(async (ref: string, o: TuningFlags, cmd: Command) => {
    const body = tuningBody(o);
    if (Object.keys(body).length === 0) {
      throw new CliError('give --instances or a batching/queue flag (see --help)');
    }
    const d = await client(cmd).request<Deployment>('PATCH', path(ref), body);
    if (globalOptions(cmd).json) return printJson(d);
    printDeployment(d);
  });
  deploy
    .command('delete <deployment>')
    .description('stop and delete a deployment')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      await client(cmd).request<void>('DELETE', path(ref));
      if (globalOptions(cmd).json) return printJson({ deleted: ref });
      process.stdout.write(`deleted ${ref}\n`);
    });
  deploy
    .command('predict <deployment> <instance>')
    .description('one instance (JSON: pixel array, feature row or a string) through the batcher')
    .option('--deadline-ms <ms>', 'drop the request if not served by then', ms('--deadline-ms'))
    .option('--binary', 'send the instance as little-endian float32 (application/octet-stream)')
    .action(
      async (
        ref: string,
        instance: string,
        o: { deadlineMs?: number; binary?: boolean },
        cmd: Command,
      ) => {
        const api = client(cmd);
        const value = jsonValue(instance, '<instance>');
        const r = o.binary
          ? (
              await api.postBytes<{ items: RowAnswer[] }>(
                `${path(ref)}/predict${o.deadlineMs !== undefined ? `?deadlineMs=${o.deadlineMs}` : ''}`,
                encodeFloat32Rows([float32Row(value, '<instance>')]),
                'application/octet-stream',
              )
            ).items[0]
          : await api.post<RowAnswer>(`${path(ref)}/predict`, {
              instance: value,
              ...(o.deadlineMs !== undefined ? { deadlineMs: o.deadlineMs } : {}),
            });
        if (globalOptions(cmd).json) return printJson(r);
        process.stdout.write(
          `${r.prediction.label}  (batch of ${r.batchSize}, queue ${f1(r.queueMs)} ms, service ${f1(r.serviceMs)} ms)\n`,
        );
      },
    );
  registerDeployLoopCommands(deploy);
}
