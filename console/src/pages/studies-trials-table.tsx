import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getJson, query, request } from '../api/client';
import type { Page } from '../api/types';
import type { TrialRow } from '../api/studies';

type Sort = 'number' | 'value' | 'state' | 'duration' | 'started';
const PAGE_SIZES = [10, 25, 100];

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : String(v);

/** Trials sorted, filtered and paginated by the server (GET .../trials/page); CSV via the API. */
export function TrialsTable({
  studyId,
  params,
  live,
}: {
  studyId: string;
  params: string[];
  live: boolean;
}) {
  const [sort, setSort] = useState<Sort>('number');
  const [order, setOrder] = useState<'asc' | 'desc'>('asc');
  const [filter, setFilter] = useState('');
  const [draft, setDraft] = useState('');
  const [offset, setOffset] = useState(0);
  const [pageSize, setPageSize] = useState(25);
  const q = { sort, order, filter, limit: pageSize, offset };
  const page = useQuery({
    queryKey: ['study-trials', studyId, q],
    queryFn: ({ signal }) =>
      getJson<Page<TrialRow>>(`/v1/studies/${studyId}/trials/page${query(q)}`, signal),
    placeholderData: keepPreviousData,
    refetchInterval: live ? 5_000 : false,
  });
  const exportCsv = async () => {
    // The key travels in the Authorization header, never in a URL: fetch, then save the blob.
    const res = await request(`/v1/studies/${studyId}/trials.csv${query({ sort, order, filter })}`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `study-${studyId}-trials.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };
  const header = (key: Sort, text: string) => (
    <th
      scope="col"
      aria-sort={sort === key ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button
        type="button"
        className="link"
        onClick={() => {
          if (sort === key) setOrder(order === 'asc' ? 'desc' : 'asc');
          else setSort(key);
          setOffset(0);
        }}
      >
        {text}
      </button>
    </th>
  );
  const total = page.data?.total ?? 0;
  const shown = page.data !== undefined;
  useEffect(() => {
    if (shown && performance.getEntriesByName('studies:trials-shown').length === 0)
      performance.mark('studies:trials-shown');
  }, [shown]);
  return (
    <section aria-labelledby="trials-heading">
      <h2 id="trials-heading">Trials</h2>
      <form
        className="filters"
        aria-label="Filter trials"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setOffset(0);
        }}
      >
        <label>
          Filter{' '}
          <input
            value={draft}
            size={40}
            placeholder="state=complete; value<0.5; params.x>=1"
            onChange={(e) => setDraft(e.target.value)}
          />
        </label>
        <button type="submit">Apply</button>
        <label>
          Rows per page{' '}
          <select
            value={pageSize}
            onChange={(e) => {
              setPageSize(Number(e.target.value));
              setOffset(0);
            }}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </form>
      {page.error && <p role="alert">{String(page.error.message)}</p>}
      <table data-testid="trials-table">
        <thead>
          <tr>
            {header('number', 'Trial')}
            {header('state', 'State')}
            {header('value', 'Value')}
            {params.map((p) => (
              <th scope="col" key={p}>
                {p}
              </th>
            ))}
            {header('duration', 'Duration (s)')}
            <th scope="col">Sampler</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.items.map((t) => (
            <tr key={t.number}>
              <td>{t.number}</td>
              <td className={`status status-${t.state}`}>{t.state}</td>
              <td>{t.values ? t.values.map(fmt).join(', ') : ''}</td>
              {params.map((p) => (
                <td key={p}>{t.params[p] === undefined ? '' : fmt(t.params[p])}</td>
              ))}
              <td>{t.durationMs === null ? '' : (t.durationMs / 1000).toFixed(1)}</td>
              <td>{t.sampler ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav aria-label="Pages of trials" className="pager">
        <button
          type="button"
          disabled={offset === 0}
          onClick={() => setOffset(Math.max(0, offset - pageSize))}
        >
          Previous
        </button>
        <span data-testid="trials-range">
          {/* From the page shown (not the one asked for), so the text matches the rows. */}
          {page.data && total
            ? `${page.data.offset + 1}–${page.data.offset + page.data.items.length} of ${total}`
            : 'no trials'}
        </span>
        <button
          type="button"
          disabled={offset + pageSize >= total}
          onClick={() => setOffset(offset + pageSize)}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
