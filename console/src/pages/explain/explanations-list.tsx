// Explanations are jobs of kind `explain` (LIME) and `normlime`: listed from GET /v1/jobs.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { getJson, query } from '../../api/client';
import { isFinished, type Job, type Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { ProgressBar } from '../../components/progress';

async function listExplanations(signal: AbortSignal): Promise<Job[]> {
  const [lime, norm] = await Promise.all(
    ['explain', 'normlime'].map((kind) =>
      getJson<Page<Job>>(`/v1/jobs${query({ kind, limit: 100 })}`, signal),
    ),
  );
  return [...lime.items, ...norm.items].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export default function ExplanationsListPage() {
  const { canWrite } = useSession();
  const q = useQuery({
    queryKey: ['explanations'],
    queryFn: ({ signal }) => listExplanations(signal),
    refetchInterval: (query) =>
      query.state.data?.some((j) => !isFinished(j.status)) ? 3_000 : false,
  });
  return (
    <section>
      <h1>Explanations</h1>
      <p>
        LIME and NormLIME explanations of registered models (start one here, with{' '}
        <code>POST /v1/explanations</code> or <code>autodl explain</code>). Suspected mislabels are
        on the page of a fine-tune run with training dynamics recorded.
      </p>
      {canWrite && (
        <p>
          <Link to="/explanations/new">New explanation</Link>
        </p>
      )}
      {q.error && <p role="alert">{q.error.message}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Explanation</th>
            <th scope="col">Method</th>
            <th scope="col">Model</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {q.data?.map((j) => (
            <tr key={j.id}>
              <td>
                <Link to={`/explanations/${j.id}`}>{j.id.slice(0, 8)}</Link>
              </td>
              <td>{j.kind === 'explain' ? 'LIME' : 'NormLIME'}</td>
              <td>{String(j.spec?.model ?? '')}</td>
              <td className={`status status-${j.status}`}>{j.status}</td>
              <td>
                <ProgressBar
                  value={j.progress}
                  label={`progress of explanation ${j.id.slice(0, 8)}`}
                />
              </td>
              <td>{new Date(j.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {q.data?.length === 0 && <p>No explanations yet.</p>}
    </section>
  );
}
