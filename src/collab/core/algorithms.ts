/** The algorithm registry: API name + settings -> FederatedAlgorithm. */
import { Codistill, type CodistillTeacher } from './codistill';
import { EspClr } from './esp-clr';
import { FedAvg } from './fedavg';
import type { AlgorithmName, FederatedAlgorithm } from './federated-algorithm';
import { Mcl } from './mcl';

/** The settings of a federation that the algorithms read (named defaults in the schema). */
export interface AlgorithmSettings {
  algorithm: AlgorithmName;
  localEpochs: number;
  learningRate: number;
  /** esp-clr */
  period: number;
  minLr: number;
  /** esp-clr: server momentum beta (FedAvgM), 0 = plain averaging; optional. */
  serverMomentum?: number;
  /** esp-clr: the cycle amplitude's decay per period (gamma, 1 = constant cycle); optional. */
  peakDecay?: number;
  /** fedavg, esp-clr: FedProx's mu (0 = none); optional. */
  proximalMu?: number;
  /** fedavg, esp-clr: SCAFFOLD's control variates (core/scaffold.ts); optional. */
  scaffold?: boolean;
  /** fedavg, esp-clr: FedBABU's body-only local update (the head stays global); optional. */
  freezeHead?: boolean;
  /** mcl; esp-clr: mixup on the sites when `espMixup` is set. */
  mixupAlpha: number;
  /** esp-clr: the sites train on mixup samples (Beta(mixupAlpha, mixupAlpha)); optional. */
  espMixup?: boolean;
  /** esp-clr: SAM's rho on the sites' local steps (FedSAM); optional. */
  samRho?: number;
  /** esp-clr: FedNTD's beta on the sites' local loss; optional. */
  notTrueBeta?: number;
  /** esp-clr: one cosine over all rounds instead of one per period (EspClrOptions.anneal); optional. */
  anneal?: { totalEpochs: number };
  /** esp-clr: logit adjustment's tau on the sites' local loss; optional. */
  logitAdjustment?: number;
  /** esp-clr: FedDecorr's beta on the sites' local loss; optional. */
  decorrelationBeta?: number;
  /** esp-clr: MOON's mu and temperature on the sites' local loss; optional. */
  modelContrastive?: { mu: number; temperature: number };
  /** esp-clr: epochs of learning-rate warm-up at each period's start; optional. */
  cycleWarmup?: number;
  /** esp-clr: FedNova's normalised averaging (core/fednova.ts); optional. */
  normalizedAveraging?: boolean;
  /** codistill */
  temperature: number;
  distillationWeight: number;
  /** codistill: burn-in rounds and weight ramp (core/codistill.ts defaults when absent). */
  warmupRounds?: number;
  rampRounds?: number;
  /** codistill: whose predictions teach (core/codistill.ts; default peers). */
  teacher?: CodistillTeacher;
  /** codistill: a cosine from learningRate down to this over each round (absent: constant). */
  roundMinLr?: number | null;
  numClasses: number;
}

export function makeAlgorithm(s: AlgorithmSettings): FederatedAlgorithm {
  switch (s.algorithm) {
    case 'fedavg':
      return new FedAvg({
        localEpochs: s.localEpochs,
        learningRate: s.learningRate,
        proximalMu: s.proximalMu,
        scaffold: s.scaffold,
        freezeHead: s.freezeHead,
      });
    case 'esp-clr':
      return new EspClr({
        period: s.period,
        maxLr: s.learningRate,
        minLr: s.minLr,
        serverMomentum: s.serverMomentum,
        peakDecay: s.peakDecay,
        proximalMu: s.proximalMu,
        scaffold: s.scaffold,
        freezeHead: s.freezeHead,
        ...(s.espMixup ? { mixupAlpha: s.mixupAlpha } : {}),
        ...(s.samRho ? { samRho: s.samRho } : {}),
        ...(s.notTrueBeta ? { notTrueBeta: s.notTrueBeta } : {}),
        ...(s.logitAdjustment ? { logitAdjustment: s.logitAdjustment } : {}),
        ...(s.decorrelationBeta ? { decorrelationBeta: s.decorrelationBeta } : {}),
        ...(s.modelContrastive ? { modelContrastive: s.modelContrastive } : {}),
        ...(s.anneal ? { anneal: s.anneal } : {}),
        ...(s.cycleWarmup ? { cycleWarmup: s.cycleWarmup } : {}),
        ...(s.normalizedAveraging ? { normalizedAveraging: true } : {}),
      });
    case 'mcl':
      return new Mcl({
        localEpochs: s.localEpochs,
        learningRate: s.learningRate,
        alpha: s.mixupAlpha,
      });
    case 'codistill':
      return new Codistill({
        localEpochs: s.localEpochs,
        learningRate: s.learningRate,
        temperature: s.temperature,
        weight: s.distillationWeight,
        numClasses: s.numClasses,
        warmupRounds: s.warmupRounds,
        rampRounds: s.rampRounds,
        teacher: s.teacher,
        minLr: s.roundMinLr ?? undefined,
      });
  }
}

/** Rounds a federation runs for `epochs` local epochs per site (without building the algorithm). */
export function plannedRounds(
  s: Pick<AlgorithmSettings, 'algorithm' | 'localEpochs' | 'period'>,
  epochs: number,
): number {
  return Math.ceil(epochs / (s.algorithm === 'esp-clr' ? s.period : s.localEpochs));
}
