import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError, NotFoundError, UnprocessableError } from '../platform/errors/domain-error';
import type { JobEntity } from '../platform/jobs/job.entity';
import type { ExplainableModel } from './core/explainable-model';
import { coerceInstances } from './core/instances';
import {
  DYNAMICS_METHOD_DESCRIPTIONS,
  rankSuspects,
  type DynamicsMethod,
} from './core/training-dynamics';
import { DYNAMICS_ARTIFACT, parseDynamics } from './dynamics-artifact';
import {
  KIND_OF_METHOD,
  type CreateExplanation,
  type ExplainSpec,
  type ExplanationMethod,
  type NormLimeSpec,
} from './explanation-specs.schema';
import { EXPLANATION_JOBS, type ArtifactFile, type ExplanationJobs } from './explanation-jobs';
import type { DynamicsDto } from './explanations.dto';
import { PREDICT_PROVIDER, type PredictProvider } from './predict-provider';

const METHOD_OF_KIND: Record<string, ExplanationMethod> = { explain: 'lime', normlime: 'normlime' };

/**
 * Rules of the explanations API: requests become `explain` / `normlime` jobs after the model,
 * the data set and the instances were checked against each other (a mismatch is a 4xx now, not
 * a failed job later); finished finetune jobs' training dynamics become a mislabel ranking.
 */
@Injectable()
export class ExplanationsService {
  constructor(
    @Inject(EXPLANATION_JOBS) private readonly jobs: ExplanationJobs,
    @Inject(PREDICT_PROVIDER) private readonly models: PredictProvider,
  ) {}

  /** `request`: the body as its schema parsed it (explanation-specs.schema.ts), a job spec. */
  async create(
    principal: Principal,
    request: CreateExplanation,
    idempotencyKey: string | null,
  ): Promise<{ job: JobEntity; method: ExplanationMethod }> {
    const { method } = request;
    const spec = (await this.jobs.resolveReferences(
      principal,
      KIND_OF_METHOD[method],
      request.spec,
    )) as ExplainSpec | NormLimeSpec;
    const model = await this.models.load(spec.model, principal, { dataset: spec.dataset });
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

  async artifactFile(principal: Principal, id: string, name: string): Promise<ArtifactFile> {
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
    const names = await this.jobs.artifactNames(principal, id);
    if (!names.includes(DYNAMICS_ARTIFACT)) {
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
    const bytes = await this.jobs.readArtifact(principal, id, DYNAMICS_ARTIFACT);
    const { samples, dataset, split, classNames } = parseDynamics(bytes);
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
