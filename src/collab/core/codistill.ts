/**
 * Multi-structure collaborative online distillation (Gao et al., "Multi-structure based
 * collaborative online distillation", ICASSP 2019; soft targets after Hinton, Vinyals & Dean,
 * "Distilling the Knowledge in a Neural Network", 2015): sites may run different architectures;
 * every round each site shares its logits on a shared public unlabeled set, the coordinator gives
 * every site the average of its peers' softened predictions p_T = softmax(z / T) as a teacher, and
 * the site adds  weight * T^2 * KL(p_teacher || softmax(z_student / T))  to its local loss. The
 * T^2 factor keeps the soft-target gradients on the scale of the hard-label ones (Hinton et al.
 * section 2). No weights are exchanged.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import type {
  FederatedAlgorithm,
  LocalPlan,
  RoundAggregate,
  SiteShare,
} from './federated-algorithm';
import { positiveInteger, positiveNumber } from './model-averaging';

export interface CodistillOptions {
  localEpochs: number;
  learningRate: number;
  temperature: number;
  /** Weight of the distillation term beside the local cross-entropy. */
  weight: number;
  numClasses: number;
}

export class Codistill implements FederatedAlgorithm {
  readonly name = 'codistill' as const;
  readonly shares = 'predictions' as const;

  constructor(private readonly o: CodistillOptions) {
    positiveInteger('localEpochs', o.localEpochs);
    positiveNumber('learningRate', o.learningRate);
    positiveNumber('temperature', o.temperature);
    if (!(o.weight >= 0 && Number.isFinite(o.weight)))
      throw ValidationError.field('distillationWeight', `must be >= 0, got ${o.weight}`);
    positiveInteger('numClasses', o.numClasses);
  }

  rounds(totalEpochs: number): number {
    return Math.ceil(positiveInteger('epochs', totalEpochs) / this.o.localEpochs);
  }

  /** Round 0 has no teacher yet: plain local training; later rounds distill. */
  localPlan(round: number): LocalPlan {
    return {
      epochs: this.o.localEpochs,
      learningRate: this.o.learningRate,
      schedule: { kind: 'constant' },
      mixupAlpha: null,
      distillation: round === 0 ? null : { temperature: this.o.temperature, weight: this.o.weight },
      startFromGlobal: false,
    };
  }

  /** Each site's teacher: the mean of the other sites' p_T (its own when it is alone). */
  aggregate(shares: readonly SiteShare[]): RoundAggregate {
    const k = this.o.numClasses;
    const probs = shares.map((s) => {
      if (!s.logits) throw ValidationError.field(`updates.${s.site}.logits`, 'is missing');
      return softmaxRows(s.logits, k, this.o.temperature);
    });
    const length = probs[0]?.length ?? 0;
    if (probs.some((p) => p.length !== length))
      throw ValidationError.field('updates', 'logits differ in shape');
    const teachers = new Map<string, Float32Array>();
    shares.forEach((s, self) => {
      const peers = probs.filter((_, j) => j !== self || shares.length === 1);
      const t = new Float32Array(length);
      for (const p of peers) for (let i = 0; i < length; i++) t[i] += p[i] / peers.length;
      teachers.set(s.site, t);
    });
    return { kind: 'predictions', teachers };
  }
}

/** Row-wise softmax(z / T) of a row-major [n, k] matrix (max-subtracted for stability). */
export function softmaxRows(logits: Float32Array, k: number, temperature = 1): Float32Array {
  if (logits.length % k !== 0)
    throw ValidationError.field('logits', `length ${logits.length} is not a multiple of ${k}`);
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += k) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[r + c] / temperature);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[r + c] / temperature - max);
    for (let c = 0; c < k; c++) out[r + c] = Math.exp(logits[r + c] / temperature - max) / sum;
  }
  return out;
}

/**
 * The distillation term for a batch, mean over examples: T^2 * KL(teacher || softmax(z / T)),
 * KL(p || q) = sum_c p_c (log p_c - log q_c), with 0 log 0 = 0. The reference the TF.js loss of
 * the site trainer is tested against.
 */
export function distillationLoss(
  studentLogits: Float32Array,
  teacher: Float32Array,
  k: number,
  temperature: number,
): number {
  const q = softmaxRows(studentLogits, k, temperature);
  if (teacher.length !== q.length)
    throw ValidationError.field('teacher', 'does not match the logits');
  let kl = 0;
  for (let i = 0; i < q.length; i++)
    if (teacher[i] > 0) kl += teacher[i] * (Math.log(teacher[i]) - Math.log(q[i]));
  return (temperature * temperature * kl) / (q.length / k);
}
