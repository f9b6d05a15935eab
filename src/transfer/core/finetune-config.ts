import { FieldProblem, ValidationError } from '../../platform/errors/domain-error';
import { MethodPlan, PenaltyName, parseMethod } from './method';

/**
 * Validated fine-tuning configuration. Every field has a named default in TRANSFER_DEFAULTS;
 * `validateFinetuneConfig` fills them in and reports every bad field at once.
 */
export interface FinetuneConfig {
  /** The method as requested (e.g. `auto`) and what it resolved to. */
  method: string;
  plan: MethodPlan;
  /** Strength of the transfer term (weight decay for l2, ||w - w0|| for l2sp, feature maps for delta). */
  alpha: number;
  /** Weight decay on the new head (l2sp, delta). */
  beta: number;
  /** DELTA's softmax temperature over the channel z-scores. */
  temperature: number;
  /** DELTA: names of the hooked layers (Dense/Conv2D); empty = every Conv2D of the backbone. */
  hookLayers: string[];
  /** DELTA: training batches averaged when scoring channels. */
  attentionBatches: number;
  /** DELTA: epochs of head-only training before scoring channels. */
  headEpochs: number;
  /**
   * RIFLE: K re-initialisations over the first `fraction` of training; `headLr` 'cyclic' restarts
   * a cosine decay of the head's learning rate at each re-initialisation (the authors' code,
   * fc_lr_util=cyclic), 'global' keeps the head on the run's schedule.
   */
  rifle: { periods: number; fraction: number; headLr: 'global' | 'cyclic' };
  /** `none`, `all-but-head`, or K: the first K layers of the base model do not train. */
  freeze: 'none' | 'all-but-head' | number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'sgd' | 'momentum' | 'adam';
  lrSchedule: 'constant' | 'cosine' | 'step';
  /** step schedule: multiply the rate by `lrGamma` every `lrStepEpochs` epochs. */
  lrStepEpochs: number;
  lrGamma: number;
  /** Stop after this many epochs without a better validation loss; 0 = off. */
  earlyStoppingPatience: number;
  seed: number;
}

/** Default alpha/beta per penalty: the values of the papers' reference code (see docs/transfer.md). */
export const PENALTY_DEFAULTS: Record<PenaltyName, { alpha: number; beta: number }> = {
  l2: { alpha: 1e-4, beta: 0 },
  l2sp: { alpha: 0.1, beta: 0.01 },
  delta: { alpha: 0.01, beta: 0.01 },
};

export const TRANSFER_DEFAULTS = {
  method: 'auto',
  temperature: 5,
  attentionBatches: 4,
  headEpochs: 5,
  rifle: { periods: 3, fraction: 2 / 3, headLr: 'cyclic' as const },
  freeze: 'none' as FinetuneConfig['freeze'],
  epochs: 10,
  batchSize: 32,
  learningRate: 0.01,
  optimizer: 'momentum' as FinetuneConfig['optimizer'],
  lrSchedule: 'cosine' as FinetuneConfig['lrSchedule'],
  lrStepEpochs: 5,
  lrGamma: 0.1,
  earlyStoppingPatience: 0,
  seed: 0,
} as const;

const KNOWN_FIELDS = new Set([
  'method',
  'alpha',
  'beta',
  'temperature',
  'hookLayers',
  'attentionBatches',
  'headEpochs',
  'rifle',
  'freeze',
  'epochs',
  'batchSize',
  'learningRate',
  'optimizer',
  'lrSchedule',
  'lrStepEpochs',
  'lrGamma',
  'earlyStoppingPatience',
  'seed',
]);

