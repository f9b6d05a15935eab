import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatasetDto } from '../datasets/datasets.dto';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { SiteSplitDto, SiteSplitResultDto } from './site-split.dto';
import { SiteSplitService } from './site-split.service';

@ApiTags('federations')
@ApiBearerAuth()
@Controller('v1/datasets')
export class SiteSplitController {
  constructor(private readonly sites: SiteSplitService) {}

  @Post(':ref/site-split')
  @ApiOperation({
    summary: 'Split a data set into N site data sets for a federation experiment',
    description:
      'IID, Dirichlet(alpha) label skew or disjoint classes, seeded. Every example keeps its split (a site tests on data like its own); the sites together are the source. All N are registered, or none (a taken name is a 409).',
  })
  @ApiCreatedResponse({ type: SiteSplitResultDto })
  @ApiProblems(400, 404, 409, 422)
  async split(
    @CurrentPrincipal() principal: Principal,
    @Param('ref') ref: string,
    @Body() body: SiteSplitDto,
  ): Promise<SiteSplitResultDto> {
    const items = await this.sites.split(principal, ref, body);
    return { items: items.map((d) => DatasetDto.from(d)) };
  }
}
