/**
 * KeysService's rules (who may create, list and revoke which keys, change settings, read the
 * audit log) on in-memory fakes of its repositories: no database.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../errors/domain-error';
import type { AuditRepository } from './audit.repository';
import type { KeyRow, KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';
import type { ProjectRow, ProjectsRepository } from './projects.repository';
import type { IssuedKey, Principal, ProjectsService } from './projects.service';
import type { Role } from './roles';

const PROJECTS: ProjectRow[] = [
  { id: 'p-a', name: 'alpha', allowCommands: false, createdAt: new Date(0) },
  { id: 'p-b', name: 'beta', allowCommands: false, createdAt: new Date(0) },
];

function keyRow(id: string, project: ProjectRow, role: Role, revoked = false): KeyRow {
  return {
    id,
    projectId: project.id,
    project: project.name,
    name: id,
    role,
    createdAt: new Date(0),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: revoked ? new Date(0) : null,
  };
}

const KEY_IDS = {
  alphaMember: '00000000-0000-4000-8000-000000000001',
  alphaAdmin: '00000000-0000-4000-8000-000000000002',
  betaMember: '00000000-0000-4000-8000-000000000003',
  alphaRevoked: '00000000-0000-4000-8000-000000000004',
};

class InMemoryKeys implements Pick<KeysRepository, 'findById' | 'list' | 'revoke'> {
  readonly rows = new Map<string, KeyRow>([
    [KEY_IDS.alphaMember, keyRow(KEY_IDS.alphaMember, PROJECTS[0], 'member')],
    [KEY_IDS.alphaAdmin, keyRow(KEY_IDS.alphaAdmin, PROJECTS[0], 'admin')],
    [KEY_IDS.betaMember, keyRow(KEY_IDS.betaMember, PROJECTS[1], 'member')],
    [KEY_IDS.alphaRevoked, keyRow(KEY_IDS.alphaRevoked, PROJECTS[0], 'member', true)],
  ]);
  lastFilter: { projectId?: string; includeRevoked: boolean } | null = null;

  async findById(id: string): Promise<KeyRow | null> {
    return this.rows.get(id) ?? null;
  }

  async list(filter: { projectId?: string; includeRevoked: boolean }): Promise<KeyRow[]> {
    this.lastFilter = filter;
    return [...this.rows.values()].filter(
      (k) =>
        (!filter.projectId || k.projectId === filter.projectId) &&
        (filter.includeRevoked || !k.revokedAt),
    );
  }

  async revoke(id: string): Promise<KeyRow | null> {
    const row = this.rows.get(id);
    if (!row || row.revokedAt) return null;
    row.revokedAt = new Date(1);
    return row;
  }
}

class InMemoryProjects implements Pick<ProjectsRepository, 'findByName' | 'setAllowCommands'> {
  async findByName(name: string): Promise<ProjectRow | null> {
    return PROJECTS.find((p) => p.name === name) ?? null;
  }

  async setAllowCommands(name: string, allow: boolean): Promise<ProjectRow | null> {
    const p = PROJECTS.find((x) => x.name === name);
    return p ? { ...p, allowCommands: allow } : null;
  }
}

class InMemoryAudit implements Pick<AuditRepository, 'list'> {
  async list() {
    return { items: [], total: 0 };
  }
}

/** Issues keys without a database; records what it was asked for. */
class FakeIssuer implements Pick<ProjectsService, 'createKey'> {
  readonly issued: { project: string; name: string; role?: Role; expiresAt?: Date | null }[] = [];

  async createKey(
    project: string,
    name = 'cli',
    options: { role?: Role; expiresAt?: Date | null } = {},
  ): Promise<IssuedKey> {
    this.issued.push({ project, name, ...options });
    const p = PROJECTS.find((x) => x.name === project) ?? PROJECTS[0];
    return { key: 'adl_x', project: p, row: keyRow('new', p, options.role ?? 'member') };
  }
}

function principal(role: Role, project = PROJECTS[0]): Principal {
  return { projectId: project.id, projectName: project.name, keyId: 'me', role };
}

