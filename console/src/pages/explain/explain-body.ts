// The explanation form's state -> the POST /v1/explanations body (its schema:
// src/interpret/explanation-specs.schema.ts, parameter ranges in core/lime-parameters.ts), and the
// server's 400/422 field problems -> the form fields they name. DOM-free (unit-tested).

export type ExplainMethod = 'lime' | 'normlime';
export type InputKind = 'image' | 'tabular' | 'text';

/** LIME's feature selection (the server's FEATURE_SELECTIONS; the spec checks they agree). */
export const FEATURE_SELECTIONS = [
  'auto',
  'none',
  'forward_selection',
  'highest_weights',
  'lasso_path',
];

/** The parameters the form offers, the input kinds they apply to, and their bounds as hints. */
export const PARAMETERS: {
  key: string;
  label: string;
  hint: string;
  default: string;
  kinds?: InputKind[];
  method?: ExplainMethod;
}[] = [
  { key: 'numSamples', label: 'Perturbed samples', hint: '10 to 100000', default: '1000' },
  { key: 'numFeatures', label: 'Features kept', hint: '1 to 1000', default: '10' },
  {
    key: 'kernelWidth',
    label: 'Kernel width',
    hint: 'optional; default by input kind',
    default: '',
  },
  {
    key: 'nSegments',
    label: 'Superpixels',
    hint: 'SLIC segments, 2 to 2000',
    default: '50',
    kinds: ['image'],
  },
  {
    key: 'compactness',
    label: 'Compactness',
    hint: 'SLIC, 0.01 to 1000',
    default: '10',
    kinds: ['image'],
  },
  {
    key: 'numClusters',
    label: 'Concept clusters',
    hint: 'NormLIME, 2 to 200',
    default: '10',
    method: 'normlime',
  },
  { key: 'seed', label: 'Seed', hint: 'integer, 0 to 4294967295', default: '0' },
];

export interface ExplainForm {
  model: string;
  /** Empty: the data set the model was trained on. */
  dataset: string;
  method: ExplainMethod;
  sampleSize: string;
  featureSelection: string;
  /** Tabular: quartile-discretise continuous features. */
  discretize: boolean;
  /** Parameter key -> value as typed. */
  parameters: Record<string, string>;
}

export function initialExplainForm(): ExplainForm {
  return {
    model: '',
    dataset: '',
    method: 'lime',
    sampleSize: '5',
    featureSelection: 'auto',
    discretize: true,
    parameters: Object.fromEntries(PARAMETERS.map((p) => [p.key, p.default])),
  };
}

/** Whether the form shows (and sends) a parameter for this method and model. */
export function applies(
  p: (typeof PARAMETERS)[number],
  method: ExplainMethod,
  kind: InputKind | undefined,
): boolean {
  return (!p.method || p.method === method) && (!p.kinds || !kind || p.kinds.includes(kind));
}

/** A typed number, or the text itself so the server names the mistake (never silently dropped). */
function num(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : t;
}

export function explainBody(f: ExplainForm, kind?: InputKind): Record<string, unknown> {
  const body: Record<string, unknown> = { model: f.model, method: f.method };
  if (f.dataset) body.dataset = f.dataset;
  const sampleSize = num(f.sampleSize);
  if (sampleSize !== undefined) body.sampleSize = sampleSize;
  const parameters: Record<string, unknown> = {};
  for (const p of PARAMETERS) {
    if (!applies(p, f.method, kind)) continue;
    const v = num(f.parameters[p.key] ?? '');
    if (v !== undefined) parameters[p.key] = v;
  }
  if (f.featureSelection !== 'auto') parameters.featureSelection = f.featureSelection;
  if (kind === 'tabular' && !f.discretize) parameters.discretize = false;
  if (Object.keys(parameters).length) body.parameters = parameters;
  return body;
}

/**
 * The form field a server problem names: `parameters.numSamples` -> `numSamples`, `sampleSize`,
 * `model`, `dataset`; `instances` (nothing to sample from) -> `dataset`. Unplaced problems go
 * under `''` (shown at the top of the form).
 */
export function explainFieldOf(field: string | undefined): string {
  if (!field) return '';
  const f = field.replace(/^spec\./, '').replace(/^parameters\./, '');
  if (f === 'instances') return 'dataset';
  const known = new Set([
    'model',
    'dataset',
    'method',
    'sampleSize',
    'featureSelection',
    'discretize',
    ...PARAMETERS.map((p) => p.key),
  ]);
  return known.has(f) ? f : '';
}

export function explainFieldErrors(
  errors: readonly { field?: string; message: string }[] | undefined,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors ?? []) {
    const key = explainFieldOf(e.field);
    // A problem shown at the top says which field it is about.
    (out[key] ??= []).push(key === '' && e.field ? `${e.field}: ${e.message}` : e.message);
  }
  return out;
}
