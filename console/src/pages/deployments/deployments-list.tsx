// Deployments (EasyDL's online APIs): every deployment of the project with its config, state
// and live rate and p99, refreshed while the page is open; a member creates one from a
// registered model.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, getJson, query } from '../../api/client';
import { deploymentsApi } from '../../api/deployments';
import type { Page } from '../../api/types';
import type { Model } from '../../api/registry-types';
import { useSession } from '../../auth/session';
import { Field, FormErrors } from '../../components/field';
import { addDeployment } from './deployment-cache';
import { fmtMs, fmtRps, problemsByField, typed } from './deployment-view';
import './deployments.css';

export const LIST_REFRESH_MS = 3_000;

function CreateForm() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [form, setForm] = useState({
    model: '',
    name: '',
    instances: '1',
    maxSize: '8',
    maxDelayMs: '2',
  });
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const models = useQuery({
    queryKey: ['models', 'all'],
    queryFn: ({ signal }) => getJson<Page<Model>>(`/v1/models${query({ limit: 200 })}`, signal),
  });
  const set = (k: keyof typeof form, v: string) => setForm((f) => ({ ...f, [k]: v }));
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const d = await deploymentsApi.create({
        model: form.model,
        ...(form.name.trim() ? { name: form.name.trim() } : {}),
        instances: typed(form.instances),
        batch: { maxSize: typed(form.maxSize), maxDelayMs: typed(form.maxDelayMs) },
      });
      await addDeployment(client, d);
      navigate(`/deployments/${d.id}`);
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
  const input =
    (k: keyof typeof form, mode: 'numeric' | 'decimal' | 'text') =>
    (id: string, d: string | undefined) => (
      <input
        id={id}
        aria-describedby={d}
        inputMode={mode}
        value={form[k]}
        onChange={(e) => set(k, e.target.value)}
      />
    );
  return (
    <form onSubmit={submit} noValidate aria-label="Deploy a model" className="form">
      <h2>Deploy a model</h2>
      <FormErrors errors={errors['']} />
      <Field label="Model" errors={errors.model}>
        {(id, d) => (
          <select
            id={id}
            aria-describedby={d}
            value={form.model}
            onChange={(e) => set('model', e.target.value)}
          >
            <option value="">choose a registered model</option>
            {models.data?.items.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.architecture}, {m.inputKind})
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Name" errors={errors.name} hint="optional; lower-case letters, digits, dashes">
        {input('name', 'text')}
      </Field>
      <Field label="Instances" errors={errors.instances} hint="1 to 64">
        {input('instances', 'numeric')}
      </Field>
      <Field label="Max batch size" errors={errors['batch.maxSize']} hint="1 to 1024">
        {input('maxSize', 'numeric')}
      </Field>
      <Field label="Max batch delay (ms)" errors={errors['batch.maxDelayMs']} hint="0 to 60000">
        {input('maxDelayMs', 'decimal')}
      </Field>
      <button type="submit" disabled={busy || !form.model}>
        {busy ? 'Deploying…' : 'Deploy'}
      </button>
    </form>
  );
}

/** The project's deployments: name, model, instances, batching, state, req/s and p99. */
export default function DeploymentsListPage() {
  const { canWrite } = useSession();
  const list = useQuery({
    queryKey: ['deployments'],
    queryFn: ({ signal }) => deploymentsApi.list(signal),
    refetchInterval: LIST_REFRESH_MS,
  });
  return (
    <section>
      <h1>Deployments</h1>
      <p className="muted">
        Registered models served behind a dynamic batcher (docs/serving.md). Rates are over the last
        ~10 s, p99 over the last 8192 requests.
      </p>
      {list.error && <p role="alert">{list.error.message}</p>}
      {list.data?.items.length === 0 && <p>No deployments yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table aria-label="Deployments">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Model</th>
              <th scope="col">Instances</th>
              <th scope="col">Batching</th>
              <th scope="col">Status</th>
              <th scope="col">req/s</th>
              <th scope="col">p99</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((d) => {
              const m = d.status.metrics;
              return (
                <tr key={d.id}>
                  <td>
                    <Link to={`/deployments/${d.id}`}>{d.name}</Link>
                  </td>
                  <td>
                    <Link to={`/models/${d.model.id}`}>{d.model.name}</Link>
                  </td>
                  <td>{m ? `${m.busyInstances} busy / ${d.instances}` : d.instances}</td>
                  <td>
                    max {d.batch.maxSize}, {d.batch.maxDelayMs} ms
                  </td>
                  <td className={`state state-${d.status.state}`}>
                    {d.status.state}
                    {d.status.error ? `: ${d.status.error}` : ''}
                  </td>
                  <td>{fmtRps(d.status.rates?.servedRps)}</td>
                  <td>{m && m.latencyMs.count > 0 ? fmtMs(m.latencyMs.p99) : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {canWrite ? <CreateForm /> : <p>Deploying a model needs a member or admin key.</p>}
    </section>
  );
}
