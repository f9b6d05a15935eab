import type { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';

export interface KMeansResult {
  centres: number[][];
  assignment: number[];
  inertia: number;
}

function dist2(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

function nearest(p: readonly number[], centres: readonly number[][]): [number, number] {
  let best = 0;
  let bestD = Infinity;
  centres.forEach((c, i) => {
    const d = dist2(p, c);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return [best, bestD];
}

/**
 * k-means with k-means++ seeding (Arthur & Vassilvitskii 2007: each next centre drawn with
 * probability proportional to D(x)^2) followed by Lloyd iterations until no assignment changes.
 * An empty cluster is re-seeded at the point farthest from its centre.
 */
export function kMeans(
  points: readonly number[][],
  k: number,
  rng: Rng,
  maxIterations = 100,
): KMeansResult {
  if (points.length === 0) throw ValidationError.field('points', 'must not be empty');
  if (!Number.isInteger(k) || k < 1)
    throw ValidationError.field('k', `must be a positive integer, got ${k}`);
  const kk = Math.min(k, points.length);
  const centres: number[][] = [points[rng.int(0, points.length - 1)].slice()];
  const d2 = points.map((p) => dist2(p, centres[0]));
  while (centres.length < kk) {
    const total = d2.reduce((s, v) => s + v, 0);
    const idx = total > 0 ? rng.weightedIndex(d2) : rng.int(0, points.length - 1);
    centres.push(points[idx].slice());
    points.forEach((p, i) => (d2[i] = Math.min(d2[i], dist2(p, centres[centres.length - 1]))));
  }
  let assignment = points.map(() => -1);
  for (let it = 0; it < maxIterations; it++) {
    const next = points.map((p) => nearest(p, centres)[0]);
    const changed = next.some((a, i) => a !== assignment[i]);
    assignment = next;
    if (!changed) break;
    const dim = points[0].length;
    const sums = centres.map(() => new Array<number>(dim + 1).fill(0));
    points.forEach((p, i) => {
      const s = sums[assignment[i]];
      for (let j = 0; j < dim; j++) s[j] += p[j];
      s[dim] += 1;
    });
    sums.forEach((s, c) => {
      if (s[dim] > 0) {
        centres[c] = s.slice(0, dim).map((v) => v / s[dim]);
      } else {
        let far = 0;
        let farD = -1;
        points.forEach((p, i) => {
          const d = dist2(p, centres[assignment[i]]);
          if (d > farD) {
            farD = d;
            far = i;
          }
        });
        centres[c] = points[far].slice();
      }
    });
  }
  let inertia = 0;
  points.forEach((p, i) => (inertia += dist2(p, centres[assignment[i]])));
  return { centres, assignment, inertia };
}
