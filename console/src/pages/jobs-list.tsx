import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, query } from '../api/client';
import { useEventStream } from '../api/events';
import type { Job, JobStatus, LiveEvent, Page } from '../api/types';
import { ProgressBar } from '../components/progress';
import { Pager } from '../components/pager';

const STATUSES: JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const PAGE = 50;

export function JobsListPage() {
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const jobs = useQuery({
    queryKey: ['jobs', kind, status, offset],
    queryFn: ({ signal }) =>
      getJson<Page<Job>>(`/v1/jobs${query({ kind, status, limit: PAGE, offset })}`, signal),
  });
  const client = useQueryClient();
  // Live: progress and status changes patch the rows shown; a job not on the page (a new one,
  // or one that now matches the status filter) refetches the page.
  const onEvent = useCallback(
    (raw: { data: string }) => {
      const e = JSON.parse(raw.data) as LiveEvent;
      if (e.type !== 'progress' && e.type !== 'status') return;
      const key = ['jobs', kind, status, offset];
      const page = client.getQueryData<Page<Job>>(key);
      const row = page?.items.find((j) => j.id === e.jobId);
      if (!page || !row || (e.type === 'status' && status && e.jobStatus !== status)) {
        if (e.type === 'status') void client.invalidateQueries({ queryKey: ['jobs'] });
        return;
      }
      const patch: Partial<Job> =
        e.type === 'progress'
          ? { progress: e.progress }
          : { status: e.jobStatus, progress: e.progress, attempts: e.attempt };
      client.setQueryData<Page<Job>>(key, {
        ...page,
        items: page.items.map((j) => (j.id === e.jobId ? { ...j, ...patch } : j)),
      });
    },
    [client, kind, status, offset],
  );
  useEventStream(`/v1/events/stream${query({ kind })}`, onEvent);

  return (
    <section>
      <h1>Jobs</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter jobs">
        <label>
          Kind <input value={kind} onChange={(e) => (setKind(e.target.value), setOffset(0))} />
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => (setStatus(e.target.value), setOffset(0))}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </form>
      {jobs.error && <p role="alert">{String(jobs.error.message)}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {jobs.data?.items.map((j) => (
            <tr key={j.id}>
              <td>
                <Link to={`/jobs/${j.id}`}>{j.id.slice(0, 8)}</Link>
              </td>
              <td>{j.kind}</td>
              <td className={`status status-${j.status}`}>{j.status}</td>
              <td>
                <ProgressBar value={j.progress} label={`progress of job ${j.id.slice(0, 8)}`} />
              </td>
              <td>{new Date(j.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {jobs.data && (
        <Pager
          label="Pages"
          offset={offset}
          pageSize={PAGE}
          page={jobs.data}
          empty="no jobs"
          onOffset={setOffset}
        />
      )}
    </section>
  );
}
