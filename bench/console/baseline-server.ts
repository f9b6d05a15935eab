/**
 * An earlier revision of the service, side by side with this one for a benchmark: its files
 * (`git archive <rev>`) in a temporary folder sharing this checkout's node_modules, its console
 * built there, and its `autodl serve` started on the same database (no workers), so one run
 * measures both on the same data under the same machine load.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(__dirname, '..', '..');
const VITE_BIN = path.join(path.dirname(require.resolve('vite')), '..', '..', 'bin', 'vite.js');

export interface BaselineServer {
  rev: string;
  url: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startBaselineServer(
  rev: string,
  databaseUrl: string,
): Promise<BaselineServer> {
  const sha = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT }).toString().trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `autodl-baseline-${sha}-`));
  const archive = spawnSync('sh', ['-c', `git archive ${sha} | tar -x -C "${dir}"`], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (archive.status !== 0) throw new Error(`git archive ${rev} failed`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const build = spawnSync(process.execPath, [VITE_BIN, 'build', 'console', '--logLevel', 'warn'], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error(`console build of ${rev} failed`);
  const port = await freePort();
  // The CLI entry was src/cli/main.ts before it became src/cli/autodl.ts.
  const cli = ['autodl.ts', 'main.ts']
    .map((f) => path.join(dir, 'src', 'cli', f))
    .find((f) => fs.existsSync(f));
  if (!cli) throw new Error(`no CLI entry in ${rev}`);
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', cli, 'serve'], {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      AUTODL_HOME: path.join(dir, '.autodl'),
      HOST: '127.0.0.1',
      PORT: String(port),
      AUTODL_WORKERS: '0',
      AUTODL_COORDINATORS: '0',
      AUTODL_PRINT_ADMIN_KEY: '0',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`baseline ${rev} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`baseline ${rev} did not start in 5 minutes`);
    await sleep(500);
  }
  return {
    rev: sha,
    url,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(20_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
