/**
 * `node dist/worker.js run-index <jobId>`: one pod of an Indexed Job (multi-pod work, e.g. the
 * sites of one federation round in one namespace). The pods of such a job share its row, so
 * none claims it (the Kubernetes executor finishes the row from the Job's status: Complete ->
 * succeeded, Failed -> failed with the failed indexes). Each pod runs the job's handler for its
 * part (the handler reads JOB_COMPLETION_INDEX through its configuration) with a context that
 * writes nothing to the row: its log lines go to stdout, which the executor streams into the
 * job's events; progress, metrics and checkpoints belong to the row's owner and are dropped.
 * The handler's own tables carry its results (a site's answer is a site-work item).
 */
import type { JobContext, JobHandler } from './job-handler';

export interface IndexedRow {
  id: string;
  projectId: string;
  kind: string;
  spec: unknown;
  status: string;
}

export class IndexedPodError extends Error {}

export async function runIndexedPod(
  row: IndexedRow | null,
  handlerOf: (kind: string) => JobHandler,
  write: (line: string) => void,
  signal: AbortSignal,
  readArtifact: (jobId: string, name: string) => Promise<Buffer>,
): Promise<unknown> {
  if (!row) throw new IndexedPodError('no such job');
  if (row.status !== 'queued' && row.status !== 'running')
    throw new IndexedPodError(`job ${row.id} is ${row.status}: nothing to run`);
  const handler = handlerOf(row.kind);
  const spec = handler.validate(row.spec);
  const refuse = (what: string) => () =>
    Promise.reject(new IndexedPodError(`${what} is the row owner's, not an Indexed pod's`));
  const ctx: JobContext = {
    jobId: row.id,
    projectId: row.projectId,
    attempt: 1,
    resumeFrom: undefined,
    progress: async () => undefined,
    metric: async () => undefined,
    checkpoint: async () => undefined,
    log: async (message, level = 'info') => write(`${level}: ${message}`),
    artifact: refuse('storing an artifact'),
    readArtifact,
    get cancelled() {
      return signal.aborted;
    },
    signal,
  };
  return handler.run(spec, ctx);
}
