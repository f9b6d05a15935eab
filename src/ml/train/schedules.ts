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

/** Schedules as the API names them; step sizes in epochs, converted with the steps per epoch. */
export type ScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'step'; everyEpochs: number; gamma: number }
  | { kind: 'cosine'; warmupEpochs?: number; minLr?: number };

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
    case 'cosine':
      return new CosineLr(
        learningRate,
        epochs * stepsPerEpoch,
        Math.round((spec.warmupEpochs ?? 0) * stepsPerEpoch),
        spec.minLr ?? 0,
      );
    default:
      throw ValidationError.field(
        'schedule.kind',
        `unknown schedule ${(spec as { kind: string }).kind}; known: constant, step, cosine`,
      );
  }
}
