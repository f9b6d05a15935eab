/**
 * Dispatch: takes queued jobs under quota (the service's own per-project quota, or Kueue's when
 * AUTODL_K8S_QUEUE names a LocalQueue) and creates one `batch/v1` Job per attempt. A request
 * no Job can satisfy fails at once; a Job the API server refuses is re-queued (or failed, for
 * an invalid manifest); a Job that already exists (created just before a crash) is adopted.
 */
import type { V1Job } from '@kubernetes/client-node';
import { apiStatus, describeError } from './api-errors';
import {
  buildJobManifest,
  resolveResources,
  type JobToDispatch,
  type ResourceRequest,
} from './core/job-spec';
import { admit } from './core/quota';
import type { ExecutorState } from './executor-state';

/** One dispatch pass; `evaluate` looks at a Job's state once it is created. */
export async function dispatch(
  state: ExecutorState,
  evaluate: (name: string) => void,
): Promise<void> {
  const { config, queue } = state;
  const active = state.occupying();
  if (active.length >= config.maxConcurrentJobs) return;
  const queued = await queue.listQueued(config.dispatchBatch);
  const candidates: (JobToDispatch & { gpu: number; resolved: ResourceRequest })[] = [];
  for (const q of queued) {
    let resolved: ResourceRequest;
    try {
      resolved = resolveResources(q, config);
    } catch (err) {
      await queue.fail(q.id, `invalid resource request: ${describeError(err)}`);
      continue;
    }
    if (!config.queueName && resolved.gpu > config.maxGpusPerProject) {
      // Never taken, so no Job exists: it fails at once.
      await queue.fail(
        q.id,
        `requests ${resolved.gpu} GPUs, more than the per-project quota of ${config.maxGpusPerProject}`,
      );
      continue;
    }
    candidates.push({ ...q, gpu: resolved.gpu, resolved });
  }
  const usage = active.map((t) => ({ projectId: t.projectId, gpu: t.resources.gpu }));
  // With Kueue the ClusterQueue's quota decides who runs; ours only caps the Jobs alive.
  const limits = config.queueName
    ? { ...config, maxJobsPerProject: Infinity, maxGpusPerProject: Infinity }
    : config;
  for (const c of admit(candidates, usage, limits)) {
    if (!state.running) return;
    await launch(state, c, c.resolved, evaluate);
  }
}

async function launch(
  state: ExecutorState,
  job: JobToDispatch,
  resources: ResourceRequest,
  evaluate: (name: string) => void,
): Promise<void> {
  const { config, queue } = state;
  let manifest;
  try {
    manifest = buildJobManifest(job, config);
  } catch (err) {
    // A placement this executor may not serve (namespace no longer allowed): never taken.
    await queue.fail(job.id, `cannot build the Kubernetes Job: ${describeError(err)}`);
    return;
  }
  const name = manifest.metadata.name;
  const namespace = manifest.metadata.namespace;
  if (!(await queue.claim(job, name))) return;
  // Tracked before the create call: the watch may report the Job before the call returns.
  state.track({ ...job, externalId: name, status: 'queued' }, name, resources);
  try {
    await state.batch.createNamespacedJob({
      namespace,
      body: manifest as V1Job,
    });
  } catch (err) {
    // 409: this attempt's Job exists (created just before a crash): adopt it.
    const code = apiStatus(err);
    if (code !== 409) {
      state.tracked.delete(name);
      const reason = `Kubernetes refused Job ${name}: ${describeError(err)}`;
      state.serial(job.id, () =>
        code === 400 || code === 422 ? queue.fail(job.id, reason) : queue.requeue(job.id, reason),
      );
      return;
    }
  }
  state.event(
    job.id,
    'info',
    `created Kubernetes Job ${namespace}/${name}${manifest.spec.completionMode === 'Indexed' ? ` (Indexed, ${manifest.spec.completions} pods)` : ''} (cpu ${resources.cpu}, memory ${resources.memory}, gpu ${resources.gpu})`,
  );
  evaluate(name);
}
