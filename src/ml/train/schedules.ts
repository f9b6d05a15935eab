import { ValidationError } from '../../platform/errors/domain-error';

/** A learning rate as a function of the global step (0-based, counted in optimizer updates). */
export interface LrSchedule {
  at(step: number): number;
}

function positive(field: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0))
    throw ValidationError.field(field, `must be a positive number, got ${v}`);
}

export class ConstantLr implements LrSchedule {
  constructor(private readonly lr: number) {
    positive('learningRate', lr);
  }

  at(_step: number): number {
    return this.lr;
  }
}

/** Step decay: lr * gamma^floor(step / stepSize) (torch.optim.lr_scheduler.StepLR). */
export class StepLr implements LrSchedule {
  constructor(
    private readonly lr: number,
    private readonly stepSize: number,
    private readonly gamma: number,
  ) {
    positive('learningRate', lr);
    if (!Number.isInteger(stepSize) || stepSize < 1) {
      throw ValidationError.field(
        'schedule.stepSize',
        `must be a positive integer, got ${stepSize}`,
      );
    }
    if (!(gamma > 0 && gamma <= 1))
      throw ValidationError.field('schedule.gamma', `must be in (0, 1], got ${gamma}`);
  }

  at(step: number): number {
    return this.lr * this.gamma ** Math.floor(step / this.stepSize);
  }
}

/**
 * Linear warm-up over `warmupSteps` (Goyal et al. 2017) then cosine annealing to `minLr` at
 * `totalSteps` (SGDR without restarts, Loshchilov & Hutter 2017):
 * lr_t = min + (lr - min) * (1 + cos(pi * (t - warmup) / (total - warmup))) / 2.
 */
export class CosineLr implements LrSchedule {
  constructor(
    private readonly lr: number,
    private readonly totalSteps: number,
    private readonly warmupSteps = 0,
    private readonly minLr = 0,
  ) {
    positive('learningRate', lr);
    if (!Number.isInteger(totalSteps) || totalSteps < 1) {
      throw ValidationError.field(
        'schedule.totalSteps',
        `must be a positive integer, got ${totalSteps}`,
      );
    }
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps >= totalSteps) {
      throw ValidationError.field(
        'schedule.warmupSteps',
        `must be an integer in [0, totalSteps), got ${warmupSteps}`,
      );
    }
    if (!(minLr >= 0 && minLr < lr))
      throw ValidationError.field('schedule.minLr', `must be in [0, learningRate), got ${minLr}`);
  }

  at(step: number): number {
    if (step < this.warmupSteps) return (this.lr * (step + 1)) / this.warmupSteps;
    const t = Math.min(1, (step - this.warmupSteps) / (this.totalSteps - this.warmupSteps));
    return this.minLr + ((this.lr - this.minLr) * (1 + Math.cos(Math.PI * t))) / 2;
  }
}

/**
 * The one-cycle policy (Smith & Topin 2019, "Super-Convergence"), as PyTorch's OneCycleLR with
 * its defaults (cosine annealing, pct_start 0.3, div_factor 25, final_div_factor 1e4): over the
 * first `pctStart` of `totalSteps` the rate rises from lr/div to lr along a half cosine, then
 * falls along a half cosine to lr/(div*finalDiv) at the last step.
 */
export class OneCycleLr implements LrSchedule {
  constructor(
    private readonly lr: number,
    private readonly totalSteps: number,
    private readonly pctStart = 0.3,
    private readonly div = 25,
    private readonly finalDiv = 1e4,
  ) {
    positive('learningRate', lr);
    if (!Number.isInteger(totalSteps) || totalSteps < 2) {
      throw ValidationError.field(
        'schedule.totalSteps',
        `must be an integer >= 2, got ${totalSteps}`,
      );
    }
    if (!(pctStart > 0 && pctStart < 1)) {
      throw ValidationError.field('schedule.pctStart', `must be in (0, 1), got ${pctStart}`);
    }
    if (!(div >= 1 && finalDiv >= 1)) {
      throw ValidationError.field('schedule.div', `div and finalDiv must be >= 1`);
    }
  }

  at(step: number): number {
    const initial = this.lr / this.div;
    const final = initial / this.finalDiv;
    // PyTorch: the peak is at step pct_start * total - 1, the end at total - 1.
    const peak = this.pctStart * this.totalSteps - 1;
    const last = this.totalSteps - 1;
    const anneal = (from: number, to: number, t: number): number =>
      to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, t))))) / 2;
    if (step <= peak) return anneal(initial, this.lr, peak > 0 ? step / peak : 1);
    return anneal(this.lr, final, (step - peak) / (last - peak));
  }
}

/** Schedules as the API names them; step sizes in epochs, converted with the steps per epoch. */
export type ScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'step'; everyEpochs: number; gamma: number }
  | { kind: 'cosine'; warmupEpochs?: number; minLr?: number; span?: CosineSpan }
  | { kind: 'onecycle'; pctStart?: number; div?: number; finalDiv?: number };

/**
 * A run that is one stretch of a longer cosine (a federation's round under one cosine over all
 * its rounds): the cosine spans `totalEpochs` and this run starts `offsetEpochs` into it.
 */
export interface CosineSpan {
  offsetEpochs: number;
  totalEpochs: number;
}

export function makeSchedule(
  spec: ScheduleSpec,
  learningRate: number,
  stepsPerEpoch: number,
  epochs: number,
): LrSchedule {
  switch (spec.kind) {
    case 'constant':
      return new ConstantLr(learningRate);
    case 'step':
      return new StepLr(learningRate, Math.round(spec.everyEpochs * stepsPerEpoch), spec.gamma);
    case 'cosine': {
      if (!spec.span)
        return new CosineLr(
          learningRate,
          epochs * stepsPerEpoch,
          Math.round((spec.warmupEpochs ?? 0) * stepsPerEpoch),
          spec.minLr ?? 0,
        );
      const { offsetEpochs, totalEpochs } = spec.span;
      if (!(offsetEpochs >= 0 && offsetEpochs + epochs <= totalEpochs) || spec.warmupEpochs)
        throw ValidationError.field(
          'schedule.span',
          `a run of ${epochs} epochs from ${offsetEpochs} must lie within ${totalEpochs}, without warm-up`,
        );
      const whole = new CosineLr(
        learningRate,
        Math.round(totalEpochs * stepsPerEpoch),
        0,
        spec.minLr ?? 0,
      );
      const offset = Math.round(offsetEpochs * stepsPerEpoch);
      return { at: (step) => whole.at(offset + step) };
    }
    case 'onecycle':
      return new OneCycleLr(
        learningRate,
        epochs * stepsPerEpoch,
        spec.pctStart,
        spec.div,
        spec.finalDiv,
      );
    default:
      throw ValidationError.field(
        'schedule.kind',
        `unknown schedule ${(spec as { kind: string }).kind}; known: constant, step, cosine, onecycle`,
      );
  }
}
