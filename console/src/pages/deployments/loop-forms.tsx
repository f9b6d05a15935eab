// The forms that start a deployment's profile and tuning jobs; the server's field problems are
// shown beside their fields (a 409 such as "no profile yet" at the form's top).
import { useState } from 'react';
import type { FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { deploymentsApi, type Deployment, type DeploymentProfile } from '../../api/deployments';
import { Field, FormErrors } from '../../components/field';
import { batchSizesOf, problemsByField, typed } from './deployment-view';

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

export function ProfileForm({ d, onStarted }: { d: Deployment; onStarted: () => void }) {
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

export function TuneForm({
  d,
  profile,
  onStarted,
}: {
  d: Deployment;
  profile: DeploymentProfile | null;
  onStarted: () => void;
}) {
  // Half of what one instance serves through the API: the event loop caps a small model's.
  const oneInstance = profile
    ? Math.min(profile.capacityPerInstanceRps, profile.eventLoopCapacityRps ?? Infinity)
    : 0;
  const suggested = oneInstance > 0 ? String(Math.round(oneInstance * 0.5)) : '50';
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
