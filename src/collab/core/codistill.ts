/**
 * Multi-structure collaborative online distillation (Gao et al., "Multi-structure based
 * collaborative online distillation", ICASSP 2019 / Entropy 21(4) 2019; soft targets after Hinton,
 * Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015): sites may run different
 * architectures; every round each site shares its logits on a shared public unlabeled set, the
 * coordinator forms a teacher from the sites' softened predictions p_T = softmax(z / T), and the
 * site adds  weight * T^2 * KL(p_teacher || softmax(z_student / T))  to its local loss. The T^2
 * factor keeps the soft-target gradients on the scale of the hard-label ones (Hinton et al.
 * section 2). No weights are exchanged.
 *
 * Three rules keep a weak peer from dragging a good site down (session 7 measured codistill making
 * both sites worse with a near-chance peer):
 * - a site's teacher is the ensemble of its peers (the other accepted sites; the paper's ensemble
 *   teacher, Zhang et al. 2018's peers), each weighted by its reported test accuracy above chance,
 *   max(0, acc - 1/k): a peer no better than chance teaches nothing, and a site whose peers are all
 *   at chance trains alone that round. Never its own predictions: they are a round old, and
 *   distilling towards its own stale self only brakes a site that is still learning (measured:
 *   bench/collab/codistill-bench.ts);
 * - a site better than its teacher distills with its weight scaled by (teacher's accuracy above
 *   chance) / (its own), capped at 1: a weak site learns fully from a better one, a good site is
 *   barely moved by a near-chance one (this service's rule, not the paper's);
 * - burn-in (Anil et al., "Large scale distributed neural network training through online
 *   distillation", ICLR 2018): the first `warmupRounds` rounds train alone;
 * - the weight ramps up linearly over `rampRounds` rounds after the burn-in (the paper's
 *   "progressively enhanced constraints").
 * `teacher: 'ensemble'` replaces the first two rules with the paper's ensemble of all sites, the
 * site's own predictions included (measured in docs/collab.md, "Session 9": with two sites ~9
 * points apart that ensemble is below the better one, so the default stays `peers`).
 */
import { ValidationError } from '../../platform/errors/domain-error';
import type {
  FederatedAlgorithm,
  LocalPlan,
  RoundAggregate,
  SiteShare,
} from './federated-algorithm';
import { positiveInteger, positiveNumber } from './model-averaging';

/**
 * Whose predictions teach a site: `peers` (the other sites, accuracy-weighted, with the `s_i`
 * scaling below) or `ensemble` (every accepted site including itself, accuracy-weighted: the
 * paper's and ONE's / Song & Chai 2018's ensemble teacher, one teacher for all sites).
 */
export type CodistillTeacher = 'peers' | 'ensemble';

export interface CodistillOptions {
  localEpochs: number;
  learningRate: number;
  /**
   * When set, each round's learning rate follows one cosine from `learningRate` down to `minLr`
   * (SGDR restarted each round, as esp-clr): every share is a low-LR snapshot. Absent: constant.
   */
  minLr?: number;
  /** Default `peers`. */
  teacher?: CodistillTeacher;
  temperature: number;
  /** Weight of the distillation term beside the local cross-entropy (after the ramp). */
  weight: number;
  numClasses: number;
  /** Rounds of local training alone before the first distillation (>= 1: round 0 has no teacher). */
  warmupRounds?: number;
  /** Rounds over which the weight grows linearly to `weight` (1: the full weight at once). */
  rampRounds?: number;
}

export const CODISTILL_DEFAULTS = {
  warmupRounds: 1,
  rampRounds: 1,
  teacher: 'peers' as CodistillTeacher,
} as const;

export class Codistill implements FederatedAlgorithm {
  readonly name = 'codistill' as const;
  readonly shares = 'predictions' as const;
  private readonly warmup: number;
  private readonly ramp: number;
  private readonly teacher: CodistillTeacher;

  constructor(private readonly o: CodistillOptions) {
    positiveInteger('localEpochs', o.localEpochs);
    positiveNumber('learningRate', o.learningRate);
    positiveNumber('temperature', o.temperature);
    if (!(o.weight >= 0 && Number.isFinite(o.weight)))
      throw ValidationError.field('distillationWeight', `must be >= 0, got ${o.weight}`);
    positiveInteger('numClasses', o.numClasses);
    this.warmup = positiveInteger(
      'warmupRounds',
      o.warmupRounds ?? CODISTILL_DEFAULTS.warmupRounds,
    );
    this.ramp = positiveInteger('rampRounds', o.rampRounds ?? CODISTILL_DEFAULTS.rampRounds);
    if (o.minLr !== undefined && !(o.minLr >= 0 && o.minLr < o.learningRate))
      throw ValidationError.field('minLr', `must be in [0, learningRate), got ${o.minLr}`);
    this.teacher = o.teacher ?? CODISTILL_DEFAULTS.teacher;
    if (this.teacher !== 'peers' && this.teacher !== 'ensemble')
      throw ValidationError.field(
        'teacher',
        `must be peers or ensemble, got ${String(this.teacher)}`,
      );
  }

