import * as fs from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import type { JobEntity } from '../platform/jobs/job.entity';
import { JobsService } from '../platform/jobs/jobs.service';

/** A stored artifact's file, as the HTTP layer streams it. */
export interface ArtifactFile {
  file: string;
  contentType: string;
  size: number;
}

/**
 * What the explanations API needs from the job platform: explanations are jobs (kinds `explain`
 * and `normlime`) and the training dynamics an artifact of a finetune job; this capability has
 * no table of its own. The service depends on this port; its unit spec on an in-memory fake.
 */
export interface ExplanationJobs {
  /** The spec with its model and data set references resolved to ids (404 / 409 otherwise). */
  resolveReferences(principal: Principal, kind: string, spec: unknown): Promise<unknown>;
  submit(
    principal: Principal,
    kind: string,
    spec: unknown,
    options: { idempotencyKey: string | null },
  ): Promise<{ job: JobEntity }>;
  /** A job of the caller's project; NotFoundError otherwise. */
  get(principal: Principal, id: string): Promise<JobEntity>;
  artifactNames(principal: Principal, id: string): Promise<string[]>;
  artifactFile(principal: Principal, id: string, name: string): Promise<ArtifactFile>;
  readArtifact(principal: Principal, id: string, name: string): Promise<Buffer>;
}

export const EXPLANATION_JOBS = Symbol('EXPLANATION_JOBS');

/** ExplanationJobs over JobsService and the artifact files it points to. */
@Injectable()
export class PlatformExplanationJobs implements ExplanationJobs {
  constructor(private readonly jobs: JobsService) {}

  resolveReferences(principal: Principal, kind: string, spec: unknown): Promise<unknown> {
    return this.jobs.resolveReferences(principal, kind, spec);
  }

  submit(
    principal: Principal,
    kind: string,
    spec: unknown,
    options: { idempotencyKey: string | null },
  ): Promise<{ job: JobEntity }> {
    return this.jobs.submit(principal, kind, spec, options);
  }

  get(principal: Principal, id: string): Promise<JobEntity> {
    return this.jobs.get(principal, id);
  }

  async artifactNames(principal: Principal, id: string): Promise<string[]> {
    return (await this.jobs.artifacts(principal, id)).map((a) => a.name);
  }

  artifactFile(principal: Principal, id: string, name: string): Promise<ArtifactFile> {
    return this.jobs.artifactFile(principal, id, name);
  }

  async readArtifact(principal: Principal, id: string, name: string): Promise<Buffer> {
    const { file } = await this.jobs.artifactFile(principal, id, name);
    return fs.readFile(file);
  }
}
