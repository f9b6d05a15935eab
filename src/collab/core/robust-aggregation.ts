/**
 * Screening of site updates before they are averaged, and the quorum of a round. The rule (also
 * in docs/collab.md):
 *  1. an update with a wrong shape or a non-finite value (NaN, +-Infinity) is rejected;
 *  2. weights: with d_k = w_k - w_global and G = max(||w_global||, 1), an update is rejected when
 *       ||d_k|| > max(normFactor * median_j ||d_j||, minRelativeNorm * G)
 *                    (rounds with >= 3 finite updates; the median is unmoved by a minority of
 *                     poisoned sites; the floor keeps it from collapsing at convergence), or
 *       ||d_k|| > maxRelativeNorm * G   (an absolute cap, any round size);
 *  3. the round counts when at least `quorum` updates are accepted; else it fails (the caller
 *     retries the round, then fails the federation).
 * A rejected site is left out of the average, never clipped into it.
 *
 * Why the floor: once the sites have converged their updates shrink (measured in the pool e2e
 * test: norms 0.13-0.23 on a model of norm ~12), so 10x their median is ~2, and an honest site
 * whose update is legitimately larger -- one that rejoins after a missed round, or whose data the
 * global model fits worse (norm 4.8 there) -- was rejected as if it were poisoned. The median
 * rule is meant to catch updates absurd for the model, so it never rejects one smaller than
 * minRelativeNorm (1) times the model's own norm. The model's norm is the yardstick the
 * norm-bounding defences use too (Sun et al., "Can You Really Backdoor Federated Learning?", 2019,
 * bound ||d|| by a fixed M; FLAME, Nguyen et al., USENIX Security 2022, clips at the median norm
 * instead of rejecting). Updates between 1x and 10x the model's norm are still judged by the
 * median, and none above 10x passes (the absolute cap).
 */
import { ValidationError } from '../../platform/errors/domain-error';
import type { SiteShare } from './federated-algorithm';
import { allFinite, l2Norm, sameShape, subtract, type WeightSet } from './weights';

export interface ScreeningRule {
  normFactor: number;
  maxRelativeNorm: number;
  /** The median rule's floor, in units of max(||w_global||, 1) (default 1). */
  minRelativeNorm?: number;
  quorum: number;
}

/** Named defaults: 10x the median update, never below 1x the global norm; cap 10x the global norm. */
export const DEFAULT_SCREENING = {
  normFactor: 10,
  maxRelativeNorm: 10,
  minRelativeNorm: 1,
} as const satisfies Omit<ScreeningRule, 'quorum'>;

export type RejectReason = 'shape' | 'non-finite' | 'norm';

export interface Screened {
  accepted: SiteShare[];
  rejected: { site: string; reason: RejectReason; norm?: number }[];
  /** ||w_k - w_global|| per site (weights updates that had a finite one). */
  updateNorms: Record<string, number>;
  quorumMet: boolean;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function screenUpdates(
  shares: readonly SiteShare[],
  reference: { global?: WeightSet; logitsLength?: number },
  rule: ScreeningRule,
): Screened {
  if (!Number.isInteger(rule.quorum) || rule.quorum < 1)
    throw ValidationError.field('quorum', `must be a positive integer, got ${rule.quorum}`);
  const rejected: Screened['rejected'] = [];
  const finite: SiteShare[] = [];
  for (const s of shares) {
    const reason = structuralProblem(s, reference);
    if (reason) rejected.push({ site: s.site, reason });
    else finite.push(s);
  }
  const updateNorms: Record<string, number> = {};
  let accepted = finite;
  const global = reference.global;
  if (global) {
    for (const s of finite) updateNorms[s.site] = l2Norm(subtract(s.weights as WeightSet, global));
    const norms = finite.map((s) => updateNorms[s.site]);
    const scale = Math.max(l2Norm(global), 1);
    const floor = (rule.minRelativeNorm ?? DEFAULT_SCREENING.minRelativeNorm) * scale;
    const relative =
      finite.length >= 3 ? Math.max(rule.normFactor * median(norms), floor) : Infinity;
    const absolute = rule.maxRelativeNorm * scale;
    accepted = finite.filter((s) => {
      const n = updateNorms[s.site];
      const ok = n <= relative && n <= absolute;
      if (!ok) rejected.push({ site: s.site, reason: 'norm', norm: n });
      return ok;
    });
  }
  return { accepted, rejected, updateNorms, quorumMet: accepted.length >= rule.quorum };
}

function structuralProblem(
  s: SiteShare,
  reference: { global?: WeightSet; logitsLength?: number },
): RejectReason | null {
  if (reference.global) {
    if (!s.weights || !sameShape(s.weights, reference.global)) return 'shape';
    return allFinite(s.weights) ? null : 'non-finite';
  }
  if (
    !s.logits ||
    (reference.logitsLength !== undefined && s.logits.length !== reference.logitsLength)
  )
    return 'shape';
  return allFinite([s.logits]) ? null : 'non-finite';
}
