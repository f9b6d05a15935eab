import { once } from 'node:events';
import { JobCancelledError, JobContext } from './job-handler';

/**
 * Ends a job cancelled when its cancel was requested (`requested`, read from the queue), for a
 * handler that finds its work already finished by the canceller (a trial failed by the study's
 * or search's cancel, which asks the trial's job to cancel first): throws JobCancelledError
 * once the heartbeat has seen the request, since the platform ends a job cancelled only then.
 * Returns when no cancel was requested.
 */
export async function cancelledIfRequested(
  ctx: JobContext,
  requested: () => Promise<boolean>,
): Promise<void> {
  if (!(await requested())) return;
  if (!ctx.signal.aborted) await once(ctx.signal, 'abort');
  throw new JobCancelledError();
}