  rounds(totalEpochs: number): number {
    return Math.ceil(positiveInteger('epochs', totalEpochs) / this.o.localEpochs);
  }

  /** Burn-in rounds train alone; then the weight ramps: weight * min(1, (r - warmup + 1) / ramp). */
  localPlan(round: number): LocalPlan {
    const after = round - this.warmup + 1;
    return {
      epochs: this.o.localEpochs,
      learningRate: this.o.learningRate,
      schedule:
        this.o.minLr === undefined ? { kind: 'constant' } : { kind: 'cosine', minLr: this.o.minLr },
      mixupAlpha: null,
      distillation:
        after <= 0
          ? null
          : {
              temperature: this.o.temperature,
              weight: this.o.weight * Math.min(1, after / this.ramp),
            },
      startFromGlobal: false,
    };
  }

  /**
   * Every site's teacher: the accuracy-weighted ensemble of its peers' p_T (see the file comment).
   * Sites that report no accuracy count only when none does (then all weigh the same). A site
   * whose peers weigh nothing (all at or below chance, or it is alone) gets no teacher and trains
   * alone that round.
   */
  aggregate(shares: readonly SiteShare[]): RoundAggregate {
    const k = this.o.numClasses;
    const probs = shares.map((s) => {
      if (!s.logits) throw ValidationError.field(`updates.${s.site}.logits`, 'is missing');
      return softmaxRows(s.logits, k, this.o.temperature);
    });
    const length = probs[0]?.length ?? 0;
    if (probs.some((p) => p.length !== length))
      throw ValidationError.field('updates', 'logits differ in shape');
    const weights = teacherWeights(shares, k);
    if (this.teacher === 'ensemble') return ensembleTeachers(shares, probs, weights);
    const reported = shares.some((s) => s.accuracy !== undefined);
    const teachers = new Map<string, Float32Array>();
    const scales = new Map<string, number>();
    shares.forEach((s, self) => {
      const total = weights.reduce((a, w, j) => (j === self ? a : a + w), 0);
      if (total <= 0) return;
      const t = new Float32Array(length);
      let quality = 0;
      probs.forEach((p, j) => {
        const a = j === self ? 0 : weights[j] / total;
        quality += a * weights[j];
        if (a > 0) for (let i = 0; i < length; i++) t[i] += a * p[i];
      });
      teachers.set(s.site, t);
      // A site better than its teacher learns from it in proportion (teacher's accuracy above
      // chance over its own): a near-chance peer barely moves a good site.
      const own = weights[self];
      if (reported && own > 0) scales.set(s.site, Math.min(1, quality / own));
    });
    return { kind: 'predictions', teachers, scales };
  }
}

/**
 * The ensemble teacher: sum_j w_j p_j / sum_j w_j over every accepted site, the site's own
 * predictions included, the same for all sites, at full weight (no `s_i`: the ensemble is meant
 * to be better than each member). Nothing to teach when every weight is 0 (all at chance).
 */
export function ensembleTeachers(
  shares: readonly SiteShare[],
  probs: readonly Float32Array[],
  weights: readonly number[],
): RoundAggregate {
  const total = weights.reduce((a, w) => a + w, 0);
  const teachers = new Map<string, Float32Array>();
  if (total <= 0) return { kind: 'predictions', teachers };
  const t = new Float32Array(probs[0].length);
  probs.forEach((p, j) => {
    const a = weights[j] / total;
    if (a > 0) for (let i = 0; i < t.length; i++) t[i] += a * p[i];
  });
  for (const s of shares) teachers.set(s.site, t);
  return { kind: 'predictions', teachers };
}

/** max(0, acc - 1/k) per share; all 1 when no share reports a usable accuracy. */
export function teacherWeights(shares: readonly SiteShare[], k: number): number[] {
  const known = (a: number | undefined): a is number =>
    a !== undefined && Number.isFinite(a) && a >= 0 && a <= 1;
  if (!shares.some((s) => known(s.accuracy))) return shares.map(() => 1);
  return shares.map((s) => (known(s.accuracy) ? Math.max(0, s.accuracy - 1 / k) : 0));
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
