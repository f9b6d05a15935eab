import { createImageAugmentation, ImageAugmentationSpec } from '../../ml/data';
import { isZooModelName, ZOO_MODEL_NAMES } from '../../ml/zoo/zoo';
import { validateFinetuneConfig } from './finetune-config';
import { ValidationError } from '../../platform/errors/domain-error';
import {
  JsonObject,
  readBoolean,
  readInt,
  readNumber,
  readObject,
  readString,
  rejectUnknownFields,
} from '../../platform/validation/spec-reader';

/** Named defaults of the pretrain job (small enough to finish on a laptop core in minutes). */
export const PRETRAIN_DEFAULTS = {
  epochs: 5,
  batchSize: 32,
  learningRate: 0.001,
  optimizer: 'adam' as const,
  seed: 0,
  earlyStoppingPatience: 0,
  /** Text models: vocabulary size cap and padded sequence length. */
  maxWords: 10_000,
  sequenceLength: 64,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A model or data set reference: its id or its name (resolved to the id at enqueue). */
function readReference(obj: JsonObject, key: string, path: string): string {
  const v = readString(obj, key, { default: undefined, maxLength: 200 }, path) as string;
  if (v.trim() === '')
    throw ValidationError.field(`${path}.${key}`, 'must be an id or a name, got ""');
  return UUID.test(v) ? v.toLowerCase() : v;
}

export function readModelName(obj: JsonObject, key: string, path: string): string | null {
  const v = readString(obj, key, { default: null, maxLength: 100 }, path);
  if (v !== null && !MODEL_NAME.test(v)) {
    throw ValidationError.field(
      `${path}.${key}`,
      `must be 1-100 letters, digits, ".", "_" or "-" starting with a letter or digit, got "${v}"`,
    );
  }
  return v;
}

export interface PretrainSpec {
  dataset: string;
  architecture: string;
  /** Registered model name; null = `<architecture>-<job id prefix>`. */
  name: string | null;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'sgd' | 'momentum' | 'adam';
  seed: number;
  earlyStoppingPatience: number;
  /** Zoo builder options (see src/ml/zoo/zoo-options.ts). */
  width: number | null;
  hidden: number[] | null;
  embeddingDim: number | null;
  lstmUnits: number | null;
  maxWords: number;
  sequenceLength: number;
}

const PRETRAIN_FIELDS = [
  'dataset',
  'architecture',
  'name',
  'epochs',
  'batchSize',
  'learningRate',
  'optimizer',
  'seed',
  'earlyStoppingPatience',
  'width',
  'hidden',
  'embeddingDim',
  'lstmUnits',
  'maxWords',
  'sequenceLength',
];

export function validatePretrainSpec(raw: unknown): PretrainSpec {
  const p = 'spec';
  const o = readObject(raw, p);
  rejectUnknownFields(o, PRETRAIN_FIELDS, p);
  const architecture = readString(
    o,
    'architecture',
    { default: undefined, oneOf: ZOO_MODEL_NAMES },
    p,
  ) as string;
  if (!isZooModelName(architecture)) throw ValidationError.field(`${p}.architecture`, 'unknown');
  let hidden: number[] | null = null;
  if (o.hidden !== undefined && o.hidden !== null) {
    if (
      !Array.isArray(o.hidden) ||
      o.hidden.length === 0 ||
      o.hidden.length > 8 ||
      !o.hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096)
    ) {
      throw ValidationError.field(`${p}.hidden`, 'must be 1-8 layer sizes, integers in [1, 4096]');
    }
    hidden = [...(o.hidden as number[])];
  }
  return {
    dataset: readReference(o, 'dataset', p),
    architecture,
    name: readModelName(o, 'name', p),
    epochs: readInt(o, 'epochs', { default: PRETRAIN_DEFAULTS.epochs, min: 1, max: 1000 }, p),
    batchSize: readInt(
      o,
      'batchSize',
      { default: PRETRAIN_DEFAULTS.batchSize, min: 1, max: 4096 },
      p,
    ),
    learningRate: readNumber(
      o,
      'learningRate',
      { default: PRETRAIN_DEFAULTS.learningRate, min: 1e-8, max: 10 },
      p,
    ),
    optimizer: readString(
      o,
      'optimizer',
      { default: PRETRAIN_DEFAULTS.optimizer, oneOf: ['sgd', 'momentum', 'adam'] },
      p,
    ) as PretrainSpec['optimizer'],
    seed: readInt(o, 'seed', { default: PRETRAIN_DEFAULTS.seed, min: 0, max: 0xffffffff }, p),
    earlyStoppingPatience: readInt(
      o,
      'earlyStoppingPatience',
      { default: PRETRAIN_DEFAULTS.earlyStoppingPatience, min: 0, max: 1000 },
      p,
    ),
    width: readInt(o, 'width', { default: null, min: 1, max: 1024 }, p),
    hidden,
    embeddingDim: readInt(o, 'embeddingDim', { default: null, min: 1, max: 1024 }, p),
    lstmUnits: readInt(o, 'lstmUnits', { default: null, min: 0, max: 1024 }, p),
    maxWords: readInt(
      o,
      'maxWords',
      { default: PRETRAIN_DEFAULTS.maxWords, min: 1, max: 200_000 },
      p,
    ),
    sequenceLength: readInt(
      o,
      'sequenceLength',
      { default: PRETRAIN_DEFAULTS.sequenceLength, min: 1, max: 4096 },
      p,
    ),
  };
}

