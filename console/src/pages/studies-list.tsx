import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { getJson, query } from '../api/client';
import type { Page } from '../api/types';
import type { StudyListItem } from '../api/studies';
import { Pager } from '../components/pager';

const PAGE = 50;

export default function StudiesListPage() {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string[]>([]);
  const navigate = useNavigate();
  const studies = useQuery({
    queryKey: ['studies', offset],
    queryFn: ({ signal }) =>
      getJson<Page<StudyListItem>>(`/v1/studies${query({ limit: PAGE, offset })}`, signal),
    refetchInterval: 10_000,
  });
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  return (
    <section>
      <h1>Studies</h1>
      {studies.error && <p role="alert">{String(studies.error.message)}</p>}
      <button
        type="button"
        disabled={selected.length < 2}
        onClick={() => navigate(`/studies/compare?ids=${selected.join(',')}`)}
      >
        Compare {selected.length} selected
      </button>
      <table>
        <thead>
          <tr>
            <th scope="col">Compare</th>
            <th scope="col">Study</th>
            <th scope="col">Status</th>
            <th scope="col">Directions</th>
            <th scope="col">Trials</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {studies.data?.items.map((s) => (
            <tr key={s.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`compare ${s.name}`}
                  checked={selected.includes(s.id)}
                  onChange={() => toggle(s.id)}
                />
              </td>
              <td>
                <Link to={`/studies/${s.id}`}>{s.name}</Link>
              </td>
              <td className={`status status-${s.status}`}>{s.status}</td>
              <td>{s.directions.join(', ')}</td>
              <td>{s.trials}</td>
              <td>{new Date(s.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {studies.data?.total === 0 && (
        <p>
          No studies yet. Start one from the command line (
          <code>autodl search run --space space.json --trials 20 -- python3 train.py</code>, see
          docs/search.md) or through the API (<code>POST /v1/studies</code>, in the{' '}
          <a href="/docs">API console</a>).
        </p>
      )}
      <Pager
        label="Pages of studies"
        offset={offset}
        pageSize={PAGE}
        page={studies.data}
        empty={studies.data ? 'no studies yet' : ''}
        onOffset={setOffset}
      />
    </section>
  );
}
