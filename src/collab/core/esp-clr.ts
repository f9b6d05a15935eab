/**
 * Model averaging with an enlarged synchronisation period and a cyclical learning rate (ESP + CLR),
 * Xu et al., "Collaborative Deep Learning Across Multiple Data Centers", arXiv 1810.06877: sites
 * synchronise only every T0 local epochs (T0x fewer exchanges than FedAvg with E = 1), and within
 * each period the learning rate runs one SGDR cycle (Loshchilov & Hutter, "SGDR: Stochastic
 * Gradient Descent with Warm Restarts", ICLR 2017, eq. 5):
 *   lr(t) = lr_min + (lr_max - lr_min) * (1 + cos(pi * t / T)) / 2,  t = step in the period,
 * restarted at every period, so the weights are averaged at the cycle's low point, where each
 * site's model sits in a flat region and the average of nearby minima stays good (the snapshot
 * ensembles' argument the paper builds on). Averaging weighted by sample count, as FedAvg.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import type {
  FederatedAlgorithm,
  LocalPlan,
  RoundAggregate,
  SiteShare,
} from './federated-algorithm';
import { averageBySamples, positiveInteger, positiveNumber } from './model-averaging';
import { ServerMomentum } from './server-momentum';
import type { WeightSet } from './weights';

export interface EspClrOptions {
  /** T0: local epochs per synchronisation period (one learning-rate cycle). */
  period: number;
  /** lr_max, the cycle's start after each restart. */
  maxLr: number;
  /** lr_min, the cycle's low point where sites synchronise. */
  minLr: number;
  /** beta of server momentum on the average (FedAvgM, server-momentum.ts); 0 or absent: none. */
  serverMomentum?: number;
}

export class EspClr implements FederatedAlgorithm {
  readonly name = 'esp-clr' as const;
  readonly shares = 'weights' as const;
  private readonly momentum: ServerMomentum | null;

  constructor(private readonly o: EspClrOptions) {
    this.momentum = o.serverMomentum ? new ServerMomentum(o.serverMomentum) : null;
    positiveInteger('period', o.period);
    positiveNumber('maxLr', o.maxLr);
    if (!(o.minLr >= 0 && o.minLr < o.maxLr))
      throw ValidationError.field('minLr', `must be in [0, maxLr), got ${o.minLr}`);
  }

  rounds(totalEpochs: number): number {
    return Math.ceil(positiveInteger('epochs', totalEpochs) / this.o.period);
  }

  localPlan(_round: number): LocalPlan {
    return {
      epochs: this.o.period,
      learningRate: this.o.maxLr,
      schedule: { kind: 'cosine', minLr: this.o.minLr },
      mixupAlpha: null,
      distillation: null,
      startFromGlobal: true,
    };
  }

  /** The learning rate at step `t` of a period of `stepsPerPeriod` steps (SGDR eq. 5). */
  learningRateAt(t: number, stepsPerPeriod: number): number {
    const u = Math.min(1, t / stepsPerPeriod);
    return this.o.minLr + ((this.o.maxLr - this.o.minLr) * (1 + Math.cos(Math.PI * u))) / 2;
  }

  /** The sample-weighted average; with server momentum, FedAvgM's step from `global` towards it. */
  aggregate(shares: readonly SiteShare[], global?: WeightSet): RoundAggregate {
    const average = averageBySamples(shares);
    if (!this.momentum || !global || average.kind !== 'weights') return average;
    return { kind: 'weights', weights: this.momentum.step(global, average.weights) };
  }
}
