/**
 * Cost of following Kubernetes Jobs: the KubernetesExecutor (list + watch informers) against a
 * naive poller that lists Jobs every `pollMs`, on the same FakeApiServer and scripted workload,
 * side by side in one run. Reports API requests per job and the delay between a Job reaching
 * Complete on the server and the follower noticing it.
 *
 *   node -r @swc-node/register bench/deploy/watch-vs-poll.ts [--quick]
 */
import { BatchV1Api, type V1Job } from '@kubernetes/client-node';
import { startFakeCluster, waitFor } from '../../test/k8s/harness';
import { MemoryDispatchQueue } from '../../test/k8s/memory-dispatch-queue';
import { buildJobManifest, jobName } from '../../src/deploy/core/job-spec';
import { KUBERNETES_EXECUTOR_DEFAULTS } from '../../src/deploy/kubernetes-config';
import { KubernetesExecutor } from '../../src/deploy/kubernetes-executor';

const quick = process.argv.includes('--quick');
const JOBS = quick ? 40 : 150;
// A pod lives ~6 steps: long enough for the pollers to list several times while jobs run.
const STEP_MS = quick ? 100 : 300;
const POLL_MS = [1000, 250];
const NS = 'autodl';

interface Result {
  follower: string;
  requests: number;
  seconds: number;
  delays: number[];
}

function completeTimes(api: {
  onJob(
    l: (t: string, j: { metadata: { name: string }; status?: Record<string, unknown> }) => void,
  ): void;
}) {
  const at = new Map<string, number>();
  api.onJob((_type, job) => {
    const conds = (job.status?.conditions ?? []) as { type: string }[];
    if (conds.some((c) => c.type === 'Complete') && !at.has(job.metadata.name))
      at.set(job.metadata.name, Date.now());
  });
  return at;
}

async function runExecutor(): Promise<Result> {
  const cluster = await startFakeCluster({ stepMs: STEP_MS });
  const done = completeTimes(cluster.api);
  const queue = new MemoryDispatchQueue();
  const rows = Array.from({ length: JOBS }, () => queue.add());
  const noticed = new Map<string, number>();
  const append = queue.appendEvent.bind(queue);
  queue.appendEvent = async (jobId, level, message) => {
    if (message.endsWith('succeeded')) noticed.set(jobId, Date.now());
    return append(jobId, level, message);
  };
  const ex = new KubernetesExecutor({
    kubeConfig: cluster.kubeConfig,
    queue,
    config: {
      ...KUBERNETES_EXECUTOR_DEFAULTS,
      namespace: NS,
      maxConcurrentJobs: JOBS,
      maxJobsPerProject: JOBS,
      dispatchIntervalMs: 50,
      streamLogs: false,
    },
    logger: { warn: () => undefined },
  });
  const t0 = Date.now();
  await ex.start();
  await waitFor('all noticed', () => noticed.size === JOBS, 120_000);
  const seconds = (Date.now() - t0) / 1000;
  await ex.stop();
  await cluster.close();
  return {
    follower: 'executor (list + watch)',
    requests: cluster.api.requests.filter((q) => q.method !== 'POST').length,
    seconds,
    delays: rows.map((r) => (noticed.get(r.id) ?? NaN) - (done.get(jobName(r.id, 1)) ?? NaN)),
  };
}

async function runPoller(pollMs: number): Promise<Result> {
  const cluster = await startFakeCluster({ stepMs: STEP_MS });
  const done = completeTimes(cluster.api);
  const batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
  const queue = new MemoryDispatchQueue();
  const names = Array.from({ length: JOBS }, () => {
    const r = queue.add();
    return buildJobManifest(
      { id: r.id, projectId: r.projectId, kind: r.kind, attempt: 1 },
      { ...KUBERNETES_EXECUTOR_DEFAULTS, namespace: NS },
    );
  });
  const t0 = Date.now();
  for (const m of names) await batch.createNamespacedJob({ namespace: NS, body: m as V1Job });
  const noticed = new Map<string, number>();
  while (noticed.size < JOBS) {
    const list = await batch.listNamespacedJob({ namespace: NS });
    for (const j of list.items) {
      const name = j.metadata?.name ?? '';
      if (!noticed.has(name) && j.status?.conditions?.some((c) => c.type === 'Complete'))
        noticed.set(name, Date.now());
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const seconds = (Date.now() - t0) / 1000;
  await cluster.close();
  return {
    follower: `poll list every ${pollMs} ms`,
    requests: cluster.api.requests.filter((q) => q.method !== 'POST').length,
    seconds,
    delays: names.map(
      (m) => (noticed.get(m.metadata.name) ?? NaN) - (done.get(m.metadata.name) ?? NaN),
    ),
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main(): Promise<void> {
  const results = [await runExecutor()];
  for (const p of POLL_MS) results.push(await runPoller(p));
  console.log(
    `${JOBS} jobs, each pod ~${(6 * STEP_MS) / 1000} s (scripted lifecycle step ${STEP_MS} ms)\n`,
  );
  console.log(
    '| follower | wall time (s) | follow requests (GET) | notice delay p50 (ms) | p95 (ms) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const p50 = pct(r.delays, 50);
    console.log(
      `| ${r.follower} | ${r.seconds.toFixed(1)} | ${r.requests} | ${p50.toFixed(0)} | ${pct(r.delays, 95).toFixed(0)} |`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
