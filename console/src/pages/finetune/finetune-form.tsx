// The EasyDL flow as a form: base model, target data set, transfer method, epochs, augmentation;
// the server validates (its 400/422 field problems are shown next to the fields) and queues a
// finetune job, whose page shows the live training curves.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { ApiError, getJson, postJson, query } from '../../api/client';
import type { Job, Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { Field, FormErrors } from '../../components/field';
import {
  AUGMENTATIONS,
  fieldErrors,
  finetuneBody,
  initialForm,
  METHODS,
  type FinetuneForm,
} from './finetune-body';

interface Named {
  id: string;
  name: string;
  kind?: string;
  inputKind?: string;
  architecture?: string;
}

export default function FinetunePage() {
  const { canWrite } = useSession();
  const navigate = useNavigate();
  const [form, setForm] = useState<FinetuneForm>(initialForm);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const models = useQuery({
    queryKey: ['models', 'all'],
    queryFn: ({ signal }) => getJson<Page<Named>>(`/v1/models${query({ limit: 200 })}`, signal),
  });
  const datasets = useQuery({
    queryKey: ['datasets', 'all'],
    queryFn: ({ signal }) => getJson<Page<Named>>(`/v1/datasets${query({ limit: 200 })}`, signal),
  });
  const set = <K extends keyof FinetuneForm>(k: K, v: FinetuneForm[K]) =>
    setForm((f) => ({ ...f, [k]: v }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { body, augmentOrder } = finetuneBody(form);
    setBusy(true);
    setErrors({});
    try {
      const job = await postJson<Job>('/v1/finetune', body);
      navigate(`/finetune/${job.id}`);
    } catch (err) {
      if (err instanceof ApiError) {
        const byField = fieldErrors(err.problem.errors, augmentOrder);
        if (!err.problem.errors?.length) byField[''] = [err.message];
        setErrors(byField);
      } else setErrors({ '': [String(err)] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h1>Fine-tune</h1>
      <p>
        Transfer a registered model to a new data set. <code>auto</code> picks the method from the
        similarity of the two data sets (docs/transfer.md).
      </p>
      <form onSubmit={submit} noValidate aria-label="Fine-tune a model" className="form">
        <FormErrors errors={errors['']} />
        <Field label="Base model" errors={errors.baseModel}>
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={form.baseModel}
              onChange={(e) => set('baseModel', e.target.value)}
            >
              <option value="">choose a model</option>
              {models.data?.items.map((m) => (
                <option key={m.id} value={m.name}>
                  {m.name} ({m.architecture}, {m.inputKind})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Data set" errors={errors.dataset}>
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={form.dataset}
              onChange={(e) => set('dataset', e.target.value)}
            >
              <option value="">choose a data set</option>
              {datasets.data?.items.map((s) => (
                <option key={s.id} value={s.name}>
                  {s.name} ({s.kind})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Method" errors={errors.method}>
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={form.method}
              onChange={(e) => set('method', e.target.value)}
            >
              {METHODS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Epochs" errors={errors.epochs} hint="1 to 10000">
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              inputMode="numeric"
              value={form.epochs}
              onChange={(e) => set('epochs', e.target.value)}
            />
          )}
        </Field>
        <Field label="Learning rate" errors={errors.learningRate} hint="optional, 1e-8 to 10">
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              inputMode="decimal"
              value={form.learningRate}
              onChange={(e) => set('learningRate', e.target.value)}
            />
          )}
        </Field>
        <Field label="Batch size" errors={errors.batchSize} hint="optional, 1 to 4096">
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              inputMode="numeric"
              value={form.batchSize}
              onChange={(e) => set('batchSize', e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Model name"
          errors={errors.name}
          hint="optional; default <base>-<method>-<job>"
        >
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              value={form.name}
              onChange={(e) => set('name', e.target.value)}
            />
          )}
        </Field>
        <fieldset>
          <legend>Augmentation (image data sets)</legend>
          {errors.augment?.length ? (
            <p className="error" role="alert">
              {errors.augment.join('; ')}
            </p>
          ) : null}
          {AUGMENTATIONS.map((a) => (
            <div key={a.name} className="augment">
              <label>
                <input
                  type="checkbox"
                  checked={!!form.augment[a.name]}
                  onChange={(e) => set('augment', { ...form.augment, [a.name]: e.target.checked })}
                />{' '}
                {a.name}
              </label>
              {errors[`augment.${a.name}`]?.length ? (
                <span className="error" role="alert">
                  {errors[`augment.${a.name}`].join('; ')}
                </span>
              ) : null}
              {form.augment[a.name] &&
                a.options.map((o) => {
                  const key = `${a.name}.${o.key}`;
                  return (
                    <Field
                      key={key}
                      label={`${a.name} ${o.key}`}
                      errors={errors[key]}
                      hint={o.hint}
                    >
                      {(id, d) => (
                        <input
                          id={id}
                          aria-describedby={d}
                          inputMode="decimal"
                          value={form.options[key] ?? ''}
                          onChange={(e) =>
                            set('options', { ...form.options, [key]: e.target.value })
                          }
                        />
                      )}
                    </Field>
                  );
                })}
            </div>
          ))}
          <Field
            label="Augmented copies"
            errors={errors.augmentCopies}
            hint="1 to 10; default 2 with augmentation"
          >
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                inputMode="numeric"
                value={form.augmentCopies}
                onChange={(e) => set('augmentCopies', e.target.value)}
              />
            )}
          </Field>
        </fieldset>
        <label>
          <input
            type="checkbox"
            checked={form.recordDynamics}
            onChange={(e) => set('recordDynamics', e.target.checked)}
          />{' '}
          Record training dynamics (finds suspected mislabels)
        </label>
        {canWrite ? (
          <div>
            <button type="submit" disabled={busy}>
              {busy ? 'Submitting…' : 'Start fine-tuning'}
            </button>
          </div>
        ) : (
          <p>Your key is read-only: it cannot start training.</p>
        )}
      </form>
    </section>
  );
}
