/**
 * The rules behind /v1/nas and /v1/prune: queue the jobs (after checking their references
 * exist in the caller's project), read a NAS job with its live leaderboard, and refuse an export
 * the job would fail on (an unfinished search, an unknown trial, a taken model name).
 */
import * as fs from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { MODEL_REGISTRY, TrainingRegistryPort } from '../registry/model-registry.port';
import type { Principal } from '../platform/auth/projects.service';
import { NotFoundError } from '../platform/errors/domain-error';
import { JobEntity } from '../platform/jobs/job.entity';
import { JobsService } from '../platform/jobs/jobs.service';
import type { NasExportSpec } from './core/nas-export-spec';
import type { NasJobSpec } from './core/nas-spec';
import type { PruneJobSpec } from './core/pruning/prune-spec';
import { NasJobResult, TrialSummary, nasJobResult } from './core/nas-report';
import { nasResultOfStudy } from './core/nas-summary';
import { chosenTrial } from './nas-export-trial';
import { StudiesRepository } from '../search/storage/studies.repository';
import { findNasStudy, loadNasStudy } from './nas-studies';
import type { NasExportRequest } from './nas-export.schema';
import { NasStatusDto } from './nas.dto';

@Injectable()
export class NasService {
  constructor(
    private readonly jobs: JobsService,
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
    private readonly rows: StudiesRepository,
  ) {}

  /** Queues a search; its data set reference resolves at enqueue (unknown: 404). */
  async create(principal: Principal, spec: NasJobSpec, key: string | null): Promise<JobEntity> {
    return (await this.jobs.submit(principal, 'nas', spec, { idempotencyKey: key })).job;
  }

  async get(principal: Principal, id: string): Promise<NasStatusDto> {
    const job = await this.nasJob(principal, id);
    const stored = (await this.jobs.artifacts(principal, id)).map((a) => a.name);
    const row = await findNasStudy(this.rows, principal.projectId, job.id);
    const seed = row?.config.nas.spec.seed ?? (job.spec as { seed?: number }).seed ?? null;
    return NasStatusDto.from(job, stored, await this.liveResult(principal, job, row?.id), seed);
  }

  async export(
    principal: Principal,
    id: string,
    body: NasExportRequest,
    key: string | null,
  ): Promise<JobEntity> {
    const job = await this.nasJob(principal, id);
    const spec: NasExportSpec = { ...body, nasJob: job.id };
    // Refuse now what the job would fail on: an unfinished search or an unknown trial.
    await chosenTrial(job, id, spec.trial, async () => {
      const { file } = await this.jobs.artifactFile(principal, id, 'trials.json');
      return JSON.parse(await fs.promises.readFile(file, 'utf8')) as TrialSummary[];
    });
    if (spec.name && !key) await this.registry.assertModelNameFree(principal.projectId, spec.name);
    const submitted = await this.jobs.submit(principal, 'nas-export', spec, {
      idempotencyKey: key,
      parentId: id,
    });
    return submitted.job;
  }

  /** Queues a pruning search; its model and data set references resolve at enqueue. */
  async prune(principal: Principal, spec: PruneJobSpec, key: string | null): Promise<JobEntity> {
    return (await this.jobs.submit(principal, 'prune', spec, { idempotencyKey: key })).job;
  }

  /** A running search's leaderboard of the trials finished so far (from its study). */
  private async liveResult(
    principal: Principal,
    job: { id: string; status: string },
    studyId: string | undefined,
  ): Promise<NasJobResult | undefined> {
    if (job.status !== 'running' || !studyId) return undefined;
    const { study, space, spec } = await loadNasStudy(this.rows, principal.projectId, studyId);
    return nasJobResult(space, spec, await nasResultOfStudy(study, spec.objective, 'completed'));
  }

  private async nasJob(principal: Principal, id: string): Promise<JobEntity> {
    const job = await this.jobs.get(principal, id);
    if (job.kind !== 'nas') throw new NotFoundError('nas job', id);
    return job;
  }
}
