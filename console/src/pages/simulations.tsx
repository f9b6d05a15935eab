import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { getJson, query } from '../api/client';
import type { Job, Page } from '../api/types';
import { useSession } from '../auth/session';
import { ProgressBar } from '../components/progress';
import { PipelineEditor } from './simulations-editor';

function JobTable({
  kind,
  title,
  base,
}: {
  kind: 'simulate' | 'tune';
  title: string;
  base: string;
}) {
  const jobs = useQuery({
    queryKey: ['jobs', kind],
    queryFn: ({ signal }) => getJson<Page<Job>>(`/v1/jobs${query({ kind, limit: 50 })}`, signal),
    refetchInterval: 5_000,
  });
  return (
    <section aria-labelledby={`${kind}-title`}>
      <h2 id={`${kind}-title`}>{title}</h2>
      {jobs.error && <p role="alert">{jobs.error.message}</p>}
      {jobs.data?.total === 0 && <p>None yet.</p>}
      {jobs.data && jobs.data.total > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Pipeline</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.items.map((j) => (
              <tr key={j.id}>
                <td>
                  <Link to={`${base}/${j.id}`}>{j.id.slice(0, 8)}</Link>
                </td>
                <td>{pipelineName(j.spec)}</td>
                <td className={`status status-${j.status}`}>{j.status}</td>
                <td>
                  <ProgressBar
                    value={j.progress}
                    label={`progress of ${kind} ${j.id.slice(0, 8)}`}
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

function pipelineName(spec: Record<string, unknown> | undefined): string {
  const p = spec?.pipeline as { name?: unknown } | undefined;
  return typeof p?.name === 'string' ? p.name : '';
}

/** Simulations and tunings (jobs of kinds `simulate` and `tune`) and the pipeline editor. */
export default function SimulationsPage() {
  const { canWrite } = useSession();
  return (
    <section>
      <h1>Simulator and tuning</h1>
      <JobTable kind="simulate" title="Simulations" base="/simulations" />
      <JobTable kind="tune" title="Tunings" base="/simulations/tunings" />
      {canWrite ? (
        <PipelineEditor />
      ) : (
        // The server refuses every POST of a viewer key, validation included (docs/security.md).
        <p>The pipeline editor needs a member or admin key.</p>
      )}
    </section>
  );
}
