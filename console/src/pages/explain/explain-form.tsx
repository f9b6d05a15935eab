// Start an explanation: model, data set, LIME or NormLIME, how many instances and the LIME
// parameters that apply to the model's input kind. The server validates; its 400/422 field
// problems are shown next to the fields (as the fine-tune form does), then the explanation's
// page follows the job.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { ApiError, getJson, postJson, query } from '../../api/client';
import type { Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { Field, FormErrors } from '../../components/field';
import {
  applies,
  explainBody,
  explainFieldErrors,
  FEATURE_SELECTIONS,
  initialExplainForm,
  PARAMETERS,
  type ExplainForm,
  type ExplainMethod,
  type InputKind,
} from './explain-body';

interface Named {
  id: string;
  name: string;
  kind?: string;
  inputKind?: InputKind;
  architecture?: string;
}

export default function ExplainFormPage() {
  const { canWrite } = useSession();
  const navigate = useNavigate();
  const [form, setForm] = useState<ExplainForm>(initialExplainForm);
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
  const kind = models.data?.items.find((m) => m.name === form.model)?.inputKind;
  const set = <K extends keyof ExplainForm>(k: K, v: ExplainForm[K]) =>
    setForm((f) => ({ ...f, [k]: v }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const started = await postJson<{ id: string }>('/v1/explanations', explainBody(form, kind));
      navigate(`/explanations/${started.id}`);
    } catch (err) {
      if (err instanceof ApiError) {
        const byField = explainFieldErrors(err.problem.errors);
        if (!err.problem.errors?.length) byField[''] = [err.message];
        setErrors(byField);
      } else setErrors({ '': [String(err)] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <p>
        <Link to="/explanations">Explanations</Link>
      </p>
      <h1>New explanation</h1>
      <p>
        LIME explains single predictions (a heatmap over the image, weights of features or words);
        NormLIME ranks what matters for each class over many instances (docs/interpret.md).
      </p>
      <form onSubmit={submit} noValidate aria-label="Start an explanation" className="form">
        <FormErrors errors={errors['']} />
        <Field label="Model" errors={errors.model}>
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={form.model}
              onChange={(e) => set('model', e.target.value)}
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
        <Field
          label="Data set"
          errors={errors.dataset}
          hint="instances are drawn from it; default the model's training set"
        >
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={form.dataset}
              onChange={(e) => set('dataset', e.target.value)}
            >
              <option value="">the model&apos;s training set</option>
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
              onChange={(e) => set('method', e.target.value as ExplainMethod)}
            >
              <option value="lime">LIME (per instance)</option>
              <option value="normlime">NormLIME (per class)</option>
            </select>
          )}
        </Field>
        <Field
          label="Instances"
          errors={errors.sampleSize}
          hint={
            form.method === 'lime'
              ? 'drawn from the data set, 1 to 1000'
              : 'default 100, at most 5000'
          }
        >
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              inputMode="numeric"
              value={form.sampleSize}
              onChange={(e) => set('sampleSize', e.target.value)}
            />
          )}
        </Field>
        <fieldset>
          <legend>Parameters{kind ? ` (${kind} model)` : ''}</legend>
          {PARAMETERS.filter((p) => applies(p, form.method, kind)).map((p) => (
            <Field key={p.key} label={p.label} errors={errors[p.key]} hint={p.hint}>
              {(id, d) => (
                <input
                  id={id}
                  aria-describedby={d}
                  inputMode="decimal"
                  value={form.parameters[p.key] ?? ''}
                  onChange={(e) =>
                    set('parameters', { ...form.parameters, [p.key]: e.target.value })
                  }
                />
              )}
            </Field>
          ))}
          <Field label="Feature selection" errors={errors.featureSelection}>
            {(id, d) => (
              <select
                id={id}
                aria-describedby={d}
                value={form.featureSelection}
                onChange={(e) => set('featureSelection', e.target.value)}
              >
                {FEATURE_SELECTIONS.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            )}
          </Field>
          {kind === 'tabular' && (
            <label>
              <input
                type="checkbox"
                checked={form.discretize}
                onChange={(e) => set('discretize', e.target.checked)}
              />{' '}
              Discretise continuous features (quartiles)
            </label>
          )}
          {errors.discretize?.length ? (
            <p className="error" role="alert">
              {errors.discretize.join('; ')}
            </p>
          ) : null}
        </fieldset>
        {canWrite ? (
          <div>
            <button type="submit" disabled={busy}>
              {busy ? 'Submitting…' : 'Start explanation'}
            </button>
          </div>
        ) : (
          <p>Your key is read-only: it cannot start explanations.</p>
        )}
      </form>
    </section>
  );
}
