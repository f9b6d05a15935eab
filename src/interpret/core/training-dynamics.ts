import { ValidationError } from '../../platform/errors/domain-error';

/** What a training loop records for one sample at the end of one epoch. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  /** Logit of the label the sample carries in the training set (possibly wrong). */
  assignedLogit: number;
  /** Largest logit among the other classes. */
  largestOtherLogit: number;
  /** Whether the prediction equalled the assigned label. */
  correct: boolean;
  /** Assigned label and predicted class, when the recorder stored them. */
  label?: number;
  predicted?: number;
}

export interface SampleDynamics {
  id: string;
  epochs: readonly EpochRecord[];
}

export type DynamicsMethod = 'aum' | 'forgetting' | 'loss' | 'combined';
export const DYNAMICS_METHODS: readonly DynamicsMethod[] = [
  'aum',
  'forgetting',
  'loss',
  'combined',
];

/** How each ranking is computed, with its reference (the API returns it with the ranking). */
export const DYNAMICS_METHOD_DESCRIPTIONS: Record<DynamicsMethod, string> = {
  aum:
    'area under the margin (Pleiss et al., NeurIPS 2020): mean over epochs of the assigned ' +
    "label's logit minus the largest other logit; score = -AUM, a mislabelled sample keeps a low " +
    'or negative margin',
  forgetting:
    'forgetting events (Toneva et al., ICLR 2019): correct -> incorrect transitions between ' +
    'consecutive epochs; never-learned samples rank first (epochs + 1)',
  loss: 'mean training loss over epochs (small-loss criterion, Han et al. 2018, read the other way round)',
  combined: 'Borda count: the mean rank position under aum, forgetting and loss',
};

export interface SuspectScore {
  id: string;
  rank: number;
  /** Suspicion under the chosen method: larger is more suspicious. */
  score: number;
  /** Area under the margin: mean of assignedLogit - largestOtherLogit over epochs. */
  aum: number;
  /** Number of correct -> incorrect transitions between consecutive epochs. */
  forgettingEvents: number;
  /** Never classified as its assigned label in any epoch. */
  neverLearned: boolean;
  meanLoss: number;
  /** The sample's label and the class predicted at its last epoch, when recorded. */
  label?: number;
  predicted?: number;
}

interface Stats {
  id: string;
  aum: number;
  forgettingEvents: number;
  neverLearned: boolean;
  meanLoss: number;
  label?: number;
  predicted?: number;
}

function statsOf(s: SampleDynamics, i: number): Stats {
  if (s.epochs.length === 0)
    throw ValidationError.field(`samples[${i}].epochs`, 'must not be empty');
  const epochs = [...s.epochs].sort((a, b) => a.epoch - b.epoch);
  let aum = 0;
  let loss = 0;
  let forgetting = 0;
  let learned = false;
  epochs.forEach((e, k) => {
    if (![e.loss, e.assignedLogit, e.largestOtherLogit].every(Number.isFinite)) {
      throw ValidationError.field(
        `samples[${i}].epochs[${k}]`,
        'loss and logits must be finite numbers',
      );
    }
    aum += e.assignedLogit - e.largestOtherLogit;
    loss += e.loss;
    if (e.correct) learned = true;
    if (k > 0 && epochs[k - 1].correct && !e.correct) forgetting++;
  });
  const last = epochs[epochs.length - 1];
  return {
    id: s.id,
    aum: aum / epochs.length,
    forgettingEvents: forgetting,
    neverLearned: !learned,
    meanLoss: loss / epochs.length,
    ...(last.label !== undefined ? { label: last.label } : {}),
    ...(last.predicted !== undefined ? { predicted: last.predicted } : {}),
  };
}

/** Rank position (0 = most suspicious) of every sample under one score, larger = more suspicious. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v || a.i - b.i);
  const r = new Array<number>(values.length);
  order.forEach((e, k) => (r[e.i] = k));
  return r;
}

/**
 * Ranks training samples by how likely their label is wrong, from per-epoch training records.
 * - `aum`: area under the margin (Pleiss et al., NeurIPS 2020): the margin assigned logit minus
 *   largest other logit, averaged over epochs; a mislabelled sample keeps a low or negative
 *   margin because its features pull towards its true class. Score = -AUM.
 * - `forgetting`: forgetting events (Toneva et al., ICLR 2019): transitions from correct to
 *   incorrect; samples never learned count as forgotten infinitely often, as in the paper (here
 *   number of epochs + 1 so the score stays finite).
 * - `loss`: mean training loss over epochs (the small-loss criterion of co-teaching,
 *   Han et al. 2018, read the other way round).
 * - `combined`: Borda count, the mean rank position under the three scores.
 * Ties break by higher mean loss, then input order.
 */
export function rankSuspects(
  samples: readonly SampleDynamics[],
  method: DynamicsMethod = 'aum',
): SuspectScore[] {
  if (!DYNAMICS_METHODS.includes(method)) {
    throw ValidationError.field(
      'method',
      `must be one of ${DYNAMICS_METHODS.join(', ')}, got ${String(method)}`,
    );
  }
  const stats = samples.map(statsOf);
  const forgettingScore = stats.map((s, i) =>
    s.neverLearned ? samples[i].epochs.length + 1 : s.forgettingEvents,
  );
  const aumScore = stats.map((s) => -s.aum);
  const lossScore = stats.map((s) => s.meanLoss);
  let score: number[];
  if (method === 'aum') score = aumScore;
  else if (method === 'forgetting') score = forgettingScore;
  else if (method === 'loss') score = lossScore;
  else {
    const r = [ranks(aumScore), ranks(forgettingScore), ranks(lossScore)];
    score = stats.map((_, i) => -(r[0][i] + r[1][i] + r[2][i]) / 3);
  }
  const order = stats
    .map((s, i) => ({ s, i }))
    .sort((a, b) => score[b.i] - score[a.i] || b.s.meanLoss - a.s.meanLoss || a.i - b.i);
  return order.map(({ s, i }, rank) => ({ ...s, rank, score: score[i] }));
}

/** Fraction of the top k ranked ids that are in `positives` (precision@k). */
export function precisionAtK(
  ranked: readonly { id: string }[],
  positives: ReadonlySet<string>,
  k: number,
): number {
  if (!Number.isInteger(k) || k < 1)
    throw ValidationError.field('k', `must be a positive integer, got ${k}`);
  const top = ranked.slice(0, k);
  return top.filter((r) => positives.has(r.id)).length / k;
}
