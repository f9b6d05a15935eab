import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startApp, RunningApp } from '../../src/app';
import { ProjectsService } from '../../src/platform/auth/projects.service';
import { loadServiceConfig } from '../../src/capability-config';
import { createTestDatabase } from './database';
import { workerPid } from '../../src/platform/jobs/worker-id';

/**
 * Default deadline of waitForJob: generous, because on a loaded 2-core machine a worker process
 * can take a minute to start and a job several to run; a deadline only bounds a failing wait.
 */
export const JOB_WAIT_MS = 300_000;

const ENDED = ['succeeded', 'failed', 'cancelled'];

export interface TestApp {
  running: RunningApp;
  url: string;
  key: string;
  home: string;
  databaseUrl: string;
  http: ReturnType<typeof request>;
  /** Authorised request helpers. */
  get(route: string, key?: string): request.Test;
  post(route: string, body?: unknown, key?: string): request.Test;
  /** `POST /v1/datasets` as multipart: the form fields, then `file`. */
  uploadDataset(fields: Record<string, string>, file: Buffer, fileName: string): request.Test;
  createKey(project: string): Promise<string>;
  /** SIGKILLs the local worker process running `job` (its id names host:pid:nonce). */
  killWorker(job: JobBody): void;
  waitForJob(
    id: string,
    predicate: (job: JobBody) => boolean,
    timeoutMs?: number,
  ): Promise<JobBody>;
  /** Stop the app (and its workers) but keep the database, e.g. to restart on it. */
  stop(): Promise<void>;
  /** Stop and drop the database. */
  close(): Promise<void>;
}

export interface JobBody {
  id: string;
  status: string;
  progress: number;
  attempts: number;
  error: string | null;
  result: Record<string, unknown> | null;
  worker: string | null;
  [key: string]: unknown;
}

export interface TestAppOptions {
  workers?: number;
  /** Coordinator workers (study and NAS drivers); default 1. */
  coordinators?: number;
  env?: Record<string, string>;
  /** The package root the app looks for a built console in (`console/dist`); default this one. */
  packageRoot?: string;
  /** Reuse a database and home (restart tests). */
  reuse?: { databaseUrl: string; home: string; key: string; drop: () => Promise<void> };
}

/**
 * A fresh data directory of the default shape, `<tmp>/autodl-home-XXXX/.autodl`: the default
 * `AUTODL_HOME=./.autodl` is a dot-folder, and code that handles paths (Express's sendFile refuses
 * dot-folders) must be tested under one.
 */
export function createTestHome(prefix = 'autodl-home-'): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), '.autodl');
}

/** Removes a home made by createTestHome, with the temporary folder around it. */
export function removeTestHome(home: string): void {
  fs.rmSync(path.basename(home) === '.autodl' ? path.dirname(home) : home, {
    recursive: true,
    force: true,
  });
}

/** Starts the real application (the same startApp as `autodl serve`) on a fresh database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.reuse
    ? { url: options.reuse.databaseUrl, drop: options.reuse.drop }
    : await createTestDatabase();
  const home = options.reuse?.home ?? createTestHome();
  const config = loadServiceConfig(
    {
      DATABASE_URL: db.url,
      AUTODL_HOME: home,
      PORT: '0',
      HOST: '127.0.0.1',
      AUTODL_WORKERS: String(options.workers ?? 2),
      AUTODL_COORDINATORS: String(options.coordinators ?? 1),
      LOG_LEVEL: 'error',
      AUTODL_HEARTBEAT_MS: '200',
      AUTODL_HEARTBEAT_TIMEOUT_MS: '3000',
      AUTODL_CANCEL_GRACE_MS: '3000',
      AUTODL_PRINT_ADMIN_KEY: '0',
      AUTODL_TF_BACKEND: 'cpu',
      ...options.env,
    },
    {
      stdoutIsTTY: false,
      packageRoot: options.packageRoot ?? path.resolve(__dirname, '..', '..'),
    },
  );
  const running = await startApp(config);
  const key = running.adminKey ?? options.reuse?.key;
  if (!key) throw new Error('no admin key');
  const http = request(running.url);
  let stopped = false;
  const app: TestApp = {
    running,
    url: running.url,
    key,
    home,
    databaseUrl: db.url,
    http,
    get: (route, k = key) => http.get(route).set('Authorization', `Bearer ${k}`),
    post: (route, body, k = key) => {
      const req = http.post(route).set('Authorization', `Bearer ${k}`);
      return body === undefined ? req : req.send(body as object);
    },
    uploadDataset: (fields, file, fileName) => {
      let req = http.post('/v1/datasets').set('Authorization', `Bearer ${key}`);
      for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
      return req.attach('file', file, fileName);
    },
    killWorker: (job) => {
      const pid = workerPid(job.worker);
      assert.ok(pid, `worker id ${job.worker} names a local pid`);
      process.kill(pid, 'SIGKILL');
    },
    createKey: async (project) => (await running.app.get(ProjectsService).createKey(project)).key,
    waitForJob: async (id, predicate, timeoutMs = JOB_WAIT_MS) => {
      const deadline = Date.now() + timeoutMs;
      let last: JobBody | null = null;
      // The predicate sees GET /v1/jobs/:id as before, but the API is asked only when the job's
      // row changed (or a second went by): a look at the row every 100 ms costs a fraction of a
      // request through the app, and six test files at once each polled while they waited.
      const rows = running.app.get(DataSource);
      let seen: string | null = null;
      let askedAt = 0;
      while (Date.now() < deadline) {
        const now = Date.now();
        const row = await jobRow(rows, id);
        if (row === null || row !== seen || now - askedAt >= 1000) {
          seen = row;
          askedAt = now;
          const res = await app.get(`/v1/jobs/${id}`);
          last = res.body as JobBody;
          if (res.status === 200 && predicate(last)) return last;
          // An ended job does not change unless someone retries it: say so now, not at the deadline.
          if (res.status === 200 && ENDED.includes(last.status))
            throw new Error(`job ${id} ended ${last.status}: ${JSON.stringify(last)}`);
        }
        await sleep(100);
      }
      throw new Error(
        `job ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await running.close();
    },
    close: async () => {
      await app.stop();
      await db.drop();
      removeTestHome(home);
    },
  };
  return app;
}

/**
 * What of a job's row changes whenever GET /v1/jobs/:id can: its status, attempt and worker;
 * updated_at moves with progress, results and errors. Read on the app's own pool (no connection
 * more); null when there is no such row or no answer in 2 s (the outage tests' database is
 * away): the caller then asks the API.
 */
async function jobRow(db: DataSource, id: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 2000)));
  const look = db
    .query(`SELECT status, attempts, worker_id, updated_at FROM jobs WHERE id::text = $1`, [id])
    .then((rows: unknown[]) => (rows.length ? JSON.stringify(rows[0]) : null))
    .catch(() => null);
  try {
    return await Promise.race([look, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
