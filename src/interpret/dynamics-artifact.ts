import { UnprocessableError } from '../platform/errors/domain-error';
import type { EpochRecord, SampleDynamics } from './core/training-dynamics';

/** The artifact a finetune job with `recordDynamics: true` stores. */
export const DYNAMICS_ARTIFACT = 'dynamics.json';

export interface DynamicsFile {
  samples: SampleDynamics[];
  /** The data set and split the samples come from, when the recorder says so. */
  dataset: string | null;
  split: string | null;
  /** Class names of the labels, when the recorder says so. */
  classNames: string[] | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function epochRecord(v: unknown, where: string): EpochRecord {
  if (
    !isRecord(v) ||
    !Number.isFinite(v.epoch) ||
    !Number.isFinite(v.loss) ||
    !Number.isFinite(v.assignedLogit) ||
    !Number.isFinite(v.largestOtherLogit) ||
    typeof v.correct !== 'boolean'
  ) {
    throw new UnprocessableError(`${DYNAMICS_ARTIFACT}: ${where} is not an epoch record`, [
      {
        field: where,
        message:
          'must be {epoch, loss, assignedLogit, largestOtherLogit: numbers, correct: boolean}',
      },
    ]);
  }
  return {
    epoch: v.epoch as number,
    loss: v.loss as number,
    assignedLogit: v.assignedLogit as number,
    largestOtherLogit: v.largestOtherLogit as number,
    correct: v.correct,
    ...(Number.isInteger(v.label) ? { label: v.label as number } : {}),
    ...(Number.isInteger(v.predicted) ? { predicted: v.predicted as number } : {}),
  };
}

function sampleId(v: Record<string, unknown>, fallback: number): string {
  const id = v.id ?? v.sample ?? v.index;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : String(fallback);
}

/** Per-epoch layout: `epochs[e][i]` is sample i's record (id `sampleIds[i]`, default i). */
function byEpoch(epochs: unknown[][], ids: unknown[] | null): SampleDynamics[] {
  const n = epochs[0].length;
  const bad = epochs.findIndex((e) => e.length !== n);
  if (bad >= 0 || (ids && ids.length !== n)) {
    throw new UnprocessableError(
      `${DYNAMICS_ARTIFACT}: every epoch must hold one record per sample (${n})`,
      [{ field: bad >= 0 ? `epochs[${bad}]` : 'sampleIds', message: `must have ${n} entries` }],
    );
  }
  return Array.from({ length: n }, (_, i) => ({
    id: ids ? String(ids[i]) : String(i),
    epochs: epochs.map((e, k) => epochRecord(e[i], `epochs[${k}][${i}]`)),
  }));
}

/**
 * Reads the training-dynamics artifact. Accepted layouts (the recorder's and hand-made ones):
 * per epoch `[[record of sample 0, ...], ...]` (also `{epochs: [...], sampleIds?: [...]}`), per
 * sample `[{id, epochs: [record...]}]` (also under `{samples: [...]}`), or flat records
 * `[{id|sample|index, epoch, loss, assignedLogit, largestOtherLogit, correct}]` (also under
 * `{records: [...]}`), grouped by sample id in order of first appearance.
 */
export function parseDynamics(bytes: Buffer): DynamicsFile {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new UnprocessableError(`${DYNAMICS_ARTIFACT} is not valid JSON: ${(e as Error).message}`);
  }
  const text = (key: string): string | null =>
    isRecord(json) && typeof json[key] === 'string' ? (json[key] as string) : null;
  const names =
    isRecord(json) &&
    Array.isArray(json.classNames) &&
    json.classNames.every((n) => typeof n === 'string')
      ? (json.classNames as string[])
      : null;
  return {
    samples: readSamples(json),
    dataset: text('dataset'),
    split: text('split'),
    classNames: names,
  };
}

function readSamples(json: unknown): SampleDynamics[] {
  const perEpoch = Array.isArray(json)
    ? json
    : isRecord(json) && Array.isArray(json.epochs)
      ? json.epochs
      : null;
  if (perEpoch && perEpoch.length > 0 && perEpoch.every((e) => Array.isArray(e))) {
    const ids = isRecord(json) && Array.isArray(json.sampleIds) ? json.sampleIds : null;
    return byEpoch(perEpoch as unknown[][], ids);
  }
  const list = Array.isArray(json)
    ? json
    : isRecord(json) && Array.isArray(json.samples)
      ? json.samples
      : isRecord(json) && Array.isArray(json.records)
        ? json.records
        : null;
  if (list === null || list.length === 0) {
    throw new UnprocessableError(`${DYNAMICS_ARTIFACT} holds no per-sample records`);
  }
  if (isRecord(list[0]) && Array.isArray(list[0].epochs)) {
    return list.map((s: unknown, i) => {
      if (!isRecord(s) || !Array.isArray(s.epochs)) {
        throw new UnprocessableError(`${DYNAMICS_ARTIFACT}: samples[${i}] has no epochs`, [
          { field: `samples[${i}]`, message: 'must be {id, epochs: [...]}' },
        ]);
      }
      return {
        id: sampleId(s, i),
        epochs: s.epochs.map((e: unknown, k) => epochRecord(e, `samples[${i}].epochs[${k}]`)),
      };
    });
  }
  const byId = new Map<string, EpochRecord[]>();
  list.forEach((r: unknown, i) => {
    const record = epochRecord(r, `records[${i}]`);
    const id = sampleId(r as Record<string, unknown>, i);
    const epochs = byId.get(id);
    if (epochs) epochs.push(record);
    else byId.set(id, [record]);
  });
  return [...byId].map(([id, epochs]) => ({ id, epochs }));
}
