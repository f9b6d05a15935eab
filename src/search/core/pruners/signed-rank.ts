/**
 * One-sided Wilcoxon signed-rank test, reproducing scipy.stats.wilcoxon (1.10) with
 * zero_method="zsplit" and correction=False, as Optuna's WilcoxonPruner calls it: the exact null
 * distribution when n <= 50 and no difference is zero, the normal approximation (with the tie
 * correction of the variance) otherwise. With tied |d| the exact branch truncates the average-rank
 * statistic to an integer, as scipy does.
 */
import { normalCdf } from '../gp/normal-tail';

export type Alternative = 'greater' | 'less';

/** p-value of H1 "the differences are shifted towards `alternative`". */
export function wilcoxonSignedRank(d: readonly number[], alternative: Alternative): number {
  const n = d.length;
  if (n === 0) return NaN;
  const ranks = averageRanks(d.map(Math.abs));
  let rPlus = 0;
  let rZero = 0;
  let zeros = 0;
  d.forEach((v, i) => {
    if (v > 0) rPlus += ranks[i];
    else if (v === 0) {
      rZero += ranks[i];
      zeros++;
    }
  });
  rPlus += rZero / 2;
  if (n <= 50 && zeros === 0) {
    const pmf = signedRankPmf(n);
    const t = Math.trunc(rPlus);
    let p = 0;
    if (alternative === 'greater') for (let s = t; s < pmf.length; s++) p += pmf[s];
    else for (let s = 0; s <= t; s++) p += pmf[s];
    return Math.min(Math.max(p, 0), 1);
  }
  const mean = (n * (n + 1)) / 4;
  let variance = n * (n + 1) * (2 * n + 1);
  for (const c of tieCounts(ranks)) variance -= 0.5 * c * (c * c - 1);
  const z = (rPlus - mean) / Math.sqrt(variance / 24);
  return alternative === 'greater' ? normalCdf(-z) : normalCdf(z);
}

/** P(R+ = s) under H0 for s = 0 .. n(n+1)/2: subset sums of {1..n}, each with probability 2^-n. */
function signedRankPmf(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  let counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    const next = Float64Array.from(counts);
    for (let s = k; s <= max; s++) next[s] += counts[s - k];
    counts = next;
  }
  const total = 2 ** n;
  return counts.map((c) => c / total);
}

/** Ranks 1..n with ties sharing their average rank (scipy's rankdata 'average'). */
function averageRanks(v: readonly number[]): number[] {
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const ranks = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]] === v[order[i]]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/** Sizes of the groups of equal ranks that have more than one member. */
function tieCounts(ranks: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.values()].filter((c) => c > 1);
}
