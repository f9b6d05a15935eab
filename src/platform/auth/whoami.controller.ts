import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../http/problem.dto';
import { CurrentPrincipal } from './auth.guard';
import { IdentityService } from './identity.service';
import type { Principal } from './projects.service';
import { ROLES, type Role } from './roles';

export class WhoamiDto {
  @ApiProperty({ example: 'default' }) project!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'uuid' }) keyId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'admin' }) keyName!: string | null;
}

@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/whoami')
export class WhoamiController {
  constructor(private readonly identity: IdentityService) {}

  @Get()
  @ApiOperation({ summary: "The request's key: its project, role and name" })
  @ApiOkResponse({ type: WhoamiDto })
  @ApiProblems()
  whoami(@CurrentPrincipal() principal: Principal): Promise<WhoamiDto> {
    return this.identity.of(principal);
  }
}
