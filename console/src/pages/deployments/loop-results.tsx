// What the serving loop produced for a deployment: its profile and tune jobs, the newest profile
// (service time per batch size) and the newest tuning (chosen config, promised p99 against the
// SLO and cost) with Apply.
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import {
  deploymentsApi,
  type Deployment,
  type DeploymentProfile,
  type LoopJob,
  type TuneResult,
} from '../../api/deployments';
import { EChart } from '../../charts/echart';
import { profileOption, tuningOption } from '../../charts/options/serving';
import { ProgressBar } from '../../components/progress';
import { fmtMs } from './deployment-view';
import { storeDeployment } from './deployment-cache';

export function JobsTable({ jobs }: { jobs: LoopJob[] }) {
  if (jobs.length === 0) return <p className="muted">No profile or tune jobs yet.</p>;
  return (
    <table aria-label="Profile and tune jobs">
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id}>
            <td>
              <Link to={`/jobs/${j.id}`}>{j.id.slice(0, 8)}</Link>
            </td>
            <td>{j.kind === 'deployment-profile' ? 'profile' : 'tune'}</td>
            <td className={`status status-${j.status}`}>{j.status}</td>
            <td>
              <ProgressBar value={j.progress} label={`progress of ${j.kind} ${j.id.slice(0, 8)}`} />
            </td>
            <td>{j.error ?? j.message ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ProfileView({ p }: { p: DeploymentProfile }) {
  const option = useMemo(() => profileOption(p.rows), [p.rows]);
  return (
    <>
      <p>
        Profile <Link to={`/jobs/${p.id}`}>{p.id.slice(0, 8)}</Link> on {p.backend},{' '}
        {new Date(p.createdAt).toLocaleString()}: one instance sustains up to{' '}
        {Math.round(p.capacityPerInstanceRps)} req/s
        {p.eventLoopCapacityRps !== null
          ? `, the API's event loop ${Math.round(p.eventLoopCapacityRps)} req/s`
          : ''}
        {p.capacityRps !== null ? `, this config ${Math.round(p.capacityRps)} req/s` : ''}.
      </p>
      <EChart
        option={option}
        height={300}
        label={`Service time per batch size: ${p.rows.map((r) => `batch ${r.batchSize} p99 ${fmtMs(r.p99Ms)}`).join(', ')}`}
        testId="profile-chart"
      />
      <table aria-label="Profiled service time per batch size">
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Samples</th>
            <th scope="col">p50</th>
            <th scope="col">Mean</th>
            <th scope="col">p99 (95% CI)</th>
            <th scope="col">req/s per instance</th>
          </tr>
        </thead>
        <tbody>
          {p.rows.map((r) => (
            <tr key={r.batchSize}>
              <th scope="row">{r.batchSize}</th>
              <td>{r.samples}</td>
              <td>{fmtMs(r.p50Ms)}</td>
              <td>{fmtMs(r.meanMs)}</td>
              <td>
                {fmtMs(r.p99Ms)} ±{(r.p99RelCi * 100).toFixed(1)}%
                {r.converged ? '' : ' (not converged)'}
              </td>
              <td>{Math.round((r.batchSize / r.meanMs) * 1000)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">{p.rule}</p>
    </>
  );
}

export function TuneView({ d, job, canWrite }: { d: Deployment; job: LoopJob; canWrite: boolean }) {
  const client = useQueryClient();
  const t = job.result as TuneResult;
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const option = useMemo(
    () =>
      tuningOption({
        feasible: t.feasible.map((f) => ({
          instances: f.config.instances,
          maxSize: f.config.batch.maxSize,
          maxDelayMs: f.config.batch.maxDelayMs,
          p99Ms: f.p99Ms,
        })),
        chosen:
          t.config && t.predicted
            ? {
                instances: t.config.instances,
                maxSize: t.config.batch.maxSize,
                maxDelayMs: t.config.batch.maxDelayMs,
                p99Ms: t.predicted.p99Ms,
              }
            : null,
        sloMs: t.slo.p99Ms,
      }),
    [t],
  );
  const applied =
    t.config !== null &&
    d.instances === t.config.instances &&
    d.batch.maxSize === t.config.batch.maxSize &&
    d.batch.maxDelayMs === t.config.batch.maxDelayMs;
  async function apply() {
    setError('');
    try {
      const next = await deploymentsApi.apply(d.id, job.id);
      storeDeployment(client, next);
      setNote(`Applied at generation ${next.generation}.`);
    } catch (err) {
      setError(String((err as Error).message));
    }
  }
  return (
    <>
      <p>
        Tuning <Link to={`/jobs/${job.id}`}>{job.id.slice(0, 8)}</Link> at{' '}
        {t.traffic.rateRps ?? '?'} req/s against p99 ≤ {fmtMs(t.slo.p99Ms)} and drops ≤{' '}
        {(t.slo.maxDropRate * 100).toFixed(2)}%: {t.simulations} simulations, {t.feasible.length}{' '}
        feasible.
      </p>
      {t.config && t.predicted ? (
        <dl className="kpis" aria-label="Tuned config">
          <div>
            <dt>chosen</dt>
            <dd>
              {t.config.instances} × max {t.config.batch.maxSize}, {t.config.batch.maxDelayMs} ms
            </dd>
          </div>
          <div>
            <dt>promised p99</dt>
            <dd>{fmtMs(t.predicted.p99Ms)}</dd>
          </div>
          <div>
            <dt>promised p50</dt>
            <dd>{fmtMs(t.predicted.p50Ms)}</dd>
          </div>
          <div>
            <dt>cost</dt>
            <dd>{t.config.instances} instance(s)</dd>
          </div>
          <div>
            <dt>queue capacity</dt>
            <dd>{t.config.queue.capacity}</dd>
          </div>
        </dl>
      ) : (
        <p role="alert">No configuration met the SLO: allow more instances or relax it.</p>
      )}
      <EChart
        option={option}
        height={280}
        label={`Feasible configs, predicted p99 against instances; SLO ${t.slo.p99Ms} ms`}
        testId="tuning-chart"
      />
      {t.config && canWrite && (
        <div className="actions">
          <button type="button" onClick={() => void apply()} disabled={applied}>
            {applied ? 'Applied' : 'Apply tuned config'}
          </button>
        </div>
      )}
      {note && (
        <p role="status" className="ok-note">
          {note}
        </p>
      )}
      {error && <p role="alert">{error}</p>}
    </>
  );
}
