import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { query, request } from '../api/client';
import { FIRST_TRIALS_PAGE, trialsQuery, type TrialSort as Sort } from '../api/study-queries';
import { Pager } from '../components/pager';
import { TableScroll } from '../components/table-scroll';

const PAGE_SIZES = [10, 25, 100];

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : String(v);

/**
 * Trials sorted, filtered and paginated by the server (GET .../trials/page); CSV via the API.
 * The page refreshes it (invalidates ['study-trials', id]) when trials start or finish.
 */
export function TrialsTable({ studyId, params }: { studyId: string; params: string[] }) {
  const [sort, setSort] = useState<Sort>(FIRST_TRIALS_PAGE.sort);
  const [order, setOrder] = useState(FIRST_TRIALS_PAGE.order);
  const [filter, setFilter] = useState(FIRST_TRIALS_PAGE.filter);
  const [draft, setDraft] = useState('');
  const [offset, setOffset] = useState(FIRST_TRIALS_PAGE.offset);
  const [pageSize, setPageSize] = useState(FIRST_TRIALS_PAGE.limit);
  const page = useQuery({
    ...trialsQuery(studyId, { sort, order, filter, limit: pageSize, offset }),
    placeholderData: keepPreviousData,
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
      <TableScroll label="Trials, scrolls sideways">
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
      </TableScroll>
      {/* The range from the page shown (not the one asked for): the text matches the rows. */}
      <Pager
        label="Pages of trials"
        offset={page.data?.offset ?? offset}
        pageSize={pageSize}
        page={page.data}
        empty="no trials"
        onOffset={setOffset}
        rangeTestId="trials-range"
      />
    </section>
  );
}
