import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FederationRow, RoundRow, StoredSiteRow } from './storage/federations.repository';

export class FederationSiteDto {
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid', description: 'Lineage: the site’s data set (by id)' })
  datasetId!: string;
  @ApiProperty() architecture!: string;
  @ApiProperty({
    enum: ['local', 'remote'],
    description:
      'local: a data set of this service, trained by its site jobs (worker pool or the site’s namespace); remote: a site agent on its own files',
  })
  placement!: string;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'Training examples (once the job read them)',
  })
  samples!: number | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'site-a',
    description:
      'A local site placed in a Kubernetes namespace (`sites[].placement.namespace`): its site jobs run there; null: the worker pool or the executor’s namespace',
  })
  namespace!: string | null;

  static from(s: StoredSiteRow): FederationSiteDto {
    return Object.assign(new FederationSiteDto(), s);
  }
}

export class SiteRoundDto {
  @ApiProperty() site!: string;
  @ApiPropertyOptional({ type: Number, nullable: true }) trainLoss!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) trainAccuracy!: number | null;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'The site’s model on its own test split',
  })
  localAccuracy!: number | null;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: '||w_site - w_global|| (weights algorithms)',
  })
  updateNorm!: number | null;
  @ApiProperty() accepted!: boolean;
  @ApiProperty({ description: 'Bytes the site sent (its shared state)' }) bytesSent!: number;
  @ApiProperty({ description: 'Bytes the site received (global weights or its teacher)' })
  bytesReceived!: number;
}

export class FederationRoundDto {
  @ApiProperty({ description: '0-based' }) round!: number;
  @ApiProperty({ description: 'Attempts (a round missing its quorum is retried)' })
  attempts!: number;
  @ApiProperty({ type: [String] }) accepted!: string[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Sites left out: {site, reason: shape | non-finite | norm | failed, norm?}',
  })
  rejected!: Record<string, unknown>[];
  @ApiProperty() bytesUp!: number;
  @ApiProperty() bytesDown!: number;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description:
      'The global model, sample-weighted over the sites’ test splits (codistill, which has no global model: the mean of the sites’ own models)',
  })
  globalAccuracy!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) globalLoss!: number | null;
  @ApiProperty({ type: [SiteRoundDto] }) sites!: SiteRoundDto[];

  static from(r: RoundRow): FederationRoundDto {
    return Object.assign(new FederationRoundDto(), r);
  }
}

export class FederationDto {
  @ApiProperty({ format: 'uuid', description: 'The federation (= its job’s id)' }) id!: string;
  @ApiProperty({ example: 'running' }) status!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ example: 'esp-clr' }) algorithm!: string;
  @ApiProperty({
    example: 'local',
    description:
      'Where the sites train: local (the worker pool), namespace (Kubernetes namespaces of their own), remote (site agents), or mixed',
  })
  placement!: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'The shared labelled set every site trains on (sharedDataset; null: none)',
  })
  sharedDatasetId!: string | null;
  @ApiProperty() roundsPlanned!: number;
  @ApiProperty() roundsDone!: number;
  @ApiProperty({ description: 'Bytes exchanged in all rounds, both ways' }) bytesTotal!: number;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'uuid' }) modelId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) summary!: Record<string, unknown>;
  @ApiProperty({ type: [FederationSiteDto] }) sites!: FederationSiteDto[];
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ type: [FederationRoundDto] }) rounds?: FederationRoundDto[];

  static from(f: FederationRow, rounds?: RoundRow[]): FederationDto {
    return Object.assign(new FederationDto(), {
      ...f,
      sites: f.sites.map(FederationSiteDto.from),
      createdAt: f.createdAt.toISOString(),
      ...(rounds ? { rounds: rounds.map(FederationRoundDto.from) } : {}),
    });
  }
}

export class FederationListDto {
  @ApiProperty({ type: [FederationDto] }) items!: FederationDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
