import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './app.module';
import { ArtifactStore } from './platform/artifacts/artifact-store';
import { ArtifactsRepository } from './platform/artifacts/artifacts.repository';
import { loadServiceConfig } from './capability-config';
import { installWorkerThreads } from './ml/data-parallel/worker-threads';
import { DATABASE_URL } from './platform/database/database.module';
import { JOB_LANES, JobLane } from './platform/jobs/job-handler';
import { JobHandlerRegistry } from './platform/jobs/job-handler.registry';
import { JobsRepository } from './platform/jobs/jobs.repository';
import { JobRunner } from './platform/jobs/job-runner';
import { runIndexedPod } from './platform/jobs/indexed-pod';
import { processGroupDir } from './platform/jobs/process-groups';
import { newWorkerId } from './platform/jobs/worker-id';
import { WorkerLoop, WorkerMessage } from './platform/jobs/worker-loop';

/**
 * Worker process entry.
 *   node dist/worker.js pool [lane]   a long-lived pool worker (spawned by the local executor)
 *                                     claiming the kinds of its lane (compute | coordinator)
 *   node dist/worker.js run <jobId>   run one job and exit (a Kubernetes pod); exit code 0 if it
 *                                     succeeded, 1 if it failed, 2 if it could not be claimed
 *   node dist/worker.js run-index <jobId>
 *                                     one pod of an Indexed Job: its part of the job (by
 *                                     JOB_COMPLETION_INDEX), without claiming the row
 *                                     (platform/jobs/indexed-pod.ts); exit 0 or 1
 */
async function main(argv: string[]): Promise<number> {
  const [mode, arg] = argv;
  const lane = mode === 'pool' ? ((arg ?? 'compute') as JobLane) : undefined;
  if (
    (mode !== 'pool' && mode !== 'run' && mode !== 'run-index') ||
    (lane && !JOB_LANES.includes(lane))
  ) {
    process.stderr.write(
      `usage: worker.js pool [${JOB_LANES.join('|')}] | worker.js run <jobId> | worker.js run-index <jobId>\n`,
    );
    return 64;
  }
  const jobId = mode === 'run' || mode === 'run-index' ? arg : undefined;
  const config = loadServiceConfig();
  // Training jobs of this worker split their batches into shards fixed by the configuration and
  // compute them on replicas on worker threads (AUTODL_TRAIN_THREADS, default auto = the cores
  // the pool's other running jobs leave free, as the supervisor tells): every trainModel caller
  // gains without asking, and the thread count never changes a result.
  installWorkerThreads(config.trainThreads, mode === 'pool' ? process : undefined);
  const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    bufferLogs: true,
  });
  ctx.useLogger(ctx.get(Logger));
  const queue = ctx.get(JobsRepository);
  const runner = new JobRunner(
    queue,
    ctx.get(ArtifactsRepository),
    ctx.get(ArtifactStore),
    ctx.get(JobHandlerRegistry),
    config.heartbeatMs,
    ctx.get(DATABASE_URL),
    // Pool workers record their jobs' process groups for the supervisor; a pod's die with it.
    mode === 'pool' ? processGroupDir(config.home) : null,
  );
  const workerId = newWorkerId();
  try {
    if (mode === 'run-index') {
      if (!jobId) throw new Error('worker.js run-index needs a job id');
      const abort = new AbortController();
      process.once('SIGTERM', () => abort.abort());
      const registry = ctx.get(JobHandlerRegistry);
      const store = ctx.get(ArtifactStore);
      const artifacts = ctx.get(ArtifactsRepository);
      try {
        const row = await queue.indexedRow(jobId);
        await runIndexedPod(
          row,
          (kind) => registry.get(kind),
          (line) => process.stdout.write(`${line}\n`),
          abort.signal,
          // Same project only, as JobContext.readArtifact.
          async (id, name) => {
            const stored = row ? await artifacts.pathInProject(row.projectId, id, name) : null;
            if (stored === null) throw new Error(`no artifact ${id}/${name} in this project`);
            return store.read(stored);
          },
        );
        return 0;
      } catch (error) {
        process.stderr.write(
          `index failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        return 1;
      }
    }
    if (mode === 'run') {
      if (!jobId) throw new Error('worker.js run needs a job id');
      const executor = process.env.AUTODL_WORKER_EXECUTOR ?? 'kubernetes';
      const job = await queue.claimById(jobId, workerId, executor);
      if (!job) {
        process.stderr.write(`job ${jobId} is not queued (already taken, finished or unknown)\n`);
        return 2;
      }
      const outcome = await runner.run(job, workerId);
      return outcome === 'succeeded' ? 0 : 1;
    }
    const send = (message: WorkerMessage) => process.send?.(message);
    const kinds = ctx.get(JobHandlerRegistry).kinds(lane);
    const loop = new WorkerLoop(queue, runner, ctx.get(DATABASE_URL), workerId, send, kinds);
    const stop = () => loop.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    // An orphaned pool worker (supervisor gone) stops instead of running on unsupervised.
    process.once('disconnect', stop);
    await loop.run();
    return 0;
  } finally {
    await runner.close();
    await ctx.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(70);
  },
);
