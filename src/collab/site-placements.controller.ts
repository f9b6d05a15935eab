import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { ApiProblems } from '../platform/http/problem.dto';
import { collabConfigOf } from './collab-config';

export class SitePlacementsDto {
  @ApiProperty({
    type: [String],
    example: ['site-a', 'site-b'],
    description:
      'Kubernetes namespaces a local site may be placed in (`sites[].placement.namespace`): the operator’s AUTODL_K8S_PLACEMENT_NAMESPACES; empty: every local site trains in the worker pool or the executor’s own namespace',
  })
  namespaces!: string[];
}

/** What a new federation's form offers for `sites[].placement` (docs/collab.md, Placements). */
@ApiTags('collab')
@ApiBearerAuth()
@Controller('v1/site-placements')
export class SitePlacementsController {
  private readonly namespaces: readonly string[];

  constructor(@Inject(APP_CONFIG) appConfig: AppConfig) {
    this.namespaces = collabConfigOf(appConfig).placementNamespaces;
  }

  @Get()
  @ApiOperation({ summary: 'The Kubernetes namespaces a federation site may be placed in' })
  @ApiOkResponse({ type: SitePlacementsDto })
  @ApiProblems()
  list(): SitePlacementsDto {
    return { namespaces: [...this.namespaces] };
  }
}
