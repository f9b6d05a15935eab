/**
 * The outcome of a NAS study from its finished trials, wherever they ran: each trial's record
 * (rebuilt from the trial row and what its `nas-trial` job stored, `trialRecordOf`), and the
 * leaderboard, Pareto front, counts and best (`summariseNas`). A reported best or front member
 * never violates a constraint: checked here rather than assumed.
 */
import { Study } from '../../search/core/study';
import { Direction, FrozenTrial, JsonValue, isFeasible, violation } from '../../search/core/trial';
import { NasTrialRecord } from './candidate';
import { frontCosts, nasParetoFront } from './front';
import { ArchitectureCost } from './latency-cost';
import { NasObjective, objectiveDirections } from './objectives';

/** Finished trials by outcome; `infeasible` are complete trials that break a constraint. */
export interface NasTrialCounts {
  complete: number;
  infeasible: number;
  pruned: number;
  failed: number;
  /** Candidates over a params / FLOPs budget re-drawn before they became trials. */
  rejectedDraws: number;
}

export interface NasResult {
  directions: Direction[];
  trials: NasTrialRecord[];
  counts: NasTrialCounts;
  /**
   * Complete trials, best first: feasible ones by the objectives in order (accuracy, then the
   * costs for multi), then infeasible ones by total violation (constrained domination, Deb
   * 2000), marked `feasible: false`.
   */
  leaderboard: NasTrialRecord[];
  /** The search's Pareto front (front.ts): feasible, accuracy vs the search's costs. */
  paretoFront: NasTrialRecord[];
  best?: NasTrialRecord;
  stoppedBy: 'completed' | 'cancelled' | 'timeout';
}

/** What a trial job keeps of its record (user attr `nas`); the rest is in the trial row. */
type StoredRecord = Pick<
  NasTrialRecord,
  'accuracy' | 'feasible' | 'epochsTrained' | 'valAccuracyPerEpoch' | 'inheritedLayers'
>;

/**
 * Leaderboard, Pareto front, counts and best of finished trials (`records` by number; trials
 * without a record are left out). Shared by runNas and the `nas` job, which builds the records
 * from the PostgreSQL study.
 */
export function summariseNas(
  records: NasTrialRecord[],
  trials: FrozenTrial[],
  objective: NasObjective,
  stoppedBy: NasResult['stoppedBy'],
): NasResult {
  const directions = objectiveDirections(objective);
  const byNumber = new Map(records.map((r) => [r.number, r]));
  // Objectives in order, each in its direction: with accuracy first and costs after (multi), of
  // two equally accurate architectures the cheaper ranks higher, not the one found first.
  const lexicographic = (a: FrozenTrial, b: FrozenTrial): number => {
    for (const [i, d] of directions.entries()) {
      const diff = (a.values as number[])[i] - (b.values as number[])[i];
      if (diff !== 0) return d === 'maximize' ? -diff : diff;
    }
    return 0;
  };
  const leaderboard = trials
    .filter((t) => t.state === 'complete' && t.values)
    .sort((a, b) => violation(a) - violation(b) || lexicographic(a, b) || a.number - b.number)
    .map((t) => byNumber.get(t.number))
    .filter((r): r is NasTrialRecord => r !== undefined);
  const paretoFront = nasParetoFront(records, frontCosts(objective));
  const best = leaderboard[0]?.feasible ? leaderboard[0] : undefined;
  // The guarantee, checked rather than assumed: no best or front member violates a constraint.
  for (const r of [...(best ? [best] : []), ...paretoFront])
    if ((r.constraints ?? []).some((c) => c > 0))
      throw new Error(`internal error: infeasible trial ${r.number} in the results`);
  const counts: NasTrialCounts = {
    complete: 0,
    infeasible: 0,
    pruned: 0,
    failed: 0,
    rejectedDraws: 0,
  };
  for (const t of trials) {
    const rejected = t.systemAttrs.rejected_draws;
    if (typeof rejected === 'number') counts.rejectedDraws += rejected;
    if (t.state === 'complete') counts[isFeasible(t) ? 'complete' : 'infeasible']++;
    else if (t.state !== 'running') counts[t.state]++;
  }
  return { directions, trials: records, counts, leaderboard, paretoFront, best, stoppedBy };
}

export function storedRecord(r: NasTrialRecord): JsonValue {
  const kept: StoredRecord = {
    feasible: r.feasible,
    epochsTrained: r.epochsTrained,
    valAccuracyPerEpoch: r.valAccuracyPerEpoch,
    inheritedLayers: r.inheritedLayers,
    ...(r.accuracy !== undefined && { accuracy: r.accuracy }),
  };
  return kept as unknown as JsonValue;
}

/** A finished trial's record, rebuilt from the trial row and what its job stored. */
export function trialRecordOf(t: FrozenTrial): NasTrialRecord {
  const kept = (t.userAttrs.nas ?? {}) as Partial<StoredRecord>;
  const parent = t.systemAttrs['evolution:parent'];
  const mutation = t.systemAttrs['evolution:mutation'];
  const error = t.userAttrs.error;
  return {
    number: t.number,
    state: t.state,
    encoding: t.userAttrs.encoding ?? null,
    params: { ...t.params },
    cost: (t.userAttrs.cost as unknown as ArchitectureCost | undefined) ?? { params: 0, flops: 0 },
    ...(kept.accuracy !== undefined && { accuracy: kept.accuracy }),
    ...(t.values && { values: t.values }),
    ...(t.constraints && { constraints: t.constraints }),
    feasible: isFeasible(t),
    epochsTrained: kept.epochsTrained ?? 0,
    valAccuracyPerEpoch: kept.valAccuracyPerEpoch ?? [],
    ...(typeof parent === 'number' && { parent }),
    ...(typeof mutation === 'string' && { mutation }),
    inheritedLayers: kept.inheritedLayers ?? [],
    durationMs: t.finishedAt === undefined ? 0 : t.finishedAt - t.startedAt,
    ...(typeof error === 'string' && { error }),
  };
}

/** Leaderboard and front of the finished trials so far (running ones are left out). */
export async function nasResultOfStudy(
  study: Study,
  objective: NasObjective,
  stoppedBy: NasResult['stoppedBy'],
): Promise<NasResult> {
  const trials = await study.trials();
  const records = trials.filter((t) => t.state !== 'running').map(trialRecordOf);
  return summariseNas(records, trials, objective, stoppedBy);
}
