import { Link } from 'react-router';
import type { Job } from '../api/types';
import { ProgressBar } from './progress';

/**
 * Jobs as the jobs list and a job's child jobs show them: id, kind, status, progress, parent
 * (when any row has one, unless `parents` is false: a job's own children share it), created.
 */
export function JobsTable({
  jobs,
  label,
  parents = true,
}: {
  jobs: readonly Job[];
  label: string;
  parents?: boolean;
}) {
  const withParent = parents && jobs.some((j) => j.parentId);
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          {withParent && <th scope="col">Parent</th>}
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id}>
            <td>
              <Link to={`/jobs/${j.id}`}>{j.id.slice(0, 8)}</Link>
            </td>
            <td>{j.kind}</td>
            <td className={`status status-${j.status}`}>{j.status}</td>
            <td>
              <ProgressBar value={j.progress} label={`progress of job ${j.id.slice(0, 8)}`} />
            </td>
            {withParent && (
              <td>
                {j.parentId ? (
                  <Link to={`/jobs/${j.parentId}`}>{j.parentId.slice(0, 8)}</Link>
                ) : (
                  '—'
                )}
              </td>
            )}
            <td>{new Date(j.createdAt).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
