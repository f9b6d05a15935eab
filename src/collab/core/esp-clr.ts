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
 *
 * Options against client drift under label skew (docs/collab.md, "Non-IID sites"):
 * - `peakDecay` gamma: the cycle's amplitude shrinks geometrically over the periods,
 *   lr_max(r) = lr_min + (lr_max - lr_min) * gamma^r for period r (0-based), so late periods take
 *   small local steps and drift little. Li, Huang, Yang, Wang & Zhang ("On the Convergence of
 *   FedAvg on Non-IID Data", ICLR 2020) show that with non-IID sites a decaying learning rate is
 *   necessary: at a fixed one FedAvg settles away from the optimum by a term that grows with the
 *   local steps. gamma = 1 is the paper's constant cycle.
 * - `proximalMu`: FedProx's proximal term on every site's local loss (fedprox.ts).
 * - `serverMomentum`: FedAvgM on the average (server-momentum.ts).
 * - `scaffold`: SCAFFOLD's control variates on the sites' gradients (scaffold.ts).
 * - `freezeHead`: FedBABU's body-only local update (Oh, Kim & Yun, ICLR 2022): the head stays at
 *   its initial (global) weights at every site; meant with `classifierCalibration` to fit it last.
 * - `mixupAlpha`: the sites train on mixup samples of their own data (mcl.ts, the same paper's
 *   MCL) within each period's cycle; absent: plain examples.
 * - `normalizedAveraging`: FedNova's average (fednova.ts), each site's change divided by its
 *   local steps, against the bias of sites of different sizes under label skew.
 * - `cycleWarmup`: each period's cycle first rises linearly to its peak over W epochs (Goyal et
 *   al. 2017) instead of restarting at the peak; measured in the bench only (docs/collab.md,
 *   "Session 18").
 */
import { ValidationError } from '../../platform/errors/domain-error';
import type {
  FederatedAlgorithm,
  LocalPlan,
  RoundAggregate,
  SiteShare,
} from './federated-algorithm';
import { checkProximalMu } from './fedprox';
import { normalizedAverage } from './fednova';
import { ScaffoldServer } from './scaffold';
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
  /** gamma in (0, 1]: the cycle's amplitude is multiplied by gamma every period; absent: 1. */
  peakDecay?: number;
  /** FedProx's mu on the sites' local loss (fedprox.ts); 0 or absent: none. */
  proximalMu?: number;
  /** SCAFFOLD's control variates (scaffold.ts); absent or false: none. */
  scaffold?: boolean;
  /** FedBABU: sites train the body only, the head stays at the global one; absent: false. */
  freezeHead?: boolean;
  /** mixup's Beta(alpha, alpha) on the sites' own examples (mcl.ts); absent: plain examples. */
  mixupAlpha?: number;
  /** SAM's rho on the sites' local steps (FedSAM); absent or 0: plain steps. */
  samRho?: number;
  /** FedNTD's beta on the sites' local loss; absent or 0: none. */
  notTrueBeta?: number;
  /** Logit adjustment's tau on the sites' local loss (each site's own prior); absent or 0: none. */
  logitAdjustment?: number;
  /** FedDecorr's beta on the sites' local loss (feature decorrelation); absent or 0: none. */
  decorrelationBeta?: number;
  /** MOON's mu and temperature on the sites' local loss; absent: none. */
  modelContrastive?: { mu: number; temperature: number };
  /**
   * Epochs of linear learning-rate warm-up at the start of every period (Goyal et al. 2017),
   * then the cosine; in [0, period), absent or 0: the cycle starts at its peak (SGDR).
   */
  cycleWarmup?: number;
  /**
   * FedNova's normalised averaging (fednova.ts) instead of the sample-weighted average: each
   * site's change divided by its local steps; absent or false: FedAvg's average.
   */
  normalizedAveraging?: boolean;
  /**
   * One cosine from maxLr to minLr over all `totalEpochs` of the federation, each period a stretch
   * of it, instead of a cycle restarted every period (pooled training's single schedule; the
   * paper's cyclical rate is the default). Not with peakDecay or cycleWarmup.
   */
  anneal?: { totalEpochs: number };
}

export class EspClr implements FederatedAlgorithm {
  readonly name = 'esp-clr' as const;
  readonly shares = 'weights' as const;
  readonly scaffold: ScaffoldServer | null;
  private readonly momentum: ServerMomentum | null;

