import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageQuery, QueryBool } from '../http/query';
import type { AuditRow } from './audit.repository';
import type { KeyRow } from './keys.repository';
import type { ProjectRow } from './projects.repository';
import { ROLES, Role } from './roles';

export class CreateKeyDto {
  @ApiProperty({ description: 'What the key is for', example: 'ci-pipeline', maxLength: 64 })
  @IsString()
  @Matches(/^[\w .@-]{1,64}$/, {
    message: 'name must be 1-64 letters, digits, spaces or . _ @ -',
  })
  name!: string;

  @ApiPropertyOptional({
    description:
      "The key's project (default: the caller's). Admins may name any, a new one is created",
    example: 'team-a',
  })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  project?: string;

  @ApiPropertyOptional({ enum: ROLES, default: 'member' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ description: 'ISO 8601 time after which the key is refused' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ListKeysQuery {
  @ApiPropertyOptional({ description: 'Admins: only this project; others: their own only' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  project?: string;

  @ApiPropertyOptional({ description: 'Include revoked keys', default: false })
  @IsOptional()
  @QueryBool()
  @IsBoolean()
  revoked?: boolean;
}

export class KeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() project!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Precise to a minute' })
  lastUsedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;

  static from(r: KeyRow): KeyDto {
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      id: r.id,
      project: r.project,
      name: r.name,
      role: r.role,
      createdAt: new Date(r.createdAt).toISOString(),
      expiresAt: iso(r.expiresAt),
      lastUsedAt: iso(r.lastUsedAt),
      revokedAt: iso(r.revokedAt),
    };
  }
}

export class CreatedKeyDto extends KeyDto {
  @ApiProperty({ description: 'The key itself: shown once, stored only as a SHA-256 hash' })
  key!: string;
}

export class KeyListDto {
  @ApiProperty({ type: [KeyDto] }) items!: KeyDto[];
}

export class UpdateProjectDto {
  @ApiPropertyOptional({ description: 'Whether studies of the project may run commands' })
  @IsOptional()
  @IsBoolean()
  allowCommands?: boolean;
}

export class ProjectDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() allowCommands!: boolean;
  @ApiProperty() createdAt!: string;

  static from(p: ProjectRow): ProjectDto {
    return {
      id: p.id,
      name: p.name,
      allowCommands: p.allowCommands,
      createdAt: new Date(p.createdAt).toISOString(),
    };
  }
}

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only this project' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  project?: string;
}

export class AuditEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty() time!: string;
  @ApiProperty() keyId!: string;
  @ApiProperty({ nullable: true, type: String }) project!: string | null;
  @ApiProperty() method!: string;
  @ApiProperty({ example: '/v1/jobs/:id/cancel' }) route!: string;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty() status!: number;

  static from(a: AuditRow): AuditEntryDto {
    return {
      id: a.id,
      time: new Date(a.createdAt).toISOString(),
      keyId: a.keyId,
      project: a.project,
      method: a.method,
      route: a.route,
      targetId: a.targetId,
      status: a.status,
    };
  }
}

export class AuditListDto {
  @ApiProperty({ type: [AuditEntryDto] }) items!: AuditEntryDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
