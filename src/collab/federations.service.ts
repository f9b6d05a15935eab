import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '../platform/auth/projects.service';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnprocessableError,
} from '../platform/errors/domain-error';
import type { DatasetEntity } from '../datasets/dataset.entity';
import { misfitOf, type DataContractView } from './core/data-contract';
import { DatasetsService } from '../datasets/datasets.service';
import { ProjectsService } from '../platform/auth/projects.service';
import { atLeast } from '../platform/auth/roles';
import { SiteWorkRepository } from './storage/site-work.repository';
import type { JobEntity } from '../platform/jobs/job.entity';
import { assertUuid, JobsService } from '../platform/jobs/jobs.service';
import { plannedRounds } from './core/algorithms';
import { federationPlacement, type FederationSpec } from './federation.schema';
import {
  FederationsRepository,
  type FederationRow,
  type RoundRow,
} from './storage/federations.repository';

/** Federations over the job platform: the job and its federation row are written together. */
@Injectable()
export class FederationsService {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: JobsService,
    private readonly federations: FederationsRepository,
    private readonly siteWork: SiteWorkRepository,
    private readonly projects: ProjectsService,
    private readonly datasets: DatasetsService,
  ) {}

  /** A remote site's `site` key, bound to that site only; one per site (a second is a 409). */
  async issueSiteKey(
    principal: Principal,
    id: string,
    site: string,
  ): Promise<{ key: string; keyId: string; federationId: string; site: string }> {
    assertUuid(id);
    if (!atLeast(principal.role, 'member'))
      throw new ForbiddenError('issuing a site key needs a member key');
    const remote = await this.siteWork.remoteSite(principal.projectId, id, site);
    if (!remote) throw new NotFoundError('remote site', `${id}/${site}`);
    if (remote.keyId)
      throw new ConflictError(
        `site ${site} has its key already (revoke it with DELETE /v1/keys/${remote.keyId})`,
      );
    const issued = await this.projects.createKey(
      principal.projectName,
      `site:${id.slice(0, 8)}:${site}`,
      {
        role: 'site',
      },
    );
    await this.siteWork.bindKey(id, site, issued.row.id);
    return { key: issued.key, keyId: issued.row.id, federationId: id, site };
  }

  async create(
    principal: Principal,
    spec: FederationSpec,
    idempotencyKey?: string,
  ): Promise<JobEntity> {
    return this.db.transaction(async (m) => {
      const { job, created } = await this.jobs.submit(
        principal,
        'federation',
        spec,
        { idempotencyKey },
        m,
      );
      if (created) {
        const stored = job.spec as FederationSpec; // normalised, references resolved to ids
        await this.assertImageSites(principal, stored);
        await this.federations.open(
          {
            id: job.id,
            projectId: principal.projectId,
            algorithm: stored.algorithm,
            placement: federationPlacement(stored.sites),
            roundsPlanned: plannedRounds(stored, stored.epochs),
            sharedDatasetId: stored.sharedDataset,
          },
          stored.sites.map((s) => ({
            name: s.name,
            datasetId: s.dataset,
            placement: s.remote ? ('remote' as const) : ('local' as const),
            architecture: s.architecture ?? stored.architecture,
            samples: null,
          })),
          m,
        );
      }
      return job;
    });
  }

  /**
   * What the local placement can train (local-placement.ts sharedImageContract) is checked at
   * submission, so a tabular or text data set is a 422 rather than a job that fails on start.
   */
  private async assertImageSites(principal: Principal, spec: FederationSpec): Promise<void> {
    // The first local site's data set: every other local one (and the shared set) must match
    // its classes and image shape, which the sites' jobs would otherwise find only on start.
    let first: { site: string; dataset: DatasetEntity } | null = null;
    for (const [i, site] of spec.sites.entries()) {
      if (site.remote || typeof site.dataset !== 'string') continue;
      const dataset = await this.datasets.get(principal.projectId, site.dataset);
      if (dataset.kind !== 'image')
        throw new UnprocessableError(
          `sites.${i}.dataset: federations take image data sets for now; ${dataset.name} holds ${dataset.kind} data`,
        );
      if (first) assertSameContract(`sites.${i}.dataset`, dataset, first);
      else first = { site: site.name, dataset };
    }
    const shared = spec.sharedDataset;
    if (shared) {
      // The shared set goes to every site: a site's own data set there would leave its site.
      const owner = spec.sites.findIndex((s) => s.dataset === shared);
      if (owner >= 0)
        throw new UnprocessableError(
          `sharedDataset: it is site ${spec.sites[owner].name}'s data set, and the shared set is sent to every site; give a set every site may see (public, or pooled by agreement)`,
        );
      const dataset = await this.datasets.get(principal.projectId, shared);
      if (dataset.kind !== 'image')
        throw new UnprocessableError(
          `sharedDataset: federations take image data sets for now; ${dataset.name} holds ${dataset.kind} data`,
        );
      if (first) assertSameContract('sharedDataset', dataset, first);
    }
  }

  list(
    principal: Principal,
    limit: number,
    offset: number,
  ): Promise<{ items: FederationRow[]; total: number }> {
    return this.federations.list(principal.projectId, limit, offset);
  }

  async get(
    principal: Principal,
    id: string,
  ): Promise<{ federation: FederationRow; rounds: RoundRow[] }> {
    assertUuid(id);
    const federation = await this.federations.find(principal.projectId, id);
    if (!federation) throw new NotFoundError('federation', id);
    return { federation, rounds: await this.federations.rounds(id) };
  }
}

/**
 * The federation's data contract (core/data-contract.ts) on the stored statistics: a data set
 * whose image shape or class list (names, in order) differs from the first site's cannot join
 * (local-placement.ts makes the same check on the loaded data when the federation starts; an
 * empty training split is left to it, as before).
 */
function assertSameContract(
  field: string,
  dataset: DatasetEntity,
  first: { site: string; dataset: DatasetEntity },
): void {
  const view = (d: DatasetEntity): DataContractView => ({
    imageShape: d.stats.imageShape ?? null,
    classNames: d.stats.classNames ?? [],
    size: d.trainSize,
  });
  const [mine, theirs] = [view(dataset), view(first.dataset)];
  const shape = (v: DataContractView) => {
    const s = v.imageShape;
    return s ? [s.height, s.width, s.channels] : [];
  };
  const misfit = misfitOf(mine, shape(theirs), theirs.classNames);
  if (misfit === 'classes')
    throw new UnprocessableError(
      `${field}: ${dataset.name} has the classes [${mine.classNames.join(', ')}] and site ${first.site}'s ${first.dataset.name} has [${theirs.classNames.join(', ')}]; every site needs the same class list, in the same order (build the data sets with the same classes)`,
    );
  if (misfit === 'shape')
    throw new UnprocessableError(
      `${field}: ${dataset.name} holds ${shape(mine).join('x') || 'unknown'} images and site ${first.site}'s ${first.dataset.name} holds ${shape(theirs).join('x') || 'unknown'}; every site needs images of one shape (resize when building the data sets)`,
    );
}