export function validateFinetuneConfig(input: unknown, prefix = ''): FinetuneConfig {
  const problems: FieldProblem[] = [];
  const at = (f: string): string => (prefix ? `${prefix}.${f}` : f);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw ValidationError.field(prefix || 'config', 'must be an object');
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) problems.push({ field: at(key), message: 'unknown field' });
  }

  const method = raw.method === undefined ? TRANSFER_DEFAULTS.method : raw.method;
  let plan: MethodPlan | undefined;
  try {
    plan = parseMethod(method, at('method'));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    problems.push(...e.problems);
  }
  const penaltyDefaults = PENALTY_DEFAULTS[plan?.penalty ?? 'l2'];

  const num = (
    field: string,
    fallback: number,
    check: (v: number) => boolean,
    rule: string,
    integer = false,
  ): number => {
    const v = raw[field];
    if (v === undefined) return fallback;
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (integer && !Number.isInteger(v)) ||
      !check(v)
    ) {
      problems.push({ field: at(field), message: `must be ${rule}, got ${JSON.stringify(v)}` });
      return fallback;
    }
    return v;
  };
  const oneOf = <T extends string>(field: string, fallback: T, allowed: readonly T[]): T => {
    const v = raw[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      problems.push({
        field: at(field),
        message: `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`,
      });
      return fallback;
    }
    return v as T;
  };

  const alpha = num('alpha', penaltyDefaults.alpha, (v) => v >= 0, 'a number >= 0');
  const beta = num('beta', penaltyDefaults.beta, (v) => v >= 0, 'a number >= 0');
  const temperature = num(
    'temperature',
    TRANSFER_DEFAULTS.temperature,
    (v) => v > 0,
    'a number > 0',
  );
  const attentionBatches = num(
    'attentionBatches',
    TRANSFER_DEFAULTS.attentionBatches,
    (v) => v >= 1,
    'an integer >= 1',
    true,
  );
  const headEpochs = num(
    'headEpochs',
    TRANSFER_DEFAULTS.headEpochs,
    (v) => v >= 1,
    'an integer >= 1',
    true,
  );
  const epochs = num(
    'epochs',
    TRANSFER_DEFAULTS.epochs,
    (v) => v >= 1 && v <= 10000,
    'an integer in [1, 10000]',
    true,
  );
  const batchSize = num(
    'batchSize',
    TRANSFER_DEFAULTS.batchSize,
    (v) => v >= 1 && v <= 4096,
    'an integer in [1, 4096]',
    true,
  );
  const learningRate = num(
    'learningRate',
    TRANSFER_DEFAULTS.learningRate,
    (v) => v > 0 && v <= 10,
    'a number in (0, 10]',
  );
  const lrStepEpochs = num(
    'lrStepEpochs',
    TRANSFER_DEFAULTS.lrStepEpochs,
    (v) => v >= 1,
    'an integer >= 1',
    true,
  );
  const lrGamma = num(
    'lrGamma',
    TRANSFER_DEFAULTS.lrGamma,
    (v) => v > 0 && v <= 1,
    'a number in (0, 1]',
  );
  const earlyStoppingPatience = num(
    'earlyStoppingPatience',
    TRANSFER_DEFAULTS.earlyStoppingPatience,
    (v) => v >= 0,
    'an integer >= 0',
    true,
  );
  const seed = num(
    'seed',
    TRANSFER_DEFAULTS.seed,
    (v) => v >= 0 && v <= 0xffffffff,
    'an integer in [0, 2^32)',
    true,
  );
  const optimizer = oneOf('optimizer', TRANSFER_DEFAULTS.optimizer, [
    'sgd',
    'momentum',
    'adam',
  ] as const);
  const lrSchedule = oneOf('lrSchedule', TRANSFER_DEFAULTS.lrSchedule, [
    'constant',
    'cosine',
    'step',
  ] as const);

  let hookLayers: string[] = [];
  if (raw.hookLayers !== undefined) {
    if (
      !Array.isArray(raw.hookLayers) ||
      raw.hookLayers.some((h) => typeof h !== 'string' || h === '')
    ) {
      problems.push({ field: at('hookLayers'), message: 'must be an array of layer names' });
    } else hookLayers = [...(raw.hookLayers as string[])];
  }

  let freeze: FinetuneConfig['freeze'] = TRANSFER_DEFAULTS.freeze;
  if (raw.freeze !== undefined) {
    const f = raw.freeze;
    if (f === 'none' || f === 'all-but-head') freeze = f;
    else if (typeof f === 'number' && Number.isInteger(f) && f >= 0) freeze = f;
    else
      problems.push({
        field: at('freeze'),
        message: `must be 'none', 'all-but-head' or a layer index >= 0, got ${JSON.stringify(f)}`,
      });
  }

  const rifle: FinetuneConfig['rifle'] = { ...TRANSFER_DEFAULTS.rifle };
  if (raw.rifle !== undefined) {
    const r = raw.rifle;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      problems.push({
        field: at('rifle'),
        message: 'must be an object {periods, fraction, headLr}',
      });
    } else {
      const { periods, fraction, headLr, ...rest } = r as Record<string, unknown>;
      for (const k of Object.keys(rest))
        problems.push({ field: at(`rifle.${k}`), message: 'unknown field' });
      if (periods !== undefined) {
        if (typeof periods === 'number' && Number.isInteger(periods) && periods >= 1)
          rifle.periods = periods;
        else
          problems.push({
            field: at('rifle.periods'),
            message: `must be an integer >= 1, got ${JSON.stringify(periods)}`,
          });
      }
      if (fraction !== undefined) {
        if (typeof fraction === 'number' && fraction > 0 && fraction < 1) rifle.fraction = fraction;
        else
          problems.push({
            field: at('rifle.fraction'),
            message: `must be a number in (0, 1), got ${JSON.stringify(fraction)}`,
          });
      }
      if (headLr !== undefined) {
        if (headLr === 'global' || headLr === 'cyclic') rifle.headLr = headLr;
        else
          problems.push({
            field: at('rifle.headLr'),
            message: `must be 'global' or 'cyclic', got ${JSON.stringify(headLr)}`,
          });
      }
    }
  }

  if (problems.length > 0 || plan === undefined) {
    throw new ValidationError(
      `invalid fine-tuning config: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      problems,
    );
  }
  return {
    method: String(method),
    plan,
    alpha,
    beta,
    temperature,
    hookLayers,
    attentionBatches,
    headEpochs,
    rifle,
    freeze,
    epochs,
    batchSize,
    learningRate,
    optimizer,
    lrSchedule,
    lrStepEpochs,
    lrGamma,
    earlyStoppingPatience,
    seed,
  };
}
