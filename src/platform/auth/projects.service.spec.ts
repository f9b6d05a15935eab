/**
 * ProjectsService on in-memory fakes of its repositories: the first start's admin key and
 * authentication of keys. Revocations are not listened to here (no database), so nothing is
 * cached: every lookup reaches the fake repository.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EntityManager } from 'typeorm';
import type { Transactions } from '../database/transactions';
import { generateApiKey, hashApiKey } from './api-keys';
import type { ActiveKey, KeyRow, KeysRepository } from './keys.repository';
import type { ProjectRow, ProjectsRepository } from './projects.repository';
import { DEFAULT_PROJECT, ProjectsService } from './projects.service';
import type { Role } from './roles';

type KeysPort = Pick<
  KeysRepository,
  'insert' | 'count' | 'lockBootstrap' | 'findActiveByHash' | 'touch'
>;

class InMemoryKeys implements KeysPort {
  readonly rows: (KeyRow & { hash: string })[] = [];
  readonly touched: string[] = [];
  lookups = 0;

  async insert(key: {
    projectId: string;
    name: string;
    role: Role;
    hash: string;
    expiresAt: Date | null;
  }): Promise<KeyRow> {
    const row = {
      id: `key-${this.rows.length + 1}`,
      projectId: key.projectId,
      project: key.projectId,
      name: key.name,
      role: key.role,
      hash: key.hash,
      createdAt: new Date(),
      expiresAt: key.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
    };
    this.rows.push(row);
    return row;
  }

  async count(): Promise<number> {
    return this.rows.length;
  }

  async lockBootstrap(): Promise<void> {}

  async findActiveByHash(hash: string): Promise<ActiveKey | null> {
    this.lookups++;
    const k = this.rows.find((r) => r.hash === hash && !r.revokedAt);
    return k
      ? { id: k.id, projectId: k.projectId, project: k.project, role: k.role, expiresAt: null }
      : null;
  }

  async touch(id: string): Promise<void> {
    this.touched.push(id);
  }
}

class InMemoryProjects implements Pick<ProjectsRepository, 'ensure' | 'setAllowCommands'> {
  readonly rows = new Map<string, ProjectRow>();

  async ensure(name: string): Promise<ProjectRow> {
    const row = this.rows.get(name) ?? {
      id: `p-${name}`,
      name,
      allowCommands: false,
      createdAt: new Date(),
    };
    this.rows.set(name, row);
    return row;
  }

  async setAllowCommands(name: string, allow: boolean): Promise<ProjectRow | null> {
    const row = this.rows.get(name);
    if (row) row.allowCommands = allow;
    return row ?? null;
  }
}

/** Runs the work at once; a thrown error is what a rollback would report. */
const immediate: Pick<Transactions, 'run'> = {
  run: (work) => work({} as EntityManager),
};

const homes: string[] = [];
const services: ProjectsService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.onModuleDestroy();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

function setup() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-projects-'));
  homes.push(home);
  const keys = new InMemoryKeys();
  const projects = new InMemoryProjects();
  const service = new ProjectsService(
    immediate as Transactions,
    keys as KeysPort as KeysRepository,
    projects as Pick<ProjectsRepository, 'ensure' | 'setAllowCommands'> as ProjectsRepository,
    { home },
    // Nothing listens there: revocations stay down, so lookups are not cached.
    'postgres://127.0.0.1:9/none',
  );
  services.push(service);
  return { home, keys, projects, service };
}

describe('ProjectsService', () => {
  test('the first start creates the default project (commands allowed) and its admin key, once', async () => {
    const { home, keys, projects, service } = setup();
    const printed: string[] = [];
    const key = await service.bootstrapAdminKey((m) => printed.push(m));
    assert.ok(key?.startsWith('adl_'));
    assert.equal(projects.rows.get(DEFAULT_PROJECT)?.allowCommands, true);
    assert.equal(keys.rows[0].role, 'admin');
    assert.equal(keys.rows[0].hash, hashApiKey(key ?? ''));
    const file = path.join(home, 'admin.key');
    assert.equal(fs.readFileSync(file, 'utf8'), `${key}\n`);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(printed[0], /admin API key \(shown once/);
    assert.equal(await service.bootstrapAdminKey(() => undefined), null, 'keys exist already');
    assert.equal(keys.rows.length, 1);
  });

  test('a key authenticates to its project and role; a malformed or unknown one does not', async () => {
    const { keys, service } = setup();
    const { key } = await service.createKey('team', 'ci', { role: 'viewer' });
    const principal = await service.authenticate(key);
    assert.deepEqual(principal, {
      keyId: keys.rows[0].id,
      projectId: 'p-team',
      projectName: 'p-team',
      role: 'viewer',
    });
    assert.deepEqual(keys.touched, [keys.rows[0].id]);
    const before = keys.lookups;
    assert.equal(await service.authenticate('not a key'), null);
    assert.equal(keys.lookups, before, 'a malformed key never reaches the database');
    assert.equal(await service.authenticate(generateApiKey()), null);
  });
});
