/**
 * The operator's way into the service: the same services the REST API calls (StudiesService for
 * POST/PATCH /v1/studies, JobsService for POST /v1/finetune and cancels), with the same
 * validation, under the project the resource's namespace maps to. Nothing here knows Kubernetes.
 */
import { Injectable } from '@nestjs/common';
import { ProjectsRepository } from '../platform/auth/projects.repository';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError } from '../platform/errors/domain-error';
import { JobsRepository } from '../platform/jobs/jobs.repository';
import { JobsService } from '../platform/jobs/jobs.service';
import { StudiesService } from '../search/studies.service';
import { StudiesRepository } from '../search/storage/studies.repository';
import { finetuneRequest, finetuneSpecOf } from '../transfer/finetune.schema';
import type { JobView, StudyView } from './core/custom-resources';
import { isFinishedStatus } from '../platform/jobs/job-status';

@Injectable()
export class OperatorBackend {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly studies: StudiesService,
    private readonly studyRows: StudiesRepository,
    private readonly jobs: JobsService,
    private readonly jobRows: JobsRepository,
  ) {}

  /**
   * The principal the operator acts as in a namespace's project. The project is created when
   * absent, allowing command trials: Kubernetes RBAC on studies.autodl.io in that namespace
   * already decided who may run them, and the administrator chose the watched namespaces. An
   * existing project keeps its setting (commands switched off there make a Study fail).
   */
  async principal(project: string): Promise<Principal> {
    let row = await this.projects.findByName(project);
    if (!row) {
      await this.projects.ensure(project);
      row = await this.projects.setAllowCommands(project, true);
    }
    if (!row) throw new Error(`project ${project} could not be created`);
    return {
      projectId: row.id,
      projectName: row.name,
      keyId: 'kubernetes-operator',
      role: 'member',
    };
  }

  /** POST /v1/studies; a request already made with this key (a lost status write) finds its study. */
  async createStudy(project: string, body: unknown, key: string): Promise<string> {
    const principal = await this.principal(project);
    try {
      return (await this.studies.create(principal, body, key)).study.id;
    } catch (e) {
      // The key was used with an earlier version of the spec: that study is this resource's.
      const found =
        e instanceof ConflictError
          ? await this.studyRows.findByIdempotencyKey(principal.projectId, key)
          : null;
      if (found) return found.id;
      throw e;
    }
  }

  async study(project: string, id: string): Promise<StudyView> {
    const principal = await this.principal(project);
    const dto = await this.studies.get(principal, id);
    const job = dto.jobId ? await this.jobs.get(principal, dto.jobId) : null;
    const budget = (dto.config as { budget: StudyView['budget'] }).budget;
    return {
      id: dto.id,
      status: dto.status,
      jobId: dto.jobId,
      job: job ? { status: job.status, progress: job.progress, error: job.error } : null,
      counts: dto.counts,
      bestValue: dto.bestTrial?.values?.[0] ?? null,
      bestParams: (dto.bestTrial?.params as Record<string, unknown> | undefined) ?? null,
      budget: { nTrials: budget.nTrials ?? null, parallelism: budget.parallelism },
    };
  }

  /** PATCH /v1/studies/{id} (same checks). */
  async updateStudyBudget(
    project: string,
    id: string,
    budget: { nTrials?: number; parallelism?: number },
  ): Promise<void> {
    await this.studies.updateBudget(await this.principal(project), id, { budget });
  }

  /**
   * Cancels a study's driver job (its trial jobs with it); true once that job has ended, so the
   * finalizer is released only when the work is gone.
   */
  async cancelStudy(project: string, id: string): Promise<boolean> {
    const principal = await this.principal(project);
    const dto = await this.studies.get(principal, id);
    if (!dto.jobId) return true;
    return this.cancelJob(project, dto.jobId);
  }

  /**
   * POST /v1/finetune: the same body checks, keyed by the resource (with a key the REST API, too,
   * leaves a taken model name to the job).
   */
  async createFinetune(project: string, body: unknown, key: string): Promise<string> {
    const principal = await this.principal(project);
    const request = finetuneRequest.parse(body, '');
    try {
      const { job } = await this.jobs.submit(principal, 'finetune', finetuneSpecOf(request), {
        idempotencyKey: key,
      });
      return job.id;
    } catch (e) {
      const found =
        e instanceof ConflictError
          ? await this.jobRows.findByIdempotencyKey(principal.projectId, key)
          : null;
      if (found) return found.id;
      throw e;
    }
  }

  async job(project: string, id: string): Promise<JobView> {
    const job = await this.jobs.get(await this.principal(project), id);
    return {
      id: job.id,
      status: job.status,
      progress: job.progress,
      progressMessage: job.progressMessage,
      error: job.error,
      result: job.result,
    };
  }

  /** Requests the cancel (once) and answers whether the job has ended. */
  async cancelJob(project: string, id: string): Promise<boolean> {
    const principal = await this.principal(project);
    const job = await this.jobs.get(principal, id);
    if (isFinishedStatus(job.status)) return true;
    if (!job.cancelRequestedAt) await this.jobs.cancel(principal, id);
    return false;
  }
}
