/**
 * Key and project administration over HTTP (rules only; SQL in the repositories):
 * - admin keys manage the keys and settings of every project and read the audit log;
 * - member keys manage the member and viewer keys of their own project;
 * - viewer keys change nothing (the guard refuses every mutating method before this).
 * A key of another project is a 404 for a member, as every foreign id is.
 */
import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../errors/domain-error';
import { assertUuid } from '../jobs/jobs.service';
import { AuditRepository, AuditRow } from './audit.repository';
import { KeyRow, KeysRepository } from './keys.repository';
import { Principal, ProjectsService, assertProjectName } from './projects.service';
import { ProjectRow, ProjectsRepository } from './projects.repository';
import { Role, atLeast } from './roles';

export interface CreateKeyRequest {
  name: string;
  project?: string;
  role?: Role;
  expiresAt?: string;
}

@Injectable()
export class KeysService {
  constructor(
    private readonly auth: ProjectsService,
    private readonly keys: KeysRepository,
    private readonly projects: ProjectsRepository,
    private readonly audit: AuditRepository,
  ) {}

  async create(caller: Principal, req: CreateKeyRequest): Promise<{ key: string; row: KeyRow }> {
    const project = req.project ?? caller.projectName;
    assertProjectName(project);
    const role = req.role ?? 'member';
    this.assertMayManage(caller, project);
    if (role === 'admin' && caller.role !== 'admin')
      throw new ForbiddenError('only an admin key can create admin keys');
    if (role === 'site')
      throw ValidationError.field(
        'role',
        'site keys belong to one federation site: POST /v1/federations/:id/sites/:name/key issues them',
      );
    let expiresAt: Date | null = null;
    if (req.expiresAt !== undefined) {
      expiresAt = new Date(req.expiresAt);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())
        throw ValidationError.field(
          'expiresAt',
          `must be a future ISO 8601 time, got "${req.expiresAt}"`,
        );
    }
    // A member's own project exists; an admin may name a new one, which is created (commands off).
    const { key, row } = await this.auth.createKey(project, req.name, { role, expiresAt });
    return { key, row };
  }

  async list(
    caller: Principal,
    filter: { project?: string; includeRevoked?: boolean },
  ): Promise<KeyRow[]> {
    let projectId: string | undefined;
    if (caller.role !== 'admin') {
      if (filter.project !== undefined && filter.project !== caller.projectName)
        throw new ForbiddenError('a non-admin key lists only the keys of its own project');
      projectId = caller.projectId;
    } else if (filter.project !== undefined) {
      const p = await this.projects.findByName(filter.project);
      if (!p) throw new NotFoundError('project', filter.project);
      projectId = p.id;
    }
    return this.keys.list({ projectId, includeRevoked: filter.includeRevoked ?? false });
  }

  /** Revokes a key; every API process refuses it within the NOTIFY's delivery. */
  async revoke(caller: Principal, id: string): Promise<KeyRow> {
    assertUuid(id);
    const row = await this.keys.findById(id);
    if (!row || (caller.role !== 'admin' && row.projectId !== caller.projectId))
      throw new NotFoundError('key', id);
    if (row.role === 'admin' && caller.role !== 'admin')
      throw new ForbiddenError('only an admin key can revoke an admin key');
    if (row.revokedAt) throw new ConflictError(`key ${id} is already revoked`);
    const revoked = await this.keys.revoke(id);
    if (!revoked) throw new ConflictError(`key ${id} is already revoked`);
    return revoked;
  }

  async project(caller: Principal, name: string): Promise<ProjectRow> {
    if (caller.role !== 'admin' && name !== caller.projectName)
      throw new NotFoundError('project', name);
    const p = await this.projects.findByName(name);
    if (!p) throw new NotFoundError('project', name);
    return p;
  }

  async updateProject(
    caller: Principal,
    name: string,
    patch: { allowCommands?: boolean },
  ): Promise<ProjectRow> {
    if (caller.role !== 'admin')
      throw new ForbiddenError('only an admin key can change project settings');
    const current = await this.projects.findByName(name);
    if (!current) throw new NotFoundError('project', name);
    if (patch.allowCommands === undefined) return current;
    return (await this.projects.setAllowCommands(name, patch.allowCommands)) ?? current;
  }

  async auditLog(
    caller: Principal,
    q: { project?: string; limit: number; offset: number },
  ): Promise<{ items: AuditRow[]; total: number }> {
    if (caller.role !== 'admin')
      throw new ForbiddenError('only an admin key can read the audit log');
    let projectId: string | undefined;
    if (q.project !== undefined) {
      const p = await this.projects.findByName(q.project);
      if (!p) throw new NotFoundError('project', q.project);
      projectId = p.id;
    }
    return this.audit.list({ projectId, limit: q.limit, offset: q.offset });
  }

  private assertMayManage(caller: Principal, project: string): void {
    if (!atLeast(caller.role, 'member'))
      throw new ForbiddenError('a viewer key cannot manage keys');
    if (caller.role !== 'admin' && project !== caller.projectName)
      throw new ForbiddenError('a member key manages only the keys of its own project');
  }
}
