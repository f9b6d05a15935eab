import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Vocabulary } from '../ml/data';
import { ArtifactStore } from '../platform/artifacts/artifact-store';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors/domain-error';
import { contractOf, toPredictions, type Prediction } from '../registry/core/predict';
import type { InputContract } from '../registry/core/encode';
import type { ModelEntity } from '../registry/model.entity';
import { ModelsService } from '../registry/models.service';
import { type DeploymentConfig, mergeConfig } from './core/deployment-config';
import type { CreateDeployment, UpdateDeployment } from './deployments.schema';
import {
  DEPLOYMENT_HOST,
  type DeploymentHost,
  type HostedDeployment,
  type HostStatus,
} from './hosts/deployment-host.port';
import type { PredictResult } from './runtime/deployment-runtime';
import { modelDirOf } from './model-dir';
import {
  RequestPathMeter,
  type RequestPathMeasurement,
  type ServedPath,
} from './request-path-meter';
import { decodeFloat32Rows } from './core/binary-rows';
import { epochNow, type ServerStamps } from './request-trace';
import { encodeRow, encodeSample } from './sample-encoding';
import type { DeploymentEntity } from './storage/deployment.entity';
import { DeploymentsRepository } from './storage/deployments.repository';

function answer(r: PredictResult, info: ModelInfo): RowPrediction {
  return {
    prediction: toPredictions([r.output], info.entity.classNames)[0],
    output: r.output,
    queueMs: r.queueMs,
    serviceMs: r.serviceMs,
    batchSize: r.batchSize,
  };
}

/** How often an API process converges on the deployments table (other replicas' changes). */
export const RECONCILE_INTERVAL_MS = 2000;

export interface DeploymentView {
  id: string;
  name: string;
  model: { id: string; name: string };
  instances: number;
  batch: DeploymentConfig['batch'];
  queue: DeploymentConfig['queue'];
  cutoff?: DeploymentConfig['cutoff'];
  generation: number;
  createdAt: Date;
  updatedAt: Date;
  endpoints: { predict: string; serve: string };
  status: HostStatus;
  /** This API process's request path per predict (all its deployments), null before traffic. */
  requestPath: RequestPathMeasurement | null;
}

export interface ServePrediction {
  deployment: string;
  model: string;
  prediction: Prediction;
  output: number[];
  queueMs: number;
  serviceMs: number;
  batchSize: number;
}

/** One row of a binary predict body, answered. */
export type RowPrediction = Omit<ServePrediction, 'deployment' | 'model'>;

/** The answer to a binary body: one item per row, in the body's order. */
export interface ServeRowsPrediction {
  deployment: string;
  model: string;
  items: RowPrediction[];
}

interface ModelInfo {
  entity: ModelEntity;
  contract: InputContract;
  vocabulary?: Vocabulary;
}

/**
 * Deployments: the rows (desired state) and the host that runs them. In the API process the
 * service restores every row at start and then converges on the table every couple of seconds,
 * so a replica picks up what another replica created, changed or deleted; job workers (no HTTP
 * server) host nothing.
 */
