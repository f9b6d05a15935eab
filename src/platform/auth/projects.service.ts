import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ValidationError } from '../errors/domain-error';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-keys';
import { ApiKeyEntity } from './api-key.entity';
import { ProjectEntity } from './project.entity';

export const DEFAULT_PROJECT = 'default';
const PROJECT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface Principal {
  projectId: string;
  projectName: string;
  keyId: string;
}

const AUTH_CACHE_MS = 5000;

@Injectable()
export class ProjectsService {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates the project if needed and a new key for it; returns the plain key (shown once). */
  async createKey(
    projectName: string,
    keyName = 'cli',
  ): Promise<{ key: string; project: ProjectEntity }> {
    if (!PROJECT_NAME.test(projectName)) {
      throw ValidationError.field(
        'project',
        `must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit; got "${projectName}"`,
      );
    }
    return this.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [
        projectName,
      ]);
      const project = await tx.getRepository(ProjectEntity).findOneByOrFail({ name: projectName });
      const key = generateApiKey();
      await tx
        .getRepository(ApiKeyEntity)
        .insert({ projectId: project.id, name: keyName, hash: hashApiKey(key) });
      return { key, project };
    });
  }

  /**
   * Resolves a key to its project. Lookups are cached for AUTH_CACHE_MS so that a burst of
   * requests costs one query; a revoked key stops working within that time.
   */
  async authenticate(key: string): Promise<Principal | null> {
    if (!looksLikeApiKey(key)) return null;
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const principal = await this.lookup(hash);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: Date.now() + AUTH_CACHE_MS });
    return principal;
  }

  private async lookup(hash: string): Promise<Principal | null> {
    const rows: { id: string; project_id: string; name: string }[] = await this.db.query(
      `SELECT k.id, k.project_id, p.name FROM api_keys k JOIN projects p ON p.id = k.project_id
        WHERE k.hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    if (rows.length === 0) return null;
    return { keyId: rows[0].id, projectId: rows[0].project_id, projectName: rows[0].name };
  }

  /**
   * On first start with an empty database: create the default project and its admin key, print
   * it once and keep it in AUTODL_HOME/admin.key (mode 0600) for the CLI. Safe under concurrent
   * starts: the advisory lock lets one process do it.
   */
  async bootstrapAdminKey(print: (message: string) => void): Promise<string | null> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(7230001)`);
      const [{ count }] = await tx.query(`SELECT count(*)::int AS count FROM api_keys`);
      if (count > 0) return null;
      await tx.query(`INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [
        DEFAULT_PROJECT,
      ]);
      const project = await tx
        .getRepository(ProjectEntity)
        .findOneByOrFail({ name: DEFAULT_PROJECT });
      const key = generateApiKey();
      await tx
        .getRepository(ApiKeyEntity)
        .insert({ projectId: project.id, name: 'admin', hash: hashApiKey(key) });
      fs.mkdirSync(this.config.home, { recursive: true });
      const file = path.join(this.config.home, 'admin.key');
      fs.writeFileSync(file, key + '\n', { mode: 0o600 });
      fs.chmodSync(file, 0o600);
      print(
        `created project "${DEFAULT_PROJECT}"; its admin API key (shown once, also in ${file}):\n  ${key}`,
      );
      return key;
    });
  }
}
