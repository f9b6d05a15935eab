import { ValidationError } from '../../platform/errors/domain-error';
import type { SplitIndices } from './dataset-codec';

export type SplitName = keyof SplitIndices;
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

export interface ExampleQuery {
  /** Class name (or its index as a string); all classes when undefined. */
  className?: string;
  split?: SplitName;
  /** Examples per class when no class is given, else examples in total. */
  limit: number;
}

export interface ExampleRef {
  index: number;
  label: number;
  className: string;
  split: SplitName;
}

/** Parses the `class`, `split` and `limit` query values of the examples listing (4xx on bad ones). */
export function parseExampleQuery(
  raw: { class?: unknown; split?: unknown; limit?: unknown },
  maxLimit = 100,
): ExampleQuery {
  const split = raw.split === undefined || raw.split === '' ? undefined : String(raw.split);
  if (split !== undefined && !SPLIT_NAMES.includes(split as SplitName)) {
    throw ValidationError.field('split', `must be one of ${SPLIT_NAMES.join(', ')}`);
  }
  let limit = 8;
  if (raw.limit !== undefined && raw.limit !== '') {
    const text = String(raw.limit);
    limit = Number(text);
    if (!/^\d+$/.test(text) || limit < 1 || limit > maxLimit) {
      throw ValidationError.field('limit', `must be an integer from 1 to ${maxLimit}`);
    }
  }
  const className = raw.class === undefined || raw.class === '' ? undefined : String(raw.class);
  return { className, split: split as SplitName | undefined, limit };
}

/**
 * The first `limit` examples of each class (or of the one class asked for), in data set order,
 * optionally restricted to one split. Deterministic, so the console shows the same thumbnails on
 * every visit. Returns null for a class name that the data set does not have.
 */
export function selectExamples(
  labels: readonly number[],
  classNames: readonly string[],
  split: SplitIndices,
  q: ExampleQuery,
): ExampleRef[] | null {
  let only: number | undefined;
  if (q.className !== undefined) {
    only = classNames.indexOf(q.className);
    if (only < 0) {
      if (!/^\d+$/.test(q.className) || Number(q.className) >= classNames.length) return null;
      only = Number(q.className);
    }
  }
  const splitOf = new Array<SplitName | undefined>(labels.length);
  for (const name of SPLIT_NAMES) for (const i of split[name]) splitOf[i] = name;
  const taken = new Array<number>(classNames.length).fill(0);
  const out: ExampleRef[] = [];
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index];
    const s = splitOf[index];
    if (s === undefined || (q.split !== undefined && s !== q.split)) continue;
    if (only !== undefined && label !== only) continue;
    if (taken[label] >= q.limit) continue;
    taken[label]++;
    out.push({ index, label, className: classNames[label], split: s });
  }
  return out;
}
