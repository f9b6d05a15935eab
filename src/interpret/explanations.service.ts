import * as fs from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError, NotFoundError, UnprocessableError } from '../platform/errors/domain-error';
import type { JobEntity } from '../platform/jobs/job.entity';
import { JobsService } from '../platform/jobs/jobs.service';
import { rankSuspects, type DynamicsMethod } from './core/dynamics';
import { DYNAMICS_ARTIFACT, parseDynamics } from './dynamics-artifact';
import { coerceInstances } from './explain-runner';
import { ExplainJobHandler, type ExplainSpec } from './explain.handler';
import {
  KIND_OF_METHOD,
  type CreateExplanationDto,
  type DynamicsDto,
  type ExplanationMethod,
} from './explanations.dto';
import type { ExplainableModel } from './model-provider';
import { NormLimeJobHandler, type NormLimeSpec } from './normlime.handler';
import { RegistryPredictProvider } from './registry-provider';

const METHOD_OF_KIND: Record<string, ExplanationMethod> = { explain: 'lime', normlime: 'normlime' };

export const DYNAMICS_METHOD_DESCRIPTIONS: Record<DynamicsMethod, string> = {
  aum:
    'area under the margin (Pleiss et al., NeurIPS 2020): mean over epochs of the assigned ' +
    "label's logit minus the largest other logit; score = -AUM, a mislabelled sample keeps a low " +
    'or negative margin',
  forgetting:
    'forgetting events (Toneva et al., ICLR 2019): correct -> incorrect transitions between ' +
    'consecutive epochs; never-learned samples rank first (epochs + 1)',
  loss: 'mean training loss over epochs (small-loss criterion, Han et al. 2018, read the other way round)',
  combined: 'Borda count: the mean rank position under aum, forgetting and loss',
};

/**
 * Rules of the explanations API: requests become `explain` / `normlime` jobs after the model,
 * the data set and the instances were checked against each other (a mismatch is a 4xx now, not
 * a failed job later); finished finetune jobs' training dynamics become a mislabel ranking.
 */
@Injectable()
export class ExplanationsService {
  constructor(
    private readonly jobs: JobsService,
    private readonly models: RegistryPredictProvider,
    private readonly explain: ExplainJobHandler,
    private readonly normlime: NormLimeJobHandler,
  ) {}

  async create(
    principal: Principal,
    dto: CreateExplanationDto,
    idempotencyKey: string | null,
  ): Promise<{ job: JobEntity; method: ExplanationMethod }> {
    const { method, ...fields } = dto;
    // Only the fields the client sent (DTO instances define absent ones as undefined).
    const raw = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const handler = method === 'lime' ? this.explain : this.normlime;
    const spec = (await this.jobs.resolveReferences(
      principal,
      KIND_OF_METHOD[method],
      handler.validate(raw),
    )) as ExplainSpec | NormLimeSpec;
    const model = await this.models.open(principal.projectId, spec.model, spec.dataset);
    try {
      checkAgainstModel(model, spec);
    } finally {
      model.dispose?.();
    }
    const { job } = await this.jobs.submit(principal, KIND_OF_METHOD[method], spec, {
      idempotencyKey,
    });
    return { job, method };
  }

  /** The explanation job `id` of this project (other kinds and other projects: 404). */
  async get(
    principal: Principal,
    id: string,
  ): Promise<{ job: JobEntity; method: ExplanationMethod }> {
    const job = await this.jobs.get(principal, id);
    const method = METHOD_OF_KIND[job.kind];
    if (!method) throw new NotFoundError('explanation', id);
    return { job, method };
  }

  async artifactFile(principal: Principal, id: string, name: string) {
    await this.get(principal, id);
    return this.jobs.artifactFile(principal, id, name);
  }

  async dynamics(
    principal: Principal,
    id: string,
    method: DynamicsMethod,
    limit: number,
  ): Promise<DynamicsDto> {
    const job = await this.jobs.get(principal, id);
    const listed = await this.jobs.artifacts(principal, id);
    if (!listed.some((a) => a.name === DYNAMICS_ARTIFACT)) {
      if (job.status === 'queued' || job.status === 'running') {
        throw new ConflictError(
          `job ${id} is ${job.status}; its training dynamics are stored when it finishes`,
        );
      }
      throw new NotFoundError(
        'training dynamics (a finetune job run with recordDynamics: true) of job',
        id,
      );
    }
    const { file } = await this.jobs.artifactFile(principal, id, DYNAMICS_ARTIFACT);
    const { samples, dataset, split, classNames } = parseDynamics(await fs.readFile(file));
    const ranked = rankSuspects(samples, method);
    return {
      jobId: id,
      dataset,
      split,
      classNames,
      method,
      methodDescription: DYNAMICS_METHOD_DESCRIPTIONS[method],
      samples: samples.length,
      epochs: samples.reduce((m, s) => Math.max(m, s.epochs.length), 0),
      suspects: ranked.slice(0, limit),
    };
  }
}

/** What the worker would find wrong with the spec, found before queueing it. */
function checkAgainstModel(model: ExplainableModel, spec: ExplainSpec | NormLimeSpec): void {
  if (spec.instances) coerceInstances(model, spec.instances);
  else if (!model.dataset || model.dataset.length === 0) {
    throw new UnprocessableError(
      'the model has no data set to sample instances from; pass instances or a dataset',
      [{ field: 'instances', message: 'required: the model has no training data set' }],
    );
  }
  const labels = 'labels' in spec ? spec.labels : undefined;
  const bad = labels?.findIndex((l) => l >= model.classNames.length) ?? -1;
  if (labels && bad >= 0) {
    throw new UnprocessableError(`labels[${bad}] is not a class of the model`, [
      {
        field: `labels[${bad}]`,
        message: `must be in [0, ${model.classNames.length - 1}] (${model.classNames.join(', ')})`,
      },
    ]);
  }
}
