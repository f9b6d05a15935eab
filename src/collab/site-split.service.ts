import { Injectable } from '@nestjs/common';
import type { DatasetEntity } from '../datasets/dataset.entity';
import { DatasetsService } from '../datasets/datasets.service';
import type { Principal } from '../platform/auth/projects.service';
import { siteDatasets } from './core/site-datasets';
import type { SplitSpec } from './core/splitters';
import type { SiteSplitDto } from './site-split.dto';

/**
 * The experiment helper of docs/collab.md: one registered data set split into N site data sets
 * (IID, Dirichlet label skew or disjoint classes, seeded), registered together or not at all,
 * each with its origin in `options` (lineage by id).
 */
@Injectable()
export class SiteSplitService {
  constructor(private readonly datasets: DatasetsService) {}

  async split(principal: Principal, ref: string, body: SiteSplitDto): Promise<DatasetEntity[]> {
    const entity = await this.datasets.get(principal.projectId, ref);
    const source = await this.datasets.load(principal.projectId, entity.id);
    const kind = body.split ?? 'iid';
    const spec: SplitSpec = kind === 'dirichlet' ? { kind, alpha: body.alpha ?? 0.5 } : { kind };
    const seed = body.seed ?? 0;
    const parts = siteDatasets(source, body.sites, spec, seed);
    const prefix = body.prefix ?? `${entity.name}-site`;
    return this.datasets.createDerived(
      principal,
      parts.map((stored, k) => ({
        name: `${prefix}-${k + 1}`,
        stored,
        options: {
          derivedFrom: entity.id,
          derivedFromName: entity.name,
          site: k + 1,
          sites: body.sites,
          split: spec,
          seed,
        },
      })),
    );
  }
}
