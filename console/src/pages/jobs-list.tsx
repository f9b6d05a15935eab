import { useCallback, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, query } from '../api/client';
import { useEventStream } from '../api/events';
import { JOB_STATUSES, type Job, type LiveEvent, type Page } from '../api/types';
import { JobsTable } from '../components/jobs-table';
import { Pager } from '../components/pager';

const PAGE = 50;

export function JobsListPage() {
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  // A study or NAS run starts a child job per trial: by default the list shows what was
  // submitted, not hundreds of trials. Filtering by kind (nas-trial, say) shows children anyway.
  const [withChildren, setWithChildren] = useState(false);
  const topLevel = !withChildren && !kind ? 'true' : undefined;
  const jobs = useQuery({
    queryKey: ['jobs', kind, status, offset, topLevel],
    queryFn: ({ signal }) =>
      getJson<Page<Job>>(
        `/v1/jobs${query({ kind, status, topLevel, limit: PAGE, offset })}`,
        signal,
      ),
  });
  const client = useQueryClient();
  // Live: progress and status changes patch the rows shown; a job not on the page (a new one,
  // or one that now matches the status filter) refetches the page.
  const onEvent = useCallback(
    (raw: { data: string }) => {
      const e = JSON.parse(raw.data) as LiveEvent;
      if (e.type !== 'progress' && e.type !== 'status') return;
      const key = ['jobs', kind, status, offset, topLevel];
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
    [client, kind, status, offset, topLevel],
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
            {JOB_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={withChildren || kind !== ''}
            disabled={kind !== ''}
            onChange={(e) => (setWithChildren(e.target.checked), setOffset(0))}
          />{' '}
          Include child jobs (the trials of studies and searches)
        </label>
      </form>
      {jobs.error && <p role="alert">{String(jobs.error.message)}</p>}
      <JobsTable jobs={jobs.data?.items ?? []} label="Jobs" />
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