  constructor(private readonly o: EspClrOptions) {
    this.scaffold = o.scaffold ? new ScaffoldServer() : null;
    this.momentum = o.serverMomentum ? new ServerMomentum(o.serverMomentum) : null;
    positiveInteger('period', o.period);
    positiveNumber('maxLr', o.maxLr);
    if (!(o.minLr >= 0 && o.minLr < o.maxLr))
      throw ValidationError.field('minLr', `must be in [0, maxLr), got ${o.minLr}`);
    const gamma = o.peakDecay ?? 1;
    if (!(gamma > 0 && gamma <= 1))
      throw ValidationError.field('peakDecay', `must be in (0, 1], got ${gamma}`);
    checkProximalMu(o.proximalMu ?? 0);
    if (o.mixupAlpha !== undefined) positiveNumber('mixupAlpha', o.mixupAlpha);
    for (const [field, v] of [
      ['samRho', o.samRho],
      ['notTrueBeta', o.notTrueBeta],
      ['logitAdjustment', o.logitAdjustment],
      ['decorrelationBeta', o.decorrelationBeta],
    ] as const)
      if (v !== undefined && !(Number.isFinite(v) && v >= 0))
        throw ValidationError.field(field, `must be a number >= 0, got ${v}`);
    if (
      o.anneal &&
      (!(o.anneal.totalEpochs >= o.period) ||
        (o.peakDecay !== undefined && o.peakDecay !== 1) ||
        o.cycleWarmup)
    )
      throw ValidationError.field(
        'anneal',
        'needs totalEpochs >= period, and neither peakDecay nor cycleWarmup',
      );
    const warmup = o.cycleWarmup ?? 0;
    if (!(warmup >= 0 && warmup < o.period))
      throw ValidationError.field('cycleWarmup', `must be in [0, period), got ${warmup}`);
  }

  rounds(totalEpochs: number): number {
    return Math.ceil(positiveInteger('epochs', totalEpochs) / this.o.period);
  }

  localPlan(round: number): LocalPlan {
    const mu = this.o.proximalMu ?? 0;
    return {
      epochs: this.o.period,
      learningRate: this.peakLr(round),
      schedule: {
        kind: 'cosine',
        minLr: this.o.minLr,
        ...(this.o.cycleWarmup ? { warmupEpochs: this.o.cycleWarmup } : {}),
        ...(this.o.anneal
          ? {
              span: {
                offsetEpochs: Math.min(
                  round * this.o.period,
                  this.o.anneal.totalEpochs - this.o.period,
                ),
                totalEpochs: this.o.anneal.totalEpochs,
              },
            }
          : {}),
      },
      mixupAlpha: this.o.mixupAlpha ?? null,
      distillation: null,
      startFromGlobal: true,
      ...(mu > 0 ? { proximalMu: mu } : {}),
      ...(this.scaffold ? { scaffold: true } : {}),
      ...(this.o.freezeHead ? { freezeHead: true } : {}),
      ...(this.o.samRho ? { samRho: this.o.samRho } : {}),
      ...(this.o.notTrueBeta ? { notTrueBeta: this.o.notTrueBeta } : {}),
      ...(this.o.logitAdjustment ? { logitAdjustment: this.o.logitAdjustment } : {}),
      ...(this.o.decorrelationBeta ? { decorrelationBeta: this.o.decorrelationBeta } : {}),
      ...(this.o.modelContrastive ? { modelContrastive: this.o.modelContrastive } : {}),
    };
  }

  /** The cycle's start in period `round`: lr_min + (lr_max - lr_min) gamma^round. */
  peakLr(round: number): number {
    const { minLr, maxLr } = this.o;
    return minLr + (maxLr - minLr) * Math.pow(this.o.peakDecay ?? 1, round);
  }

  /**
   * The learning rate at step `t` of a period of `stepsPerPeriod` steps (SGDR eq. 5); with
   * `cycleWarmup`, (t + 1) / w of the peak over the first w steps (its share of the period).
   */
  learningRateAt(t: number, stepsPerPeriod: number, round = 0): number {
    const max = this.peakLr(round);
    const w = Math.round(((this.o.cycleWarmup ?? 0) / this.o.period) * stepsPerPeriod);
    if (t < w) return (max * (t + 1)) / w;
    const u = Math.min(1, (t - w) / (stepsPerPeriod - w));
    return this.o.minLr + ((max - this.o.minLr) * (1 + Math.cos(Math.PI * u))) / 2;
  }

  /**
   * The sample-weighted average (FedNova's normalised one with `normalizedAveraging`); with
   * server momentum, FedAvgM's step from `global` towards it.
   */
  aggregate(shares: readonly SiteShare[], global?: WeightSet): RoundAggregate {
    const average: RoundAggregate =
      this.o.normalizedAveraging && global
        ? { kind: 'weights', weights: normalizedAverage(shares, global) }
        : averageBySamples(shares);
    if (!this.momentum || !global || average.kind !== 'weights') return average;
    return { kind: 'weights', weights: this.momentum.step(global, average.weights) };
  }
}
