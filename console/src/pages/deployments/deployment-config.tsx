// Scale instances and change batching and queue limits (PATCH): only what changed is sent; the
// server's validation problems are shown beside their fields.
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client';
import { deploymentsApi, type Deployment } from '../../api/deployments';
import { Field, FormErrors } from '../../components/field';
import { configForm, patchBody, problemsByField, type ConfigForm } from './deployment-view';
import { storeDeployment } from './deployment-cache';

const FIELDS: { key: keyof ConfigForm; label: string; field: string; hint: string }[] = [
  { key: 'instances', label: 'Instances', field: 'instances', hint: '1 to 64' },
  { key: 'maxSize', label: 'Max batch size', field: 'batch.maxSize', hint: '1 to 1024' },
  {
    key: 'maxDelayMs',
    label: 'Max batch delay (ms)',
    field: 'batch.maxDelayMs',
    hint: '0 to 60000',
  },
  {
    key: 'capacity',
    label: 'Queue capacity',
    field: 'queue.capacity',
    hint: 'waiting requests; one more is a 429',
  },
  { key: 'timeoutMs', label: 'Queue timeout (ms)', field: 'queue.timeoutMs', hint: 'then a 503' },
];

export function ConfigPanel({ d, canWrite }: { d: Deployment; canWrite: boolean }) {
  const client = useQueryClient();
  const [form, setForm] = useState<ConfigForm>(() => configForm(d));
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  // A change from elsewhere (apply, another user) resets the form, not the user's typing.
  useEffect(() => setForm(configForm(d)), [d.generation]);
  const body = patchBody(d, form);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!body) return;
    setBusy(true);
    setErrors({});
    setNote('');
    try {
      const next = await deploymentsApi.update(d.id, body);
      storeDeployment(client, next);
      setNote(`Applied: generation ${next.generation}; waiting and running requests were kept.`);
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
  return (
    <form onSubmit={submit} noValidate aria-label="Scale and batching" className="form">
      <h2>Scale and batching</h2>
      <FormErrors errors={errors['']} />
      {FIELDS.map((f) => (
        <Field key={f.key} label={f.label} errors={errors[f.field]} hint={f.hint}>
          {(id, desc) => (
            <input
              id={id}
              aria-describedby={desc}
              inputMode="decimal"
              value={form[f.key]}
              readOnly={!canWrite}
              onChange={(e) => setForm((s) => ({ ...s, [f.key]: e.target.value }))}
            />
          )}
        </Field>
      ))}
      {canWrite ? (
        <div className="actions">
          <button type="submit" disabled={busy || !body}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
          <button
            type="button"
            disabled={busy || !body}
            onClick={() => (setForm(configForm(d)), setErrors({}))}
          >
            Reset
          </button>
        </div>
      ) : (
        <p>Your key is read-only: it cannot scale or change batching.</p>
      )}
      {note && (
        <p role="status" className="ok-note">
          {note}
        </p>
      )}
    </form>
  );
}
