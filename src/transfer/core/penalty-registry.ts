import * as tf from '@tensorflow/tfjs';
import { DeltaPenalty } from './delta.penalty';
import { L2Penalty } from './l2.penalty';
import { L2SpPenalty } from './l2sp.penalty';
import { PenaltyName } from './method';
import { TransferPenalty } from './penalty';

/** Everything any penalty may need; each factory takes what it uses. */
export interface PenaltyBuildContext {
  alpha: number;
  beta: number;
  /** Pretrained values of the backbone weights, in `PenaltyInputs.backbone` order (l2sp). */
  sourceWeights: readonly tf.Tensor[];
  /** Channel attention per hooked layer (delta). */
  attention?: readonly (readonly number[])[];
}

/** API name -> penalty factory. */
export const PENALTY_REGISTRY: Record<PenaltyName, (ctx: PenaltyBuildContext) => TransferPenalty> =
  {
    l2: (ctx) => new L2Penalty({ alpha: ctx.alpha }),
    l2sp: (ctx) =>
      new L2SpPenalty({ alpha: ctx.alpha, beta: ctx.beta, sourceWeights: ctx.sourceWeights }),
    delta: (ctx) => {
      if (!ctx.attention)
        throw new RangeError('delta needs the channel attention of its hooked layers');
      return new DeltaPenalty({ alpha: ctx.alpha, beta: ctx.beta, attention: ctx.attention });
    },
  };

export function createPenalty(name: PenaltyName, ctx: PenaltyBuildContext): TransferPenalty {
  return PENALTY_REGISTRY[name](ctx);
}
