/**
 * The spec of job kind `nas-export` (what `POST /v1/nas/:id/export` queues), validated and
 * normalised: { nasJob, trial: number | 'best', epochs?, batchSize?, learningRate?, seed?, name? }.
 */
import { FieldProblem, ValidationError } from '../../platform/errors/domain-error';
import { NAS_JOB_DEFAULTS } from './nas-spec';

export const NAS_EXPORT_DEFAULTS = { epochs: 5, maxEpochs: 1000, textMaxWords: 10_000 };

export interface NasExportSpec {
  nasJob: string;
  trial: number | 'best';
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  name?: string;
}

const KEYS = ['nasJob', 'trial', 'epochs', 'batchSize', 'learningRate', 'seed', 'name'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function validateNasExportSpec(raw: unknown): NasExportSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw ValidationError.field('spec', 'must be an object');
  const s = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const bad = (field: string, message: string): void => void problems.push({ field, message });
  for (const k of Object.keys(s))
    if (!KEYS.includes(k)) bad(k, `unknown key (known: ${KEYS.join(', ')})`);
  if (typeof s.nasJob !== 'string' || !UUID.test(s.nasJob)) bad('nasJob', 'must be a job id');
  const trial = s.trial ?? 'best';
  if (trial !== 'best' && !(typeof trial === 'number' && Number.isInteger(trial) && trial >= 0))
    bad('trial', `must be a trial number (>= 0) or "best", got ${JSON.stringify(trial)}`);
  const int = (key: string, def: number, lo: number, hi: number): number => {
    const v = s[key] ?? def;
    if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) return v;
    bad(key, `must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return def;
  };
  const epochs = int('epochs', NAS_EXPORT_DEFAULTS.epochs, 1, NAS_EXPORT_DEFAULTS.maxEpochs);
  const batchSize = int('batchSize', NAS_JOB_DEFAULTS.batchSize, 1, 65536);
  const seed = int('seed', NAS_JOB_DEFAULTS.seed, 0, 2 ** 31 - 1);
  const learningRate = s.learningRate ?? NAS_JOB_DEFAULTS.learningRate;
  if (!(typeof learningRate === 'number' && learningRate > 0 && learningRate < 10))
    bad('learningRate', `must be a number in (0, 10), got ${JSON.stringify(learningRate)}`);
  if (s.name !== undefined && (typeof s.name !== 'string' || !MODEL_NAME.test(s.name)))
    bad('name', 'must be 1-100 letters, digits, ".", "_" or "-" starting with a letter or digit');
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return {
    nasJob: s.nasJob as string,
    trial: trial as number | 'best',
    epochs,
    batchSize,
    learningRate: learningRate as number,
    seed,
    ...(s.name !== undefined && { name: s.name as string }),
  };
}
