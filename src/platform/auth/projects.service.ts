import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DATABASE_URL } from '../database/database.module';
import { Transactions } from '../database/transactions';
import { ValidationError } from '../errors/domain-error';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-keys';
import { KeyRevocations } from './key-revocations';
import { KeyRow, KeysRepository } from './keys.repository';
import { ProjectRow, ProjectsRepository } from './projects.repository';
import { Role } from './roles';

export const DEFAULT_PROJECT = 'default';
export const PROJECT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface Principal {
  projectId: string;
  projectName: string;
  keyId: string;
  role: Role;
}

/** A cached lookup is trusted this long, and only while revocations are being listened to. */
export const AUTH_CACHE_MS = 5000;
/** last_used_at is written at most this often per key (and process). */
const TOUCH_EVERY_MS = 60_000;

export interface IssuedKey {
  key: string;
  project: ProjectRow;
  row: KeyRow;
}

/** What issuing a key writes through. */
export interface KeyPorts {
  transactions: Pick<Transactions, 'run'>;
  projects: ProjectsRepository;
  keys: KeysRepository;
}

/**
 * Creates the project if needed and a new key for it; returns the plain key (shown once). No
 * caller to check: the offline path (`autodl keys create --offline`, direct database access),
 * the bootstrap and, after KeysService checked the caller, POST /v1/keys.
 */
export async function issueKey(
  { transactions, projects, keys }: KeyPorts,
  projectName: string,
  keyName: string,
  options: { role?: Role; expiresAt?: Date | null } = {},
): Promise<IssuedKey> {
  assertProjectName(projectName);
  return transactions.run(async (tx) => {
    const project = await projects.ensure(projectName, tx);
    const key = generateApiKey();
    const row = await keys.insert(
      {
        projectId: project.id,
        name: keyName,
        role: options.role ?? 'member',
        hash: hashApiKey(key),
        expiresAt: options.expiresAt ?? null,
      },
      tx,
    );
    return { key, project, row };
  });
}

export function assertProjectName(name: string, field = 'project'): void {
  if (!PROJECT_NAME.test(name)) {
    throw ValidationError.field(
      field,
      `must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit; got "${name}"`,
    );
  }
}

/**
 * Authentication (key -> principal, cached, revocations via LISTEN/NOTIFY) and the offline key
 * paths: the bootstrap admin key and `autodl keys create --offline` (direct database access).
 * Key management over HTTP is KeysService.
 */
@Injectable()
export class ProjectsService implements OnModuleDestroy {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private readonly touched = new Map<string, number>();
  private readonly revocations: KeyRevocations;
  /** Bumped by every revocation: a lookup that straddles one is not cached. */
  private epoch = 0;

  constructor(
    private readonly transactions: Transactions,
    private readonly keys: KeysRepository,
    private readonly projects: ProjectsRepository,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'home'>,
    @Inject(DATABASE_URL) databaseUrl: string,
  ) {
    this.revocations = new KeyRevocations(databaseUrl, (hash) => {
      this.epoch++;
      if (hash === '*') this.cache.clear();
      else this.cache.delete(hash);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.revocations.close();
  }

  /** issueKey on this service's database. */
  async createKey(
    projectName: string,
    keyName = 'cli',
    options: { role?: Role; expiresAt?: Date | null } = {},
  ): Promise<IssuedKey> {
    const { transactions, projects, keys } = this;
    return issueKey({ transactions, projects, keys }, projectName, keyName, options);
  }

  /**
   * Resolves a key to its principal. Lookups are cached for AUTH_CACHE_MS (a burst of requests
   * costs one query) but only while this process listens to revocations, so a key revoked by
   * any process stops working here within the NOTIFY's delivery time; an expired key stops at
   * its expiry.
   */
  async authenticate(key: string): Promise<Principal | null> {
    if (!looksLikeApiKey(key)) return null;
    void this.revocations.start();
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now && this.revocations.live) {
      if (cached.principal) this.touch(cached.principal.keyId, now);
      return cached.principal;
    }
    const epoch = this.epoch;
    const found = await this.keys.findActiveByHash(hash);
    const principal: Principal | null = found
      ? {
          keyId: found.id,
          projectId: found.projectId,
          projectName: found.project,
          role: found.role,
        }
      : null;
    if (this.revocations.live && epoch === this.epoch) {
      if (this.cache.size > 10_000) this.cache.clear();
      const until = Math.min(now + AUTH_CACHE_MS, found?.expiresAt?.getTime() ?? Infinity);
      this.cache.set(hash, { principal, until });
    }
    if (principal) this.touch(principal.keyId, now);
    return principal;
  }

  private touch(keyId: string, now: number): void {
    if ((this.touched.get(keyId) ?? 0) > now - TOUCH_EVERY_MS) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(keyId, now);
    this.keys.touch(keyId).catch(() => this.touched.delete(keyId));
  }

  /**
   * On first start with an empty database: create the default project (commands allowed) and
   * its admin key, print it once and keep it in AUTODL_HOME/admin.key (mode 0600) for the CLI.
   * Safe under concurrent starts: the advisory lock lets one process do it.
   */
  async bootstrapAdminKey(print: (message: string) => void): Promise<string | null> {
    return this.transactions.run(async (tx) => {
      await this.keys.lockBootstrap(tx);
      if ((await this.keys.count(tx)) > 0) return null;
      const project = await this.projects.ensure(DEFAULT_PROJECT, tx);
      await this.projects.setAllowCommands(DEFAULT_PROJECT, true, tx);
      const key = generateApiKey();
      await this.keys.insert(
        {
          projectId: project.id,
          name: 'admin',
          role: 'admin',
          hash: hashApiKey(key),
          expiresAt: null,
        },
        tx,
      );
      fs.mkdirSync(this.config.home, { recursive: true, mode: 0o700 });
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
