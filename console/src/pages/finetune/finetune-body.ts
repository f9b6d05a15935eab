// The fine-tune form's state -> the POST /v1/finetune body (src/transfer/finetune.schema.ts),
// and the server's 400/422 field problems -> the form fields they name. DOM-free (unit-tested).
import { typedNumber as num } from '../../lib/typed-number';

/** Image augmentations and their options (src/ml/data/augment/image-augment.ts), in order. */
export const AUGMENTATIONS = [
  { name: 'flip', options: [] },
  { name: 'rotate', options: [{ key: 'maxDegrees', hint: '(0, 180]', default: 15 }] },
  { name: 'crop', options: [{ key: 'padding', hint: 'integer ≥ 1', default: 4 }] },
  { name: 'translate', options: [{ key: 'maxFraction', hint: '(0, 1)', default: 0.1 }] },
  {
    name: 'scale',
    options: [
      { key: 'min', hint: '> 0', default: 0.9 },
      { key: 'max', hint: '≥ min', default: 1.1 },
    ],
  },
  { name: 'noise', options: [{ key: 'std', hint: '> 0', default: 0.05 }] },
] as const;

export const METHODS = ['auto', 'l2', 'l2sp', 'delta', 'rifle', 'dtnh+l2sp', 'dtnh+delta'];

export interface FinetuneForm {
  baseModel: string;
  dataset: string;
  method: string;
  epochs: string;
  name: string;
  learningRate: string;
  batchSize: string;
  /** Augmentation name -> enabled, and `name.option` -> value as typed. */
  augment: Record<string, boolean>;
  options: Record<string, string>;
  augmentCopies: string;
  recordDynamics: boolean;
}

export function initialForm(): FinetuneForm {
  const options: Record<string, string> = {};
  for (const a of AUGMENTATIONS)
    for (const o of a.options) options[`${a.name}.${o.key}`] = String(o.default);
  return {
    baseModel: '',
    dataset: '',
    method: 'auto',
    epochs: '10',
    name: '',
    learningRate: '',
    batchSize: '',
    augment: {},
    options,
    augmentCopies: '',
    recordDynamics: false,
  };
}

export interface FinetuneBody {
  body: Record<string, unknown>;
  /** Name of the augmentation at each index of `body.augment` (to place its errors). */
  augmentOrder: string[];
}

export function finetuneBody(f: FinetuneForm): FinetuneBody {
  const body: Record<string, unknown> = { baseModel: f.baseModel, dataset: f.dataset };
  if (f.method && f.method !== 'auto') body.method = f.method;
  else body.method = 'auto';
  const epochs = num(f.epochs);
  if (epochs !== undefined) body.epochs = epochs;
  if (f.name.trim()) body.name = f.name.trim();
  const hyper: Record<string, unknown> = {};
  const lr = num(f.learningRate);
  if (lr !== undefined) hyper.learningRate = lr;
  const bs = num(f.batchSize);
  if (bs !== undefined) hyper.batchSize = bs;
  if (Object.keys(hyper).length) body.hyperParameters = hyper;
  const augmentOrder: string[] = [];
  const augment: Record<string, unknown>[] = [];
  for (const a of AUGMENTATIONS) {
    if (!f.augment[a.name]) continue;
    const spec: Record<string, unknown> = { name: a.name };
    for (const o of a.options) {
      const v = num(f.options[`${a.name}.${o.key}`] ?? '');
      if (v !== undefined) spec[o.key] = v;
    }
    augment.push(spec);
    augmentOrder.push(a.name);
  }
  if (augment.length) body.augment = augment;
  const copies = num(f.augmentCopies);
  if (copies !== undefined) body.augmentCopies = copies;
  if (f.recordDynamics) body.recordDynamics = true;
  return { body, augmentOrder };
}

/**
 * The form field a server problem names. The route names body fields (`epochs`,
 * `hyperParameters.learningRate`), the job-spec validator `spec.config.epochs`,
 * `spec.augment[1].maxDegrees` or, from an augmentation's own check, `rotate.maxDegrees`.
 * Unplaced problems go under `''` (shown at the top of the form).
 */
export function fieldOf(field: string | undefined, augmentOrder: readonly string[]): string {
  if (!field) return '';
  let f = field.replace(/^spec\./, '').replace(/^(config|hyperParameters)\./, '');
  const m = /^augment\[(\d+)\](?:\.(\w+))?/.exec(f);
  if (m) {
    const name = augmentOrder[Number(m[1])];
    if (!name) return 'augment';
    return m[2] && m[2] !== 'name' ? `${name}.${m[2]}` : `augment.${name}`;
  }
  f = f.replace(/\[.*$/, '');
  return f;
}

export function fieldErrors(
  errors: readonly { field?: string; message: string }[] | undefined,
  augmentOrder: readonly string[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors ?? []) (out[fieldOf(e.field, augmentOrder)] ??= []).push(e.message);
  return out;
}
