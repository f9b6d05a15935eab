/**
 * Mixup collaborative learning (MCL), arXiv 1810.06877 section on privacy: each site trains on
 * mixup samples of its own data (Zhang, Cisse, Dauphin & Lopez-Paz, "mixup: Beyond Empirical Risk
 * Minimization", ICLR 2018):
 *   x~ = l * x_i + (1 - l) * x_j,   y~ = l * y_i + (1 - l) * y_j,   l ~ Beta(alpha, alpha),
 * with (i, j) a seeded pairing of the batch with a permutation of itself, as the paper's code
 * does. The sites then average weights as FedAvg; what is shared is a model trained only on mixed
 * examples, which the paper shows makes reconstruction attacks on it less effective.
 */
import type { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import type {
  FederatedAlgorithm,
  LocalPlan,
  RoundAggregate,
  SiteShare,
} from './federated-algorithm';
import { FedAvg } from './fedavg';
import { positiveNumber } from './model-averaging';
import { sampleBeta } from './random-variates';

export interface MclOptions {
  localEpochs: number;
  learningRate: number;
  /** alpha of Beta(alpha, alpha); the mixup paper uses 0.2 to 0.4 on ImageNet, 1 on CIFAR. */
  alpha: number;
}

export class Mcl implements FederatedAlgorithm {
  readonly name = 'mcl' as const;
  readonly shares = 'weights' as const;
  /** MCL is FedAvg whose sites train on mixup samples: its rounds and average are FedAvg's. */
  private readonly fedAvg: FedAvg;

  constructor(private readonly o: MclOptions) {
    this.fedAvg = new FedAvg(o);
    positiveNumber('mixupAlpha', o.alpha);
  }

  rounds(totalEpochs: number): number {
    return this.fedAvg.rounds(totalEpochs);
  }

  localPlan(round: number): LocalPlan {
    return { ...this.fedAvg.localPlan(round), mixupAlpha: this.o.alpha };
  }

  aggregate(shares: readonly SiteShare[]): RoundAggregate {
    return this.fedAvg.aggregate(shares);
  }
}

/** One batch's mixing: lambda and the partner of every example. */
export interface MixupDraw {
  lambda: number;
  /** partner[i] = j: example i is mixed with example j (a permutation of 0..n-1). */
  partner: number[];
}

export function drawMixup(rng: Rng, alpha: number, batchSize: number): MixupDraw {
  positiveNumber('mixupAlpha', alpha);
  const order = Array.from({ length: batchSize }, (_, i) => i);
  return { lambda: sampleBeta(rng, alpha, alpha), partner: rng.shuffle(order) };
}

/**
 * The mixup of rows of a row-major matrix [n, width]: out_i = l * m_i + (1 - l) * m_partner(i).
 * Applied to the inputs and to the one-hot labels with the same draw.
 */
export function mixRows(matrix: Float32Array, width: number, draw: MixupDraw): Float32Array {
  const n = draw.partner.length;
  if (matrix.length !== n * width)
    throw ValidationError.field(
      'mixup',
      `expected ${n} rows of ${width}, got ${matrix.length} values`,
    );
  const out = new Float32Array(matrix.length);
  const l = draw.lambda;
  for (let i = 0; i < n; i++) {
    const j = draw.partner[i];
    for (let c = 0; c < width; c++)
      out[i * width + c] = l * matrix[i * width + c] + (1 - l) * matrix[j * width + c];
  }
  return out;
}
