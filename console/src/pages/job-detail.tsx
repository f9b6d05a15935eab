// One job, live: status and progress from the event stream (replayed from the start, then
// followed), logs as they come, cancel/retry for keys that may write, attempts, spec, result,
// artifacts with previews and metrics as line charts.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, query } from '../api/client';
import { useEventStream } from '../api/events';
import {
  isFinished,
  type Artifact,
  type Job,
  type JobEvent,
  type LiveEvent,
  type MetricPoint,
  type Page,
} from '../api/types';
import { EChart } from '../charts/echart';
import { metricLinesOption, seriesByName, splitSingleSteps } from '../charts/options/metric-lines';
import { ArtifactPreview } from '../components/artifact-preview';
import { JobActions } from '../components/job-actions';
import { ProgressBar } from '../components/progress';
import { JobsTable } from '../components/jobs-table';
import { Pager } from '../components/pager';
import { kindPage } from '../lib/kind-page';

const MAX_LOG_LINES = 2000;
const CHILD_PAGE = 25;

export default function JobDetailPage() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: ({ signal }) => getJson<Job>(`/v1/jobs/${id}`, signal),
  });
  const metrics = useQuery({
    queryKey: ['job', id, 'metrics'],
    queryFn: ({ signal }) => getJson<MetricPoint[]>(`/v1/jobs/${id}/metrics`, signal),
  });
  // A study driver's trials, a NAS run's candidates, a federation's site jobs.
  const [childOffset, setChildOffset] = useState(0);
  const children = useQuery({
    queryKey: ['job', id, 'children', childOffset],
    queryFn: ({ signal }) =>
      getJson<Page<Job>>(
        `/v1/jobs${query({ parent: id, limit: CHILD_PAGE, offset: childOffset })}`,
        signal,
      ),
  });
  const artifacts = useQuery({
    queryKey: ['job', id, 'artifacts'],
    queryFn: ({ signal }) => getJson<Artifact[]>(`/v1/jobs/${id}/artifacts`, signal),
  });
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [live, setLive] = useState<{ progress?: number; message?: string | null }>({});
  const [points, setPoints] = useState<MetricPoint[]>([]);

  const onEvent = useCallback(
    (raw: { event: string; data: string }) => {
      const e = JSON.parse(raw.data) as LiveEvent;
      if (e.type === 'status' || e.type === 'log') {
        setEvents((prev) =>
          prev.some((p) => p.id === e.id)
            ? prev
            : [...prev, { ...e, type: e.type }].slice(-MAX_LOG_LINES),
        );
        if (e.type === 'status') {
          void client.invalidateQueries({ queryKey: ['job', id] });
        }
      } else if (e.type === 'progress') {
        setLive({ progress: e.progress, message: e.message });
      } else if (e.type === 'metric') {
        setPoints((prev) => [...prev, { name: e.name, step: e.step, value: e.value }]);
      }
    },
    [client, id],
  );
  // '0' replays every stored status change and log line of the job, then follows new ones.
  useEventStream(id ? `/v1/events/stream?job=${encodeURIComponent(id)}` : null, onEvent, '0');

  // Artifacts and metrics are complete once the job is: read them again when its status moves.
  const status = job.data?.status;
  useEffect(() => {
    if (!status) return;
    void client.invalidateQueries({ queryKey: ['job', id, 'artifacts'] });
    void client.invalidateQueries({ queryKey: ['job', id, 'metrics'] });
    void client.invalidateQueries({ queryKey: ['job', id, 'children'] });
  }, [client, id, status]);

  const { curves: charts, values } = useMemo(
    () => splitSingleSteps(seriesByName([...(metrics.data ?? []), ...points])),
    [metrics.data, points],
  );

  if (job.error) return <p role="alert">{job.error.message}</p>;
  const j = job.data;
  if (!j) return <p aria-busy="true">Loading…</p>;
  const finished = isFinished(j.status);
  const progress = finished ? j.progress : Math.max(j.progress, live.progress ?? 0);
  const logs = events.filter((e) => e.type === 'log');
  const ownPage = kindPage(j.kind, j.id);
  const statuses = events.filter((e) => e.type === 'status');
  // The stream replays in order, so once the final status has arrived every log line has too.
  const noLogLines =
    finished && logs.length === 0 && (statuses.at(-1)?.message.startsWith(j.status) ?? false);

  return (
    <article className="job">
      <p>
        <Link to="/jobs">Jobs</Link> / {j.id.slice(0, 8)}
      </p>
      <h1>
        {j.kind} job <code>{j.id}</code>
      </h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd className={`status status-${j.status}`} data-testid="job-status">
          {j.status}
        </dd>
        <dt>Progress</dt>
        <dd>
          <ProgressBar value={progress} label="job progress" />
          {live.message && !finished && <span className="muted"> {live.message}</span>}
        </dd>
        <dt>Attempts</dt>
        <dd>
          {j.attempts} of {j.maxAttempts ?? '?'}
        </dd>
        <dt>Worker</dt>
        <dd>{j.worker ?? '—'}</dd>
        {ownPage && (
          <>
            <dt>Results</dt>
            <dd>
              <Link to={ownPage.to}>{ownPage.label}</Link>
            </dd>
          </>
        )}
        {j.parentId && (
          <>
            <dt>Parent</dt>
            <dd>
              <Link to={`/jobs/${j.parentId}`}>{j.parentId.slice(0, 8)}</Link>
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{new Date(j.createdAt).toLocaleString()}</dd>
        {j.error && (
          <>
            <dt>Error</dt>
            <dd className="error">{j.error}</dd>
          </>
        )}
      </dl>
      <JobActions
        job={j}
        onChange={(changed) => {
          client.setQueryData(['job', id], changed);
          setLive({});
        }}
      />

      <section aria-labelledby="logs-h">
        <h2 id="logs-h">Logs</h2>
        {noLogLines ? (
          <p className="muted" data-testid="job-logs">
            This job wrote no log lines.
          </p>
        ) : (
          <pre className="log" tabIndex={0} aria-live="polite" data-testid="job-logs">
            {logs.map(
              (e) => `${new Date(e.time).toLocaleTimeString()} ${e.level.padEnd(5)} ${e.message}\n`,
            )}
          </pre>
        )}
      </section>

      <section aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts and status changes</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Attempt</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {statuses.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.time).toLocaleString()}</td>
                <td>{e.attempt}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {(charts.size > 0 || values.length > 0) && (
        <section aria-labelledby="metrics-h">
          <h2 id="metrics-h">Metrics</h2>
          {values.length > 0 && (
            <table aria-label="Metric values">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col">Value</th>
                  <th scope="col">Step</th>
                </tr>
              </thead>
              <tbody>
                {values.map((v) => (
                  <tr key={v.name}>
                    <td>{v.name}</td>
                    <td>{formatMetric(v.value)}</td>
                    <td>{v.step}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="charts">
            {[...charts.entries()].map(([name, data]) => (
              <EChart
                key={name}
                option={metricLinesOption(name, data)}
                label={`metric ${name} over ${data.length} steps`}
              />
            ))}
          </div>
        </section>
      )}

      {(children.data?.total ?? 0) > 0 && (
        <section aria-labelledby="children-h">
          <h2 id="children-h">Child jobs</h2>
          <JobsTable jobs={children.data!.items} label="Child jobs" parents={false} />
          <Pager
            label="Pages of child jobs"
            offset={childOffset}
            pageSize={CHILD_PAGE}
            page={children.data}
            empty=""
            onOffset={setChildOffset}
          />
        </section>
      )}

      <section aria-labelledby="spec-h">
        <h2 id="spec-h">Spec</h2>
        <pre className="code" tabIndex={0}>
          {JSON.stringify(j.spec ?? {}, null, 2)}
        </pre>
      </section>
      {j.result && (
        <section aria-labelledby="result-h">
          <h2 id="result-h">Result</h2>
          <pre className="code" tabIndex={0}>
            {JSON.stringify(j.result, null, 2)}
          </pre>
        </section>
      )}

      {(artifacts.data?.length ?? 0) > 0 && (
        <section aria-labelledby="artifacts-h">
          <h2 id="artifacts-h">Artifacts</h2>
          {artifacts.data!.map((a) => (
            <ArtifactPreview key={a.name} jobId={j.id} artifact={a} />
          ))}
        </section>
      )}
    </article>
  );
}

/** Six significant digits, without a float's noise (0.30000000000000004 is 0.3). */
function formatMetric(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}
