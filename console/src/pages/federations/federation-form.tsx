// A new federation: the model, its sites (a data set of this service each, or a remote agent on
// its own files), the algorithm and its schedule. The server validates (its 400/422 field
// problems are shown next to the fields) and queues the federation, whose page follows it.
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, getJson, postJson, query } from '../../api/client';
import type { Dataset } from '../../api/registry-types';
import type { Job, Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { Field, FormErrors } from '../../components/field';
import { ALGORITHM_NAMES } from '../../../../src/collab/core/federated-algorithm';
import { SERVER_DISTILLATION_DEFAULTS } from '../../../../src/collab/core/ensemble-distillation';
import { OPTIMIZER_NAMES } from '../../../../src/ml/train/optimizer-names';
import { ZOO_MODEL_NAMES } from '../../../../src/ml/zoo/zoo-names';
import {
  detailErrors,
  federationBody,
  fieldErrors,
  formProblems,
  initialForm,
  nextSiteName,
  algorithmFields,
  publicSetShown,
  siteForm,
  type FederationForm,
  type SiteForm,
} from './federation-body';

const ALGORITHM_HINTS: Record<string, string> = {
  'esp-clr': 'model averaging every T0 epochs, a cyclical rate restarted each period',
  fedavg: 'model averaging every few local epochs',
  mcl: 'fedavg on mixup samples of each site’s data',
  codistill: 'sites exchange predictions on a public set, not weights',
};

export default function FederationFormPage() {
  const { canWrite } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [form, setForm] = useState<FederationForm>(() =>
    initialForm(
      (params.get('datasets') ?? '')
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean)
        .slice(0, 32),
    ),
  );
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const datasets = useQuery({
    queryKey: ['datasets', 'all'],
    queryFn: ({ signal }) => getJson<Page<Dataset>>(`/v1/datasets${query({ limit: 200 })}`, signal),
  });
  // The namespaces the operator allows a site in (none: the site placement select is not shown).
  const placements = useQuery({
    queryKey: ['site-placements'],
    queryFn: ({ signal }) => getJson<{ namespaces: string[] }>('/v1/site-placements', signal),
  });
  const namespaces = placements.data?.namespaces ?? [];
  // Federations take image data sets: the site and shared-set selects offer those.
  const imageOptions = (datasets.data?.items ?? [])
    .filter((d) => d.kind === 'image')
    .map((x) => (
      <option key={x.id} value={x.name}>
        {x.name} ({x.stats.size} images)
      </option>
    ));
  const set = <K extends keyof FederationForm>(k: K, v: FederationForm[K]) =>
    setForm((f) => ({ ...f, [k]: v }));
  const setSite = (i: number, patch: Partial<SiteForm>) =>
    set(
      'sites',
      form.sites.map((s, j) => (j === i ? { ...s, ...patch } : s)),
    );
  const schedule = algorithmFields(form.algorithm);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problems = formProblems(form);
    if (Object.keys(problems).length) return setErrors(problems);
    setBusy(true);
    setErrors({});
    try {
      const job = await postJson<Job>('/v1/federations', federationBody(form));
      navigate(`/federations/${job.id}`);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(
          err.problem.errors?.length ? fieldErrors(err.problem.errors) : detailErrors(err.message),
        );
      } else setErrors({ '': [String(err)] });
    } finally {
      setBusy(false);
    }
  }

  const text = (
    label: string,
    key: keyof FederationForm,
    hint: string,
    inputMode: 'numeric' | 'decimal' | 'text' = 'numeric',
    errorKey: string = key,
  ) => (
    <Field label={label} errors={errors[errorKey]} hint={hint}>
      {(id, d) => (
        <input
          id={id}
          aria-describedby={d}
          inputMode={inputMode}
          value={form[key] as string}
          onChange={(e) => set(key, e.target.value)}
        />
      )}
    </Field>
  );

  /**
   * A select of `options`; `none` labels an empty first option (the server's default, or nothing
   * chosen yet).
   */
  const choice = (
    label: string,
    key: 'architecture' | 'algorithm' | 'optimizer' | 'sharedDataset' | 'publicDataset',
    options: ReactNode,
    { hint, none }: { hint?: string; none?: string } = {},
  ) => (
    <Field label={label} errors={errors[key]} hint={hint}>
      {(id, d) => (
        <select
          id={id}
          aria-describedby={d}
          value={form[key]}
          onChange={(e) => {
            set(key, e.target.value);
            // Another algorithm reads other fields: the last answer's problems may not apply.
            if (key === 'algorithm') setErrors({});
          }}
        >
          {none !== undefined && <option value="">{none}</option>}
          {options}
        </select>
      )}
    </Field>
  );

  /**
   * A select of site i's `key`, labelled "Site <i+1> <label>"; `none` labels its empty first
   * option, `errors` default to the server's problems about `sites.<i>.<key>`.
   */
  const siteChoice = (
    i: number,
    key: 'dataset' | 'architecture' | 'namespace',
    label: string,
    options: ReactNode,
    { none, hint, errors: shown }: { none: string; hint?: string; errors?: string[] },
  ) => (
    <Field
      label={`Site ${i + 1} ${label}`}
      errors={shown ?? errors[`sites.${i}.${key}`]}
      hint={hint}
    >
      {(id, d) => (
        <select
          id={id}
          aria-describedby={d}
          value={form.sites[i][key]}
          onChange={(e) => setSite(i, { [key]: e.target.value })}
        >
          <option value="">{none}</option>
          {options}
        </select>
      )}
    </Field>
  );

  /** A checkbox option, with the server's problems about `errorKey` under it. */
  const checkbox = (
    key: 'freezeHead' | 'calibrateHead' | 'scaffold' | 'privacy' | 'serverDistillation',
    label: string,
    errorKey: string = key,
  ) => (
    <div className={errors[errorKey]?.length ? 'invalid' : undefined}>
      <label>
        <input type="checkbox" checked={form[key]} onChange={(e) => set(key, e.target.checked)} />{' '}
        {label}
      </label>
      <FormErrors errors={errors[errorKey]} />
    </div>
  );

  return (
    <section>
      <p>
        <Link to="/federations">Federations</Link> /
      </p>
      <h1>New federation</h1>
      <p>
        Each site trains where its data is; the coordinator only averages what the algorithm shares.
        Sites on this service name a data set; a remote site runs <code>autodl site serve</code> in
        its own data centre with a key you issue on the federation’s page (docs/collab.md). The
        experiment options (server momentum, FedProx, a site’s node selector, …) go in the REST body
        or <code>autodl collab run --spec</code>.
      </p>
      <form onSubmit={submit} noValidate aria-label="New federation" className="form">
        <FormErrors errors={errors['']} />
        {choice('Architecture', 'architecture', nameOptions(ZOO_MODEL_NAMES))}
        {text('Width', 'width', 'optional: base channels, 1 to 1024')}
        <fieldset>
          <legend>Sites</legend>
          <FormErrors errors={errors.sites} />
          {form.sites.map((s, i) => (
            <div key={i} className="site-row" role="group" aria-label={`Site ${i + 1}`}>
              <Field label={`Site ${i + 1} name`} errors={errors[`sites.${i}.name`]}>
                {(id, d) => (
                  <input
                    id={id}
                    aria-describedby={d}
                    value={s.name}
                    onChange={(e) => setSite(i, { name: e.target.value })}
                  />
                )}
              </Field>
              {!s.remote &&
                siteChoice(i, 'dataset', 'data set', imageOptions, {
                  none: 'choose a data set',
                  // A problem about the whole site (its data set's classes) shows here too.
                  errors: [
                    ...(errors[`sites.${i}.dataset`] ?? []),
                    ...(errors[`sites.${i}`] ?? []),
                  ],
                })}
              {schedule.siteArchitecture &&
                siteChoice(i, 'architecture', 'architecture', nameOptions(ZOO_MODEL_NAMES), {
                  none: `the federation’s (${form.architecture})`,
                })}
              {schedule.placement &&
                !s.remote &&
                namespaces.length > 0 &&
                siteChoice(i, 'namespace', 'Kubernetes namespace', nameOptions(namespaces), {
                  none: 'the worker pool (default)',
                  hint: 'its site jobs run there, reading data only that namespace mounts',
                  errors: errors[`sites.${i}.placement`],
                })}
              <label>
                <input
                  type="checkbox"
                  checked={s.remote}
                  onChange={(e) => setSite(i, { remote: e.target.checked })}
                />{' '}
                remote (its own files, through <code>autodl site serve</code>)
              </label>
              {form.sites.length > 1 && (
                <button
                  type="button"
                  onClick={() =>
                    set(
                      'sites',
                      form.sites.filter((_, j) => j !== i),
                    )
                  }
                >
                  Remove site {i + 1}
                </button>
              )}
            </div>
          ))}
          <button
            type="button"
            disabled={form.sites.length >= 32}
            onClick={() => set('sites', [...form.sites, siteForm(nextSiteName(form.sites))])}
          >
            Add a site
          </button>
        </fieldset>
        {choice('Algorithm', 'algorithm', nameOptions(ALGORITHM_NAMES), {
          hint: ALGORITHM_HINTS[form.algorithm] ?? '',
        })}
        {text('Epochs', 'epochs', 'local epochs per site in all; default 4')}
        {schedule.period &&
          text('Period', 'period', 'T0: epochs between synchronisations; default 2')}
        {schedule.localEpochs && text('Local epochs', 'localEpochs', 'epochs per round; default 1')}
        {text(
          'Learning rate',
          'learningRate',
          schedule.period ? 'the cycle’s peak; default 0.05' : 'default 0.05',
          'decimal',
        )}
        {schedule.period &&
          text('Minimum rate', 'minLr', 'the cycle’s low point; default 0.001', 'decimal')}
        {choice('Optimizer', 'optimizer', nameOptions(OPTIMIZER_NAMES), {
          none: 'default (momentum)',
        })}
        {text('Batch size', 'batchSize', 'default 32')}
        {schedule.sharedDataset &&
          choice('Shared labelled set', 'sharedDataset', imageOptions, {
            none: 'none',
            hint: 'optional: a set every site may see, trained on by all; under label skew it closes most of the gap to pooled training',
          })}
        {schedule.serverDistillation &&
          checkbox(
            'serverDistillation',
            'FedDF: after each round the coordinator distills the sites’ models into their average on a public set (no extra bytes cross a site boundary)',
          )}
        {schedule.serverDistillation &&
          form.serverDistillation &&
          text(
            'Distillation steps',
            'distillationSteps',
            `most steps per round; early stopping may end sooner; default ${SERVER_DISTILLATION_DEFAULTS.steps}`,
            'numeric',
            'serverDistillation.steps',
          )}
        {publicSetShown(form) &&
          choice('Public set', 'publicDataset', imageOptions, {
            none: 'choose a data set',
            hint: schedule.publicDataset
              ? 'codistill: the sites exchange predictions on its images (its labels are not used)'
              : 'FedDF distills on its images at the coordinator (its labels are not used)',
          })}
        {schedule.freezeHead &&
          checkbox(
            'freezeHead',
            'Sites train the body only (FedBABU; with a shared set, against label skew)',
          )}
        {schedule.calibrateHead &&
          checkbox(
            'calibrateHead',
            'Calibrate the head after the last round (CCVR: the sites send per-class feature statistics, which reveal their label histograms; against label skew without a shared set)',
            'classifierCalibration',
          )}
        {schedule.scaffold &&
          checkbox(
            'scaffold',
            'SCAFFOLD control variates against client drift (twice the bytes per round)',
          )}
        {schedule.privacy &&
          checkbox(
            'privacy',
            'Differential privacy: every site clips its update and adds Gaussian noise; the federation reports its epsilon',
            'dp',
          )}
        {schedule.privacy && form.privacy && (
          <fieldset>
            <legend>Differential privacy</legend>
            {text(
              'Clip norm',
              'dpClip',
              'C: the largest L2 norm of a site’s update',
              'decimal',
              'dp.clipNorm',
            )}
            {text(
              'Noise multiplier',
              'dpNoise',
              'the noise’s standard deviation in units of C; more noise, smaller epsilon',
              'decimal',
              'dp.noiseMultiplier',
            )}
            {text(
              'Delta',
              'dpDelta',
              'the accountant’s delta; default 1e-5',
              'decimal',
              'dp.delta',
            )}
          </fieldset>
        )}
        {text(
          'Quorum',
          'quorum',
          'sites a round needs (a failed site is retried, then skipped); default a majority',
        )}
        {text('Model name', 'name', 'optional; default federation-<job>', 'text')}
        {text('Seed', 'seed', 'default 0')}
        {canWrite ? (
          <div>
            <button type="submit" disabled={busy}>
              {busy ? 'Submitting…' : 'Start the federation'}
            </button>
          </div>
        ) : (
          <p>Your key is read-only: it cannot start a federation.</p>
        )}
      </form>
    </section>
  );
}

/** A select's options for a list of names, each its own value. */
function nameOptions(names: readonly string[]): ReactNode {
  return names.map((n) => <option key={n}>{n}</option>);
}
