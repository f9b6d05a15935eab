/**
 * Screening of site updates before they are averaged, and the quorum of a round. The rule (also
 * in docs/collab.md):
 *  1. an update with a wrong shape or a non-finite value (NaN, +-Infinity) is rejected;
 *  2. weights: with d_k = w_k - w_global, an update is rejected when
 *       ||d_k|| > normFactor * median_j ||d_j||   (rounds with >= 3 finite updates; the median is
 *                                                  unmoved by a minority of poisoned sites), or
 *       ||d_k|| > maxRelativeNorm * max(||w_global||, 1)   (an absolute cap, any round size);
 *  3. the round counts when at least `quorum` updates are accepted; else it fails (the caller
 *     retries the round, then fails the federation).
 * A rejected site is left out of the average, never clipped into it.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import type { SiteShare } from './federated-algorithm';
import { allFinite, l2Norm, sameShape, subtract, type WeightSet } from './weights';

export interface ScreeningRule {
  normFactor: number;
  maxRelativeNorm: number;
  quorum: number;
}

/** Named defaults: 10x the median update, 10x the global norm. */
export const DEFAULT_SCREENING: Omit<ScreeningRule, 'quorum'> = {
  normFactor: 10,
  maxRelativeNorm: 10,
};

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
    const relative = finite.length >= 3 ? rule.normFactor * median(norms) : Infinity;
    const absolute = rule.maxRelativeNorm * Math.max(l2Norm(global), 1);
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
