/**
 * `autodl keys list|create|revoke` over the REST API (the caller's key decides what it may do),
 * and `autodl keys create --offline`: direct database access for the first key of a project
 * when no key exists yet (bootstrap, recovery).
 */
import { Command } from 'commander';
import { ROLES, Role, isRole } from '../../platform/auth/roles';
import { loadServiceConfig } from '../../capability-config';
import { CliError } from '../client';
import { client, globalOptions } from '../command-context';
import { printJson, printTable } from '../output';

interface Key {
  id: string;
  project: string;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  key?: string;
}

function role(value: string): Role {
  if (!isRole(value))
    throw new CliError(`--role must be one of ${ROLES.join(', ')}, got "${value}"`);
  return value;
}

function expiry(days: string | undefined): string | undefined {
  if (days === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(days) || Number(days) <= 0)
    throw new CliError(`--expires-in-days must be a positive number, got "${days}"`);
  return new Date(Date.now() + Number(days) * 86_400_000).toISOString();
}

const KEY_COLUMNS = [
  'id',
  'project',
  'name',
  'role',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'revokedAt',
];

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys (roles: admin, member, viewer)');
  keys
    .command('create')
    .description('create an API key; prints the key once')
    .option(
      '--project <name>',
      "the key's project (default: the caller's; admins: any, created if new)",
    )
    .option('--name <name>', 'a label for the key', 'cli')
    .option('--role <role>', `${ROLES.join(' | ')}`, 'member')
    .option('--expires-in-days <days>', 'refuse the key after this many days')
    .option(
      '--offline',
      'write the key straight into the database (DATABASE_URL or the embedded one), no API key needed',
      false,
    )
    .action(
      async (
        o: {
          project?: string;
          name: string;
          role: string;
          expiresInDays?: string;
          offline: boolean;
        },
        cmd: Command,
      ) => {
        const json = globalOptions(cmd).json;
        const expiresAt = expiry(o.expiresInDays);
        let created: Key;
        if (o.offline) {
          if (!o.project) throw new CliError('--offline needs --project');
          const config = loadServiceConfig();
          // Loaded here, not at the top: `autodl` starts without TypeORM and the entities.
          const { withOfflineDatabase } = await import('../offline-database');
          const issued = await withOfflineDatabase(config, async (db) => {
            await db.migrate();
            return db.issueKey(o.project as string, o.name, {
              role: role(o.role),
              expiresAt: expiresAt ? new Date(expiresAt) : null,
            });
          });
          created = {
            id: issued.row.id,
            project: issued.project.name,
            name: issued.row.name,
            role: issued.row.role,
            createdAt: new Date(issued.row.createdAt).toISOString(),
            expiresAt: expiresAt ?? null,
            lastUsedAt: null,
            revokedAt: null,
            key: issued.key,
          };
          if (json) return printJson({ ...created, projectId: issued.project.id });
        } else {
          created = await client(cmd).post<Key>('/v1/keys', {
            name: o.name,
            role: role(o.role),
            ...(o.project ? { project: o.project } : {}),
            ...(expiresAt ? { expiresAt } : {}),
          });
          if (json) return printJson(created);
        }
        process.stdout.write(created.key + '\n');
      },
    );
  keys
    .command('list')
    .description('list API keys (admin: every project or --project; others: their own)')
    .option('--project <name>', 'only this project')
    .option('--revoked', 'include revoked keys', false)
    .action(async (o: { project?: string; revoked: boolean }, cmd: Command) => {
      const q = new URLSearchParams();
      if (o.project) q.set('project', o.project);
      if (o.revoked) q.set('revoked', 'true');
      const page = await client(cmd).get<{ items: Key[] }>(`/v1/keys?${q.toString()}`);
      if (globalOptions(cmd).json) printJson(page);
      else printTable(page.items as unknown as Record<string, unknown>[], KEY_COLUMNS);
    });
  keys
    .command('revoke <id>')
    .description('revoke an API key (refused by every API process within a second)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const key = await client(cmd).request<Key>('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
      if (globalOptions(cmd).json) printJson(key);
      else process.stdout.write(`revoked ${key.id} (${key.project}/${key.name})\n`);
    });
}
