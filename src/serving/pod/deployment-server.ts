import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { SERVICE_ENTITIES } from '../../capability-entities';
import type { BackendPreference } from '../../ml/backend';
import { ArtifactStore } from '../../platform/artifacts/artifact-store';
import { openDataSource } from '../../platform/database/data-source';
import { DomainError } from '../../platform/errors/domain-error';
import type { MetricsService } from '../../platform/metrics/metrics.service';
import { ModelEntity } from '../../registry/model.entity';
import { RequestDroppedError } from '../core/serving-errors';
import { modelDirOf } from '../model-dir';
import { DeploymentRuntime } from '../runtime/deployment-runtime';
import { ServingMetrics } from '../serving-metrics';
import { DeploymentsRepository } from '../storage/deployments.repository';

export interface DeploymentServerOptions {
  databaseUrl: string;
  /** AUTODL_HOME: the artifact tree is `<home>/artifacts` (the shared volume in a pod). */
  home: string;
  id: string;
  port: number;
  host?: string;
  backend: BackendPreference;
  /** Model instances (threads) in this server; on Kubernetes one per pod, pods are the scale. */
  threads?: number;
  /** How often the row is read for batching/queue changes. */
  pollMs?: number;
  /** The largest predict body accepted, bytes. */
  maxBodyBytes?: number;
}

export interface DeploymentServer {
  url: string;
  runtime: DeploymentRuntime;
  /** Stops taking requests (readiness fails), drains the queue and running batch, closes. */
  close(): Promise<void>;
}

/**
 * `autodl serve-deployment --id <id>`: one deployment's batcher and model instances behind a
 * small HTTP server, the process a Kubernetes serving pod runs (core/k8s-serving.ts). It reads
 * the row and the model from the shared database and artifact volume, then follows the row's
 * batching and queue settings in place (instances are the Deployment's replicas).
 *   POST /predict {input: number[], deadlineMs?} -> PredictResult | 400 | 429 | 503 (Retry-After)
 *   GET /healthz (200 while serving, 503 while draining), GET /metrics (Prometheus)
 */
export async function startDeploymentServer(o: DeploymentServerOptions): Promise<DeploymentServer> {
  const ds = await openDataSource(o.databaseUrl, 2, SERVICE_ENTITIES);
  let staging: string | undefined;
  try {
    const rows = new DeploymentsRepository(ds);
    const row = await rows.findAnyById(o.id);
    if (!row) throw new Error(`no deployment ${o.id}`);
    const store = new ArtifactStore(path.join(o.home, 'artifacts'));
    const stage = async () => (staging ??= await mkdtemp(path.join(tmpdir(), 'autodl-serve-')));
    const model = await ds.getRepository(ModelEntity).findOneByOrFail({ id: row.modelId });
    const cutoffModel = row.config.cutoff
      ? await ds.getRepository(ModelEntity).findOneByOrFail({ id: row.config.cutoff.model })
      : undefined;
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'autodl_' });
    // ServingMetrics needs only the registry of the service's MetricsService.
    const metrics = new ServingMetrics({ registry } as MetricsService);
    const runtime = await DeploymentRuntime.start({
      modelDir: await modelDirOf(store, model, stage),
      instances: o.threads ?? 1,
      batch: row.config.batch,
      queue: row.config.queue,
      ...(row.config.cutoff && cutoffModel
        ? {
            cutoff: {
              queueThreshold: row.config.cutoff.queueThreshold,
              modelDir: await modelDirOf(store, cutoffModel, stage),
            },
          }
        : {}),
      backend: o.backend,
      observer: metrics.observer(row.id, row.name),
    });
    metrics.attach({
      gauges: () => {
        const m = runtime.metrics();
        return [
          {
            id: row.id,
            name: row.name,
            queueLength: m.queueLength,
            instances: m.instances,
            busy: m.busyInstances,
          },
        ];
      },
    });
    let generation = row.generation;
    let draining = false;
    const poll = setInterval(() => {
      void rows
        .findAnyById(o.id)
        .then(async (r) => {
          if (!r || r.generation <= generation) return;
          generation = r.generation;
          await runtime.reconfigure({ batch: r.config.batch, queue: r.config.queue });
        })
        .catch(() => undefined);
    }, o.pollMs ?? 2000);
    poll.unref();

    const server = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => send(res, 500, { detail: String(err) }));
    });
    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = req.url?.split('?')[0];
      if (req.method === 'GET' && url === '/healthz') {
        return send(res, draining ? 503 : 200, { state: draining ? 'draining' : 'serving' });
      }
      if (req.method === 'GET' && url === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
        return;
      }
      if (req.method !== 'POST' || url !== '/predict')
        return send(res, 404, { detail: 'no route' });
      let body: { input?: unknown; deadlineMs?: unknown };
      try {
        body = JSON.parse(await readBody(req, o.maxBodyBytes ?? 64 << 20)) as typeof body;
      } catch (err) {
        return send(res, 400, { detail: `body: ${(err as Error).message}` });
      }
      if (!Array.isArray(body.input)) return send(res, 400, { detail: 'input: must be an array' });
      const deadlineMs = typeof body.deadlineMs === 'number' ? body.deadlineMs : undefined;
      try {
        const r = await runtime.predict(
          body.input as number[],
          deadlineMs === undefined ? {} : { deadlineMs },
        );
        send(res, 200, r);
      } catch (err) {
        if (err instanceof RequestDroppedError) {
          res.setHeader('Retry-After', String(err.retryAfterS));
          return send(res, err.reason === 'queue_full' ? 429 : 503, {
            reason: err.reason,
            detail: err.message,
            capacity: runtime.metrics().config.queue.capacity,
          });
        }
        if (err instanceof DomainError) return send(res, 400, { detail: err.message });
        throw err;
      }
    };
    await new Promise<void>((resolve) => server.listen(o.port, o.host ?? '0.0.0.0', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://${o.host ?? '127.0.0.1'}:${port}`,
      runtime,
      close: async () => {
        draining = true;
        clearInterval(poll);
        await runtime.stop();
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await ds.destroy();
        if (staging) await rm(staging, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await ds.destroy();
    if (staging) await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error(`larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
