// Cancel a job that has not finished, retry one that failed or was cancelled: on the job page and
// on every kind's own page (a federation, an architecture search, a fine-tune, an explanation, a
// simulation or tuning), so a user watching a run can stop it where they watch it. Only for keys
// that may write.
import { useMutation } from '@tanstack/react-query';
import { postJson } from '../api/client';
import { isFinished, type Job, type JobStatus } from '../api/types';
import { useSession } from '../auth/session';

export function JobActions({
  job,
  noun = 'job',
  retryHint,
  onChange,
}: {
  job: { id: string; status: JobStatus };
  /** What the buttons name: "Cancel federation", "Retry search". */
  noun?: string;
  /** What a retry does for this kind, beside its button (a federation resumes at its checkpoint). */
  retryHint?: string;
  /** The job as the server answers the action; the page refreshes what it shows from it. */
  onChange: (job: Job) => void;
}) {
  const { canWrite } = useSession();
  const act = useMutation({
    mutationFn: (action: 'cancel' | 'retry') => postJson<Job>(`/v1/jobs/${job.id}/${action}`),
    onSuccess: onChange,
  });
  if (!canWrite) return null;
  const retriable = job.status === 'failed' || job.status === 'cancelled';
  if (isFinished(job.status) && !retriable) return null;
  return (
    <div className="actions">
      {!isFinished(job.status) && (
        <button type="button" onClick={() => act.mutate('cancel')} disabled={act.isPending}>
          Cancel {noun}
        </button>
      )}
      {retriable && (
        <button type="button" onClick={() => act.mutate('retry')} disabled={act.isPending}>
          Retry {noun}
        </button>
      )}
      {retriable && retryHint && <span className="hint"> {retryHint}</span>}
      {act.error && <p role="alert">{act.error.message}</p>}
    </div>
  );
}