function setup() {
  const keys = new InMemoryKeys();
  const issuer = new FakeIssuer();
  const service = new KeysService(
    issuer as FakeIssuer as unknown as ProjectsService,
    keys as Pick<KeysRepository, 'findById' | 'list' | 'revoke'> as KeysRepository,
    new InMemoryProjects() as Pick<
      ProjectsRepository,
      'findByName' | 'setAllowCommands'
    > as ProjectsRepository,
    new InMemoryAudit() as Pick<AuditRepository, 'list'> as AuditRepository,
  );
  return { keys, issuer, service };
}

describe('KeysService', () => {
  test('a member creates member and viewer keys of its own project only', async () => {
    const { issuer, service } = setup();
    await service.create(principal('member'), { name: 'ci', role: 'viewer' });
    assert.deepEqual(issuer.issued, [
      { project: 'alpha', name: 'ci', role: 'viewer', expiresAt: null },
    ]);
    await assert.rejects(
      service.create(principal('member'), { name: 'x', project: 'beta' }),
      ForbiddenError,
    );
    await assert.rejects(
      service.create(principal('member'), { name: 'x', role: 'admin' }),
      ForbiddenError,
    );
    await assert.rejects(service.create(principal('viewer'), { name: 'x' }), ForbiddenError);
    assert.equal(issuer.issued.length, 1);
  });

  test('an admin creates keys in any project, a new one included; expiry must be in the future', async () => {
    const { issuer, service } = setup();
    await service.create(principal('admin'), { name: 'ops', project: 'gamma', role: 'admin' });
    assert.equal(issuer.issued[0].project, 'gamma');
    await assert.rejects(
      service.create(principal('admin'), { name: 'x', expiresAt: '2000-01-01T00:00:00Z' }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'expiresAt',
    );
    await assert.rejects(
      service.create(principal('admin'), { name: 'x', project: 'Not A Name' }),
      ValidationError,
    );
  });

  test('listing: a member sees its own project; an admin any project or all', async () => {
    const { keys, service } = setup();
    const own = await service.list(principal('member'), {});
    assert.deepEqual(own.map((k) => k.id).sort(), [KEY_IDS.alphaMember, KEY_IDS.alphaAdmin].sort());
    await assert.rejects(service.list(principal('member'), { project: 'beta' }), ForbiddenError);
    assert.equal((await service.list(principal('admin'), { includeRevoked: true })).length, 4);
    assert.deepEqual(keys.lastFilter, { projectId: undefined, includeRevoked: true });
    await assert.rejects(service.list(principal('admin'), { project: 'gamma' }), NotFoundError);
  });

  test('revoking: another project’s key is a 404 for a member, an admin key needs an admin', async () => {
    const { keys, service } = setup();
    await assert.rejects(service.revoke(principal('member'), KEY_IDS.betaMember), NotFoundError);
    await assert.rejects(service.revoke(principal('member'), KEY_IDS.alphaAdmin), ForbiddenError);
    await assert.rejects(service.revoke(principal('member'), KEY_IDS.alphaRevoked), ConflictError);
    await assert.rejects(service.revoke(principal('member'), 'not-a-uuid'), ValidationError);
    const revoked = await service.revoke(principal('member'), KEY_IDS.alphaMember);
    assert.ok(revoked.revokedAt);
    assert.ok(keys.rows.get(KEY_IDS.alphaMember)?.revokedAt);
    assert.ok(await service.revoke(principal('admin', PROJECTS[1]), KEY_IDS.alphaAdmin));
  });

  test('project settings and the audit log are for admins', async () => {
    const { service } = setup();
    await assert.rejects(
      service.updateProject(principal('member'), 'alpha', { allowCommands: true }),
      ForbiddenError,
    );
    const updated = await service.updateProject(principal('admin'), 'alpha', {
      allowCommands: true,
    });
    assert.equal(updated.allowCommands, true);
    await assert.rejects(service.project(principal('member'), 'beta'), NotFoundError);
    assert.equal((await service.project(principal('member'), 'alpha')).id, 'p-a');
    await assert.rejects(
      service.auditLog(principal('member'), { limit: 10, offset: 0 }),
      ForbiddenError,
    );
    assert.deepEqual(await service.auditLog(principal('admin'), { limit: 10, offset: 0 }), {
      items: [],
      total: 0,
    });
  });
});
