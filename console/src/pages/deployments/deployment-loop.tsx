// Profile -> simulate -> tune -> apply from the page (docs/serving.md): start a profile and a
// tune (their jobs are linked and followed), the newest profile as a chart, the newest tuning's
// chosen config with the p99 it promises against the SLO and its cost, and Apply.
import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client';
import {
  deploymentsApi,
  type Deployment,
  type DeploymentProfile,
  type LoopJob,
  type TuneResult,
} from '../../api/deployments';
import { EChart } from '../../charts/echart';
import { profileOption, tuningOption } from '../../charts/options/serving';
import { Field, FormErrors } from '../../components/field';
import { ProgressBar } from '../../components/progress';
import { batchSizesOf, fmtMs, problemsByField, typed } from './deployment-view';

const ACTIVE = ['queued', 'running'];

function useSubmit(start: () => Promise<unknown>, after: () => void) {
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await start();
      after();
    } catch (err) {
      setErrors(
        err instanceof ApiError
          ? problemsByField(err.problem.errors, err.message)
          : { '': [String(err)] },
      );
    } finally {
      setBusy(false);
    }
  }
  return { errors, busy, submit };
}

function ProfileForm({ d, onStarted }: { d: Deployment; onStarted: () => void }) {
  const [sizes, setSizes] = useState('1, 2, 4, 8, 16');
  const [seconds, setSeconds] = useState('20');
  const { errors, busy, submit } = useSubmit(
    () =>
      deploymentsApi.startProfile(d.id, {
        batchSizes: batchSizesOf(sizes),
        maxSecondsPerSize: typed(seconds),
      }),
    onStarted,
  );
  return (
    <form onSubmit={submit} noValidate aria-label="Profile" className="form">
      <FormErrors errors={errors['']} />
      <Field
        label="Batch sizes"
        errors={errors.batchSizes}
        hint="the tuner picks maxSize among them"
      >
        {(id, desc) => (
          <input
            id={id}
            aria-describedby={desc}
            value={sizes}
            onChange={(e) => setSizes(e.target.value)}
          />
        )}
      </Field>
      <Field label="Seconds per size (max)" errors={errors.maxSecondsPerSize}>
        {(id, desc) => (
          <input
            id={id}
            aria-describedby={desc}
            inputMode="decimal"
            value={seconds}
            onChange={(e) => setSeconds(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" disabled={busy}>
        {busy ? 'Starting…' : 'Start profile'}
      </button>
    </form>
  );
}

function TuneForm({
  d,
  profile,
  onStarted,
}: {
  d: Deployment;
  profile: DeploymentProfile | null;
  onStarted: () => void;
}) {
  const suggested = profile?.capacityPerInstanceRps
    ? String(Math.round(profile.capacityPerInstanceRps * 0.5))
    : '50';
  const [rate, setRate] = useState('');
  const [p99, setP99] = useState('50');
  const [drops, setDrops] = useState('0.001');
  const [maxInstances, setMaxInstances] = useState('4');
  const { errors, busy, submit } = useSubmit(
    () =>
      deploymentsApi.startTune(d.id, {
        traffic: { model: 'poisson', rateRps: typed(rate || suggested) },
        slo: { p99Ms: typed(p99), maxDropRate: typed(drops) },
        maxInstances: typed(maxInstances),
      }),
    onStarted,
  );
  return (
    <form onSubmit={submit} noValidate aria-label="Tune" className="form">
      <FormErrors errors={errors['']} />
      <Field
        label="Arrival rate (req/s)"
        errors={errors['traffic.rateRps'] ?? errors.traffic}
        hint={`Poisson; default ${suggested}`}
      >
        {(id, desc) => (
          <input
            id={id}
            aria-describedby={desc}
            inputMode="decimal"
            placeholder={suggested}
            value={rate}
            onChange={(e) => setRate(e.target.value)}
          />
        )}
      </Field>
      <Field label="SLO p99 (ms)" errors={errors['slo.p99Ms']}>
        {(id, desc) => (
          <input
            id={id}
            aria-describedby={desc}
            inputMode="decimal"
            value={p99}
            onChange={(e) => setP99(e.target.value)}
          />
        )}
      </Field>
      <Field label="Max drop rate" errors={errors['slo.maxDropRate']} hint="0 to 1">
        {(id, desc) => (
          <input
            id={id}
            aria-describedby={desc}
            inputMode="decimal"
            value={drops}
            onChange={(e) => setDrops(e.target.value)}
          />
        )}
      </Field>
      <Field label="Max instances" errors={errors.maxInstances} hint="1 to 64">
        {(id, desc) => (
          <input
            id={id}
            aria-describedby={desc}
            inputMode="numeric"
            value={maxInstances}
            onChange={(e) => setMaxInstances(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" disabled={busy || !profile}>
        {busy ? 'Starting…' : 'Start tuning'}
      </button>
      {!profile && <p className="muted">Tuning needs a profile first.</p>}
    </form>
  );
}

function JobsTable({ jobs }: { jobs: LoopJob[] }) {
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

function ProfileView({ p }: { p: DeploymentProfile }) {
  const option = useMemo(() => profileOption(p.rows), [p.rows]);
  return (
    <>
      <p>
        Profile <Link to={`/jobs/${p.id}`}>{p.id.slice(0, 8)}</Link> on {p.backend},{' '}
        {new Date(p.createdAt).toLocaleString()}: one instance sustains up to{' '}
        {Math.round(p.capacityPerInstanceRps)} req/s
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

function TuneView({ d, job, canWrite }: { d: Deployment; job: LoopJob; canWrite: boolean }) {
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
      client.setQueryData(['deployment', d.id], next);
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

export function LoopPanel({ d, canWrite }: { d: Deployment; canWrite: boolean }) {
  const client = useQueryClient();
  const jobs = useQuery({
    queryKey: ['deployment', d.id, 'jobs'],
    queryFn: ({ signal }) => deploymentsApi.jobs(d.id, signal),
    refetchInterval: (q) =>
      q.state.data?.items.some((j) => ACTIVE.includes(j.status)) ? 1_500 : 10_000,
  });
  const items = jobs.data?.items ?? [];
  const lastProfile = items.find(
    (j) => j.kind === 'deployment-profile' && j.status === 'succeeded',
  );
  const lastTune = items.find(
    (j) => j.kind === 'deployment-tune' && j.status === 'succeeded' && j.result,
  );
  const profile = useQuery({
    queryKey: ['deployment', d.id, 'profile', lastProfile?.id ?? null],
    queryFn: ({ signal }) => deploymentsApi.profile(d.id, signal),
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ['deployment', d.id, 'jobs'] });
  return (
    <>
      <div className="panels">
        <section className="panel" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <p className="muted">
            Measures the service time per batch size on this host, for the simulator.
          </p>
          {canWrite ? (
            <ProfileForm d={d} onStarted={refresh} />
          ) : (
            <p>Profiling needs a member or admin key.</p>
          )}
        </section>
        <section className="panel" aria-labelledby="tune-title">
          <h2 id="tune-title">Tune</h2>
          <p className="muted">Finds the cheapest config meeting the SLO by simulation.</p>
          {canWrite ? (
            <TuneForm d={d} profile={profile.data ?? null} onStarted={refresh} />
          ) : (
            <p>Tuning needs a member or admin key.</p>
          )}
        </section>
      </div>
      <h2>Jobs</h2>
      {jobs.error && <p role="alert">{jobs.error.message}</p>}
      <JobsTable jobs={items} />
      <h2>Latest profile</h2>
      {profile.error && <p role="alert">{profile.error.message}</p>}
      {profile.data ? <ProfileView p={profile.data} /> : <p className="muted">Not profiled yet.</p>}
      <h2>Latest tuning</h2>
      {lastTune ? (
        <TuneView d={d} job={lastTune} canWrite={canWrite} />
      ) : (
        <p className="muted">Not tuned yet.</p>
      )}
    </>
  );
}
