/**
 * Queue -> Kubernetes Job latency of the Kubernetes executor on a real PostgreSQL
 * (PgDispatchQueue): the time from a job's INSERT (JobsRepository.insert, as POST /v1/jobs does) to
 * its batch/v1 Job being created on the test API server. Side by side in one run, on the same
 * seeded arrival times: dispatch on the interval only (poll), and woken by LISTEN/NOTIFY with
 * the interval as fallback (what `autodl serve` runs). Also counts the queue reads
 * (listQueued) each needed.
 *
 *   node -r @swc-node/register bench/deploy/dispatch-latency.ts [--quick]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { KUBERNETES_EXECUTOR_DEFAULTS } from '../../src/deploy/kubernetes-config';
import { KubernetesExecutor } from '../../src/deploy/kubernetes-executor';
import type { DispatchQueue } from '../../src/deploy/dispatch-queue.port';
import { PgDispatchQueue } from '../../src/deploy/pg-dispatch-queue';
import { Rng } from '../../src/platform/core/rng';
import { openDataSource } from '../../src/platform/database/data-source';
import { runMigrations } from '../../src/platform/database/database.module';
import { startScratchPostgres } from '../../src/platform/database/embedded-postgres';
import { JobsRepository } from '../../src/platform/jobs/jobs.repository';
import { startFakeCluster, waitFor } from '../../test/k8s/harness';

const quick = process.argv.includes('--quick');
const JOBS = quick ? 15 : 60;
/** Mean gap between arrivals (Poisson arrivals), ms. */
const MEAN_GAP_MS = 150;
const INTERVAL_MS = [2000, 500];

interface Row {
  mode: string;
  intervalMs: number;
  latencies: number[];
  reads: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run(
  ds: DataSource,
  projectId: string,
  mode: 'poll' | 'notify',
  intervalMs: number,
): Promise<Row> {
  await ds.query(`DELETE FROM jobs`);
  const cluster = await startFakeCluster({ stepMs: 5 });
  const created = new Map<string, number>();
  cluster.api.onJob((type, job) => {
    const id = job.metadata.labels?.['autodl.io/job-id'];
    if (type === 'ADDED' && id && !created.has(id)) created.set(id, performance.now());
  });
  const pg = new PgDispatchQueue(
    new JobsRepository(ds),
    (ds.options as { url?: string }).url ?? null,
  );
  let reads = 0;
  // The poll variant is the same queue without its push channel.
  const queue: DispatchQueue = {
    listQueued: (limit) => {
      reads += 1;
      return pg.listQueued(limit);
    },
    claim: (job, name) => pg.claim(job, name),
    markPending: (id, r) => pg.markPending(id, r),
    markRunning: (id, m) => pg.markRunning(id, m),
    requeue: (id, r) => pg.requeue(id, r),
    fail: (id, r) => pg.fail(id, r),
    markCancelled: (id, r) => pg.markCancelled(id, r),
    cancelRequested: (ids) => pg.cancelRequested(ids),
    appendEvent: (id, l, m) => pg.appendEvent(id, l, m),
    activeDispatched: () => pg.activeDispatched(),
    ...(mode === 'notify' ? { onQueued: (wake: () => void) => pg.onQueued(wake) } : {}),
  };
  const executor = new KubernetesExecutor({
    kubeConfig: cluster.kubeConfig,
    queue,
    config: {
      ...KUBERNETES_EXECUTOR_DEFAULTS,
      dispatchIntervalMs: intervalMs,
      maxConcurrentJobs: 10_000,
      maxJobsPerProject: 10_000,
      streamLogs: false,
    },
    logger: { warn: () => undefined },
  });
  await executor.start();
  const jobs = new JobsRepository(ds);
  const rng = new Rng(7);
  const inserted = new Map<string, number>();
  reads = 0;
  for (let i = 0; i < JOBS; i++) {
    await sleep(rng.exponential(1 / MEAN_GAP_MS));
    const job = await jobs.insert({ projectId, kind: 'sleep', spec: {}, maxAttempts: 3 });
    inserted.set(job.id, performance.now());
  }
  await waitFor('all Jobs created', () => created.size >= JOBS, 60_000);
  const latencies = [...inserted].map(([id, t]) => (created.get(id) ?? NaN) - t);
  await executor.stop();
  await cluster.close();
  return { mode, intervalMs, latencies: latencies.sort((a, b) => a - b), reads };
}

async function main(): Promise<void> {
  const pg = await startScratchPostgres(Number(process.env.AUTODL_BENCH_PG_PORT ?? 54395));
  const ds = await openDataSource(pg.url, 4);
  try {
    await runMigrations(ds);
    const [project] = await ds.query(`INSERT INTO projects (name) VALUES ('bench') RETURNING id`);
    const rows: Row[] = [];
    for (const intervalMs of INTERVAL_MS) {
      for (const mode of ['poll', 'notify'] as const) {
        rows.push(await run(ds, project.id, mode, intervalMs));
      }
    }
    console.log(
      `${JOBS} jobs, Poisson arrivals (mean gap ${MEAN_GAP_MS} ms), real PostgreSQL, test API server\n`,
    );
    console.log(
      '| dispatch | interval (ms) | latency p50 (ms) | p95 (ms) | max (ms) | queue reads |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      const l = r.latencies;
      console.log(
        `| ${r.mode === 'poll' ? 'interval only' : 'LISTEN/NOTIFY + interval'} | ${r.intervalMs} | ` +
          `${quantile(l, 0.5).toFixed(0)} | ${quantile(l, 0.95).toFixed(0)} | ` +
          `${l[l.length - 1].toFixed(0)} | ${r.reads} |`,
      );
    }
  } finally {
    await ds.destroy();
    await pg.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
