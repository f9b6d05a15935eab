/**
 * Job submission and queue throughput (issue 2 benchmark).
 *   1. POST /v1/jobs: 1000 requests from 50 concurrent connections (autocannon) after a warm-up
 *      of 500, no workers
 *      running: requests/s and latency percentiles of "validate + insert + enqueue".
 *      Baseline in the same run: GET /healthz (no auth, no database), the framework's floor.
 *   1b. Drain: those jobs, run by 2 pool workers started afterwards (the queue's own rate).
 *   2. End to end: 1000 `noop` jobs submitted by 50 concurrent clients with 2 pool workers
 *      running; time from the first submit to the last `succeeded`.
 * Usage: node -r @swc-node/register bench/platform/queue.ts [--jobs 1000] [--workers 2]
 * DATABASE_URL selects the server; without it a scratch embedded PostgreSQL is used.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/platform/config/app-config';
import { startScratchPostgres } from '../../src/platform/database/embedded-postgres';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * autocannon in a worker thread: in the server's own event loop the load generator would compete
 * with the server for that one thread, and its latencies would measure both (session 1 did that:
 * even GET /healthz had a p99 of 339 ms).
 */
function load(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ ...options, workers: 1 });
}

async function main(): Promise<void> {
  const jobs = arg('jobs', 1000);
  const workers = arg('workers', 2);
  const scratch = process.env.DATABASE_URL ? null : await startScratchPostgres(54377);
  const server = process.env.DATABASE_URL ?? scratch!.url;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-bench-'));
  const env = (db: string, w: number) =>
    loadConfig({
      DATABASE_URL: db,
      AUTODL_HOME: home,
      PORT: '0',
      HOST: '127.0.0.1',
      AUTODL_WORKERS: String(w),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      AUTODL_PRINT_ADMIN_KEY: '0',
    });

  // 1. Submission latency, no workers.
  const submitDb = await freshDatabase(server, 'autodl_bench_submit');
  const app1 = await startApp(env(submitDb, 0));
  // Warm-up (JIT, connection pool, auth cache), then the measured run.
  await load({
    url: `${app1.url}/v1/jobs`,
    method: 'POST',
    connections: 50,
    amount: 500,
    headers: { authorization: `Bearer ${app1.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'noop' }),
  });
  await app1.app.get(DataSource).query(`DELETE FROM jobs`);
  // Baseline in the same run: the framework's floor (no auth, no database) on this machine.
  const healthz = await load({ url: `${app1.url}/healthz`, connections: 50, amount: jobs });
  const submit = await load({
    url: `${app1.url}/v1/jobs`,
    method: 'POST',
    connections: 50,
    amount: jobs,
    headers: { authorization: `Bearer ${app1.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'noop' }),
  });
  await app1.close();

  // 1b. Drain: the 1000 jobs queued above, run by a fresh API with workers (queue rate alone).
  const app1b = await startApp(env(submitDb, workers));
  const drainCounter = new Client({ connectionString: submitDb });
  await drainCounter.connect();
  const tDrain = Date.now();
  for (let done = 0; done < jobs;) {
    await sleep(20);
    done = (
      await drainCounter.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'succeeded'`)
    ).rows[0].n;
    if (Date.now() - tDrain > 300_000) throw new Error(`drain: only ${done} of ${jobs} in 300 s`);
  }
  // From the first claim to the last finish, by the database's clock (worker start-up excluded).
  const drainSeconds = Number(
    (
      await drainCounter.query(
        `SELECT extract(epoch FROM max(finished_at) - min(started_at)) AS s FROM jobs`,
      )
    ).rows[0].s,
  );
  await drainCounter.end();
  await app1b.close();

  // 2. End to end with workers.
  const db2 = await freshDatabase(server, 'autodl_bench_e2e');
  const app2 = await startApp(env(db2, workers));
  await sleep(3000); // let the worker processes boot
  const counter = new Client({ connectionString: db2 });
  await counter.connect();
  const t0 = Date.now();
  const e2e = load({
    url: `${app2.url}/v1/jobs`,
    method: 'POST',
    connections: 50,
    amount: jobs,
    headers: { authorization: `Bearer ${app2.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'noop' }),
  });
  let done = 0;
  while (done < jobs) {
    await sleep(20);
    done = (await counter.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'succeeded'`))
      .rows[0].n;
    if (process.env.BENCH_DEBUG)
      process.stderr.write(
        `done ${done} ${JSON.stringify((await counter.query(`SELECT status, error, count(*) FROM jobs GROUP BY status, error`)).rows)}\n`,
      );
    if (Date.now() - t0 > 300_000)
      throw new Error(`only ${done} of ${jobs} jobs finished in 300 s`);
  }
  // From the first submit to the last finish, by the database's clock.
  const seconds = Number(
    (
      await counter.query(
        `SELECT extract(epoch FROM max(finished_at) - min(created_at)) AS s FROM jobs`,
      )
    ).rows[0].s,
  );
  await e2e;
  await counter.end();
  await app2.close();
  await scratch?.stop();
  fs.rmSync(home, { recursive: true, force: true });

  const rows = [
    ['POST /v1/jobs requests/s (50 connections, no workers)', submit.requests.average.toFixed(0)],
    [
      'POST /v1/jobs latency p50 / p99 / max (ms)',
      `${submit.latency.p50} / ${submit.latency.p99} / ${submit.latency.max}`,
    ],
    ['non-2xx responses', String(submit.non2xx)],
    [
      'baseline GET /healthz, same run: requests/s, p50 / p99 (ms)',
      `${healthz.requests.average.toFixed(0)}, ${healthz.latency.p50} / ${healthz.latency.p99}`,
    ],
    [
      `drain: ${jobs} queued noop jobs, ${workers} workers, first claim to last finish (s)`,
      drainSeconds.toFixed(2),
    ],
    ['drain: jobs/s', (jobs / drainSeconds).toFixed(0)],
    [
      `end to end: ${jobs} noop jobs submitted by 50 clients while ${workers} workers run (s)`,
      seconds.toFixed(2),
    ],
    ['end to end: jobs/s', (jobs / seconds).toFixed(0)],
  ];
  process.stdout.write(
    `| measure | value |\n| --- | --- |\n${rows.map((r) => `| ${r[0]} | ${r[1]} |`).join('\n')}\n`,
  );
  process.stdout.write(
    `\ndatabase: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'scratch embedded PostgreSQL 17'}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
