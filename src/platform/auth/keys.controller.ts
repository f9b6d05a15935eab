import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '../http/problem.dto';
import { CurrentPrincipal } from './auth.guard';
import {
  AuditListDto,
  AuditEntryDto,
  AuditQuery,
  CreateKeyDto,
  CreatedKeyDto,
  KeyDto,
  KeyListDto,
  ListKeysQuery,
  ProjectDto,
  UpdateProjectDto,
} from './keys.dto';
import { KeysService } from './keys.service';
import type { Principal } from './projects.service';

@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key (admin: any project; member: its own)' })
  @ApiCreatedResponse({ type: CreatedKeyDto })
  @ApiProblems(400, 403)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateKeyDto,
  ): Promise<CreatedKeyDto> {
    const { key, row } = await this.keys.create(principal, body);
    return { ...KeyDto.from(row), key };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (admin: all or ?project=; others: their project)' })
  @ApiOkResponse({ type: KeyListDto })
  @ApiProblems(400, 403, 404)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListKeysQuery,
  ): Promise<KeyListDto> {
    const rows = await this.keys.list(principal, {
      project: query.project,
      includeRevoked: query.revoked,
    });
    return { items: rows.map((r) => KeyDto.from(r)) };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key (refused everywhere within a second)' })
  @ApiOkResponse({ type: KeyDto })
  @ApiProblems(400, 403, 404, 409)
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<KeyDto> {
    return KeyDto.from(await this.keys.revoke(principal, id));
  }
}

@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly keys: KeysService) {}

  @Get(':name')
  @ApiOperation({ summary: 'A project and its settings (admin: any; others: their own)' })
  @ApiOkResponse({ type: ProjectDto })
  @ApiProblems(404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
  ): Promise<ProjectDto> {
    return ProjectDto.from(await this.keys.project(principal, name));
  }

  @Patch(':name')
  @ApiOperation({ summary: "Change a project's settings, e.g. allowCommands (admin)" })
  @ApiOkResponse({ type: ProjectDto })
  @ApiProblems(400, 403, 404)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body() body: UpdateProjectDto,
  ): Promise<ProjectDto> {
    return ProjectDto.from(await this.keys.updateProject(principal, name, body));
  }
}

@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @ApiOperation({ summary: 'The audit log of mutating requests, newest first (admin)' })
  @ApiOkResponse({ type: AuditListDto })
  @ApiProblems(400, 403, 404)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AuditQuery,
  ): Promise<AuditListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.keys.auditLog(principal, {
      project: query.project,
      limit,
      offset,
    });
    return { items: items.map((a) => AuditEntryDto.from(a)), total, limit, offset };
  }
}