export interface FinetuneSpec {
  baseModel: string;
  dataset: string;
  name: string | null;
  /** The fine-tuning configuration as given (method, alpha, beta, epochs, freeze, ...), checked by src/transfer/core/finetune-config.ts. */
  config: JsonObject;
  /** Image augmentation applied to extra copies of the training images. */
  augment: ImageAugmentationSpec[];
  /** Training-set copies made with `augment` (1 = originals only). */
  augmentCopies: number;
  /** Store per-sample, per-epoch training records as the artifact dynamics.json. */
  recordDynamics: boolean;
}

const FINETUNE_FIELDS = [
  'baseModel',
  'dataset',
  'name',
  'config',
  'augment',
  'augmentCopies',
  'recordDynamics',
];

export function validateFinetuneSpec(raw: unknown): FinetuneSpec {
  const p = 'spec';
  const o = readObject(raw, p);
  rejectUnknownFields(o, FINETUNE_FIELDS, p);
  const config = o.config === undefined ? {} : readObject(o.config, `${p}.config`);
  validateFinetuneConfig(config, `${p}.config`);
  let augment: ImageAugmentationSpec[] = [];
  if (o.augment !== undefined && o.augment !== null) {
    if (!Array.isArray(o.augment) || o.augment.length > 10) {
      throw ValidationError.field(`${p}.augment`, 'must be a list of at most 10 augmentations');
    }
    augment = o.augment.map((a, i) => {
      const spec = readObject(a, `${p}.augment[${i}]`) as ImageAugmentationSpec;
      createImageAugmentation(spec, `${p}.augment[${i}]`);
      return { ...spec };
    });
  }
  const augmentCopies = readInt(
    o,
    'augmentCopies',
    { default: augment.length > 0 ? 2 : 1, min: 1, max: 10 },
    p,
  );
  if (augmentCopies > 1 && augment.length === 0) {
    throw ValidationError.field(`${p}.augmentCopies`, 'needs augment (the augmentations to apply)');
  }
  return {
    baseModel: readReference(o, 'baseModel', p),
    dataset: readReference(o, 'dataset', p),
    name: readModelName(o, 'name', p),
    config: { ...config },
    augment,
    augmentCopies,
    recordDynamics: readBoolean(o, 'recordDynamics', { default: false }, p),
  };
}
