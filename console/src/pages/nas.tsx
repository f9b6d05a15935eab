import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { getJson, query } from '../api/client';
import type { Job, Page } from '../api/types';
import { ProgressBar } from '../components/progress';

/** Architecture searches (jobs of kind `nas`). */
export default function NasListPage() {
  const jobs = useQuery({
    queryKey: ['jobs', 'nas'],
    queryFn: ({ signal }) =>
      getJson<Page<Job>>(`/v1/jobs${query({ kind: 'nas', limit: 50 })}`, signal),
    refetchInterval: 5_000,
  });
  return (
    <section>
      <h1>Architecture search</h1>
      {jobs.error && <p role="alert">{jobs.error.message}</p>}
      {jobs.data?.total === 0 && <p>No searches yet (POST /v1/nas or `autodl nas run`).</p>}
      {jobs.data && jobs.data.total > 0 && (
        <table aria-label="Architecture searches">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Data set</th>
              <th scope="col">Space</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.items.map((j) => (
              <tr key={j.id}>
                <td>
                  <Link to={`/nas/${j.id}`}>{j.id.slice(0, 8)}</Link>
                </td>
                <td>{String(j.spec?.dataset ?? '')}</td>
                <td>{spaceName(j.spec?.space)}</td>
                <td className={`status status-${j.status}`}>{j.status}</td>
                <td>
                  <ProgressBar
                    value={j.progress}
                    label={`progress of search ${j.id.slice(0, 8)}`}
                  />
                </td>
                <td>{new Date(j.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function spaceName(space: unknown): string {
  if (typeof space === 'string') return space;
  const t = (space as { type?: unknown } | undefined)?.type;
  return typeof t === 'string' ? t : '';
}
