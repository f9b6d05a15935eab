/**
 * The real API in a child process for the HTTP serving benches: a fresh database on
 * BENCH_DATABASE_URL (or TEST_DATABASE_URL) server, no job workers, the wasm backend, the admin
 * key read from its home. The bench process is the client (the open-loop generator), as a user's
 * `autodl deploy load` is, on the same host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface ApiServer {
  url: string;
  key: string;
  pid: number;
  /** POST/GET with the admin key; throws on a non-2xx answer. */
  call<T>(method: string, route: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

export async function startApiServer(
  opts: { cpuProfDir?: string; env?: Record<string, string>; root?: string } = {},
): Promise<ApiServer> {
  const root = opts.root ? path.resolve(opts.root) : ROOT;
  const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!server)
    throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server');
  const dbName = `autodl_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(server);
  dbUrl.pathname = `/${dbName}`;
  const home = path.join(await mkdtemp(path.join(tmpdir(), 'autodl-bench-')), '.autodl');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  // BENCH_API_NODE_ARGS: node/V8 flags for the API process (A/B runs, e.g. its young generation).
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [
    ...nodeArgs,
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    '-r',
    '@swc-node/register',
    path.join(root, 'src/main.ts'),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      AUTODL_HOME: home,
      PORT: String(port),
      AUTODL_WORKERS: '0',
      AUTODL_COORDINATORS: '0',
      AUTODL_TF_BACKEND: 'wasm',
      AUTODL_PRINT_ADMIN_KEY: '0',
      ...opts.env,
    },
    // BENCH_API_STDOUT=file: the API's stdout (e.g. V8's --trace-gc lines) to a file.
    stdio: [
      'ignore',
      process.env.BENCH_API_STDOUT ? openSync(process.env.BENCH_API_STDOUT, 'w') : 'ignore',
      'inherit',
    ],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const drop = async () => {
    const c = new Client({ connectionString: server });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
    await rm(path.dirname(home), { recursive: true, force: true });
  };
  // Generous: on a loaded shared host the API (swc compiling the sources) takes minutes to start.
  const until = Date.now() + 300_000;
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      await drop();
      throw new Error(`the API did not start (exit ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const key = (await readFile(path.join(home, 'admin.key'), 'utf8')).trim();
  return {
    url,
    key,
    pid: child.pid as number,
    call: async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const send = () =>
        fetch(`${url}${route}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      // A kept-alive socket the server closed while the bench simulated for minutes ("other
      // side closed") fails before any answer: an idempotent call (not a POST) is retried once.
      const res = await send().catch((e: unknown) => {
        if (method === 'POST') throw e;
        return send();
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    stop: async () => {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
      await drop();
    },
  };
}

/** Main-thread CPU time of a process in ms (Linux: the thread whose id is the pid). */
export async function mainThreadCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat (1-based), 12 and 13 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The input shapes of the zoo models the HTTP benches deploy. */
export const BENCH_SHAPES: Record<string, number[]> = {
  'small-cnn': [28, 28, 1],
  mobilenet: [32, 32, 3],
};

/**
 * Registers `modelName` (a zoo architecture, untrained, seed 1) and deploys it as `bench`: one
 * instance, batches of up to 8 within 2 ms, a queue of 1024. Returns the deployment's id and the
 * model's input size.
 */
export async function deployBenchModel(
  api: ApiServer,
  modelName: string,
): Promise<{ id: string; inputSize: number }> {
  const shape = BENCH_SHAPES[modelName];
  if (!shape) throw new Error(`no bench shape for model ${modelName}`);
  await api.call('POST', '/v1/models', {
    name: modelName,
    architecture: modelName,
    inputShape: shape,
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
    seed: 1,
  });
  const dep = await api.call<{ id: string }>('POST', '/v1/deployments', {
    model: modelName,
    name: 'bench',
    instances: 1,
    batch: { maxSize: 8, maxDelayMs: 2 },
    queue: { capacity: 1024, timeoutMs: 30_000 },
  });
  return { id: dep.id, inputSize: shape.reduce((a, d) => a * d, 1) };
}