@Injectable()
export class DeploymentsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Deployments');
  private readonly models = new Map<string, ModelInfo>();
  /**
   * Rows by `projectId/ref` (id and name) for the data plane: a predict must not cost a query.
   * Rebuilt from the table by every reconcile pass (so a row deleted through another replica
   * is gone within RECONCILE_INTERVAL_MS) and kept current by this process's own changes.
   */
  private readonly served = new Map<string, DeploymentEntity>();
  private timer?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  private staging?: string;

  constructor(
    private readonly rows: DeploymentsRepository,
    private readonly registry: ModelsService,
    private readonly store: ArtifactStore,
    @Inject(DEPLOYMENT_HOST) private readonly host: DeploymentHost,
    private readonly http: HttpAdapterHost,
    private readonly requestPath: RequestPathMeter,
  ) {}

  /** Only a process that serves HTTP hosts deployments. */
  get hosting(): boolean {
    return this.http.httpAdapter !== undefined && this.http.httpAdapter !== null;
  }

  onApplicationBootstrap(): void {
    if (!this.hosting) return;
    void this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.reconciling?.catch(() => undefined);
    await this.host.close();
    if (this.staging) await rm(this.staging, { recursive: true, force: true });
  }

  async create(principal: Principal, body: CreateDeployment): Promise<DeploymentView> {
    const model = await this.registry.get(principal.projectId, body.model);
    const cutoffModel = body.cutoff
      ? await this.registry.get(principal.projectId, body.cutoff.model)
      : undefined;
    if (cutoffModel && cutoffModel.inputShape.join('x') !== model.inputShape.join('x')) {
      throw ValidationError.field(
        'cutoff.model',
        `takes input [${cutoffModel.inputShape.join(', ')}], the model [${model.inputShape.join(', ')}]`,
      );
    }
    const name = body.name ?? (await this.freeName(principal.projectId, model.name));
    const config: DeploymentConfig = {
      instances: body.instances,
      batch: body.batch,
      queue: body.queue,
      ...(body.cutoff && cutoffModel
        ? { cutoff: { queueThreshold: body.cutoff.queueThreshold, model: cutoffModel.id } }
        : {}),
    };
    if (config.batch.preferredSizes?.some((p) => p > config.batch.maxSize)) {
      throw ValidationError.field(
        'batch.preferredSizes',
        `each must be <= batch.maxSize (${config.batch.maxSize})`,
      );
    }
    const row = await this.rows.insert({
      projectId: principal.projectId,
      name,
      modelId: model.id,
      config,
    });
    if (!row) throw new ConflictError(`a deployment named ${name} exists in this project`);
    try {
      await this.host.apply(await this.hosted(row));
    } catch (err) {
      await this.rows.remove(row.id);
      await this.host.remove(row.id);
      throw err;
    }
    this.remember(row);
    await this.armMeter();
    return this.view(row);
  }

  async list(principal: Principal): Promise<DeploymentView[]> {
    const rows = await this.rows.list(principal.projectId);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async get(principal: Principal, ref: string): Promise<DeploymentView> {
    return this.view(await this.find(principal, ref));
  }

  async update(
    principal: Principal,
    ref: string,
    change: UpdateDeployment,
  ): Promise<DeploymentView> {
    const current = await this.find(principal, ref);
    const config = mergeConfig(current.config, change);
    if (config.batch.preferredSizes?.some((p) => p > config.batch.maxSize)) {
      throw ValidationError.field(
        'batch.preferredSizes',
        `each must be <= batch.maxSize (${config.batch.maxSize})`,
      );
    }
    const row = await this.rows.updateConfig(current.id, config);
    if (!row) throw new NotFoundError('deployment', ref);
    await this.host.apply(await this.hosted(row));
    this.remember(row);
    return this.view(row);
  }

  async remove(principal: Principal, ref: string): Promise<void> {
    const row = await this.find(principal, ref);
    this.forget(row);
    await this.rows.remove(row.id);
    await this.host.remove(row.id);
    await this.armMeter();
  }

  /** The request-path meter runs only while this process hosts a deployment. */
  private async armMeter(): Promise<void> {
    this.requestPath.arm(this.hosting && (await this.host.hosted()).length > 0);
  }

  /** One instance through the deployment's batcher (`ref`: id or name). */
  async predict(
    principal: Principal,
    ref: string,
    body: { instance: unknown; deadlineMs?: number },
    trace?: ServerStamps,
  ): Promise<ServePrediction> {
    const row = await this.servedRow(principal, ref);
    const info = await this.modelInfo(principal.projectId, row.modelId);
    const sample = encodeSample(info.contract, body.instance, info.vocabulary);
    if (trace) trace.enqueued = epochNow();
    const r: PredictResult = await this.host.predict(row.id, sample, body.deadlineMs);
    if (trace) trace.computeMs = r.computeMs;
    this.requestPath.served();
    return { deployment: row.id, model: row.modelId, ...answer(r, info) };
  }

  /** A predict's stamps, for the request-path meter's on-path loop time. */
  servedPath(p: ServedPath): void {
    this.requestPath.path(p);
  }

  /**
   * A binary body (little-endian float32 rows of the model's input size, src/serving/core/
   * binary-rows.ts) through the batcher, each row a request; tabular rows get the model's
   * normalisation, text models take JSON strings only.
   */
  async predictRows(
    principal: Principal,
    ref: string,
    bytes: Uint8Array,
    deadlineMs?: number,
    trace?: ServerStamps,
  ): Promise<ServeRowsPrediction> {
    const row = await this.servedRow(principal, ref);
    const info = await this.modelInfo(principal.projectId, row.modelId);
    const samples = decodeFloat32Rows(bytes, info.contract.inputShape).map((r) =>
      encodeRow(info.contract, r),
    );
    if (trace) trace.enqueued = epochNow();
    const results = await Promise.all(samples.map((s) => this.host.predict(row.id, s, deadlineMs)));
    this.requestPath.served(results.length);
    if (trace) trace.computeMs = results[0]?.computeMs;
    return {
      deployment: row.id,
      model: row.modelId,
      items: results.map((r) => answer(r, info)),
    };
  }

  /** Converges the host on the table: starts and reconfigures rows, removes what is gone. */
  reconcile(): Promise<void> {
    this.reconciling ??= this.converge().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async converge(): Promise<void> {
    try {
      const rows = await this.rows.all();
      this.served.clear();
      for (const row of rows) this.remember(row);
      const ids = new Set(rows.map((r) => r.id));
      for (const id of await this.host.hosted()) if (!ids.has(id)) await this.host.remove(id);
      for (const row of rows) {
        const status = await this.host.status(row.id);
        if (status.generation >= row.generation) continue;
        try {
          await this.host.apply(await this.hosted(row));
          this.logger.log(`deployment ${row.name} (${row.id}) at generation ${row.generation}`);
        } catch (err) {
          this.logger.warn(`deployment ${row.name} (${row.id}): ${(err as Error).message}`);
        }
      }
      // The host now serves the table's rows (no second hosted() call: on Kubernetes it is a request).
      this.requestPath.arm(rows.length > 0);
    } catch (err) {
      this.logger.warn(`reconciling deployments: ${(err as Error).message}`);
    }
  }

  /** The row a predict names, from memory when this process has seen it. */
  private async servedRow(principal: Principal, ref: string): Promise<DeploymentEntity> {
    const hit = this.served.get(`${principal.projectId}/${ref}`);
    if (hit) return hit;
    const row = await this.find(principal, ref);
    this.remember(row);
    return row;
  }

  private remember(row: DeploymentEntity): void {
    this.served.set(`${row.projectId}/${row.id}`, row);
    this.served.set(`${row.projectId}/${row.name}`, row);
  }

  private forget(row: DeploymentEntity): void {
    this.served.delete(`${row.projectId}/${row.id}`);
    this.served.delete(`${row.projectId}/${row.name}`);
  }

  private async find(principal: Principal, ref: string): Promise<DeploymentEntity> {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const row = UUID.test(ref)
      ? await this.rows.findById(principal.projectId, ref)
      : await this.rows.findByName(principal.projectId, ref);
    if (!row) throw new NotFoundError('deployment', ref);
    return row;
  }

  private async view(row: DeploymentEntity): Promise<DeploymentView> {
    const model = await this.registry.getById(row.projectId, row.modelId);
    return {
      id: row.id,
      name: row.name,
      model: { id: model.id, name: model.name },
      instances: row.config.instances,
      batch: row.config.batch,
      queue: row.config.queue,
      ...(row.config.cutoff ? { cutoff: row.config.cutoff } : {}),
      generation: row.generation,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      endpoints: {
        predict: `/v1/deployments/${row.id}/predict`,
        serve: `/v1/serve/${row.name}/predict`,
      },
      status: await this.host.status(row.id),
      requestPath: this.requestPath.measurement(),
    };
  }

  private async hosted(row: DeploymentEntity): Promise<HostedDeployment> {
    const model = await this.registry.getById(row.projectId, row.modelId);
    const cutoff = row.config.cutoff
      ? await this.registry.getById(row.projectId, row.config.cutoff.model)
      : undefined;
    return {
      id: row.id,
      projectId: row.projectId,
      name: row.name,
      generation: row.generation,
      config: row.config,
      modelDir: this.host.kind === 'local' ? await this.modelDir(model) : '',
      ...(cutoff && this.host.kind === 'local'
        ? { cutoffModelDir: await this.modelDir(cutoff) }
        : {}),
    };
  }

  private modelDir(model: ModelEntity): Promise<string> {
    return modelDirOf(this.store, model, async () => {
      this.staging ??= await mkdtemp(path.join(tmpdir(), 'autodl-serving-'));
      return this.staging;
    });
  }

  private async modelInfo(projectId: string, modelId: string): Promise<ModelInfo> {
    const hit = this.models.get(modelId);
    if (hit) return hit;
    const entity = await this.registry.getById(projectId, modelId);
    const vocabulary = (await this.registry.vocabularyOf(entity)) ?? undefined;
    const info: ModelInfo = {
      entity,
      contract: contractOf(entity),
      ...(vocabulary ? { vocabulary } : {}),
    };
    this.models.set(modelId, info);
    return info;
  }

  /** The model's name made a valid deployment name, with a numeric suffix if taken. */
  private async freeName(projectId: string, modelName: string): Promise<string> {
    const base =
      modelName
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 34) || 'deployment';
    for (let i = 0; ; i++) {
      const name = i === 0 ? base : `${base}-${i + 1}`;
      if (!(await this.rows.findByName(projectId, name))) return name;
    }
  }
}
