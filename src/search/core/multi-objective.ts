/**
 * Multi-objective helpers: Pareto dominance, fast non-dominated sort and crowding distance
 * (Deb et al. 2002, NSGA-II), constrained domination (Deb 2000: feasible beats infeasible, lower
 * violation beats higher) and exact hypervolume by slicing (HSO, While et al. 2006).
 */
import { Direction, FrozenTrial, violation } from './trial';

/** Converts values to "smaller is better" by negating maximised objectives. */
export function toMinimize(values: readonly number[], directions: readonly Direction[]): number[] {
  return values.map((v, i) => (directions[i] === 'maximize' ? -v : v));
}

/** a dominates b (both already in minimisation form). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

/** Rank (0 = non-dominated front) of every point, minimisation form (Deb 2002, fast sort). */
export function nonDominatedRanks(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  const ranks = new Array<number>(n).fill(0);
  if (n === 0) return ranks;
  if (points[0].length === 1) {
    // One objective: the rank is the position among distinct sorted values.
    const sorted = [...new Set(points.map((p) => p[0]))].sort((a, b) => a - b);
    const pos = new Map(sorted.map((v, i) => [v, i]));
    return points.map((p) => pos.get(p[0]) as number);
  }
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = points.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i], points[j])) {
        dominating[i].push(j);
        dominatedBy[j]++;
      } else if (dominates(points[j], points[i])) {
        dominating[j].push(i);
        dominatedBy[i]++;
      }
    }
  }
  let front = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) front.push(i);
  let rank = 0;
  while (front.length) {
    const next: number[] = [];
    for (const i of front) {
      ranks[i] = rank;
      for (const j of dominating[i]) if (--dominatedBy[j] === 0) next.push(j);
    }
    front = next;
    rank++;
  }
  return ranks;
}

/**
 * Ranks under constrained domination: feasible trials by non-dominated sort; infeasible ones
 * after all feasible ranks, ordered by total violation (equal violation, equal rank).
 */
export function constrainedRanks(
  trials: readonly FrozenTrial[],
  directions: readonly Direction[],
): number[] {
  const feasibleIdx: number[] = [];
  const infeasibleIdx: number[] = [];
  trials.forEach((t, i) => (violation(t) > 0 ? infeasibleIdx : feasibleIdx).push(i));
  const ranks = new Array<number>(trials.length).fill(0);
  const fr = nonDominatedRanks(
    feasibleIdx.map((i) => toMinimize(trials[i].values as number[], directions)),
  );
  let maxRank = -1;
  feasibleIdx.forEach((i, k) => {
    ranks[i] = fr[k];
    maxRank = Math.max(maxRank, fr[k]);
  });
  const levels = [...new Set(infeasibleIdx.map((i) => violation(trials[i])))].sort((a, b) => a - b);
  const levelRank = new Map(levels.map((v, k) => [v, maxRank + 1 + k]));
  for (const i of infeasibleIdx) ranks[i] = levelRank.get(violation(trials[i])) as number;
  return ranks;
}

/** Crowding distance of each point within one front (Deb 2002); extremes get Infinity. */
export function crowdingDistance(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  const d = new Array<number>(n).fill(0);
  if (n <= 2) return d.fill(Infinity);
  const m = points[0].length;
  for (let k = 0; k < m; k++) {
    const order = [...points.keys()].sort((a, b) => points[a][k] - points[b][k]);
    const lo = points[order[0]][k];
    const hi = points[order[n - 1]][k];
    d[order[0]] = Infinity;
    d[order[n - 1]] = Infinity;
    if (hi === lo) continue;
    for (let r = 1; r < n - 1; r++) {
      d[order[r]] += (points[order[r + 1]][k] - points[order[r - 1]][k]) / (hi - lo);
    }
  }
  return d;
}

/** The complete trials on the (constrained) Pareto front. */
export function paretoFront(
  trials: readonly FrozenTrial[],
  directions: readonly Direction[],
): FrozenTrial[] {
  const done = trials.filter((t) => t.state === 'complete' && t.values !== undefined);
  const feasible = done.filter((t) => violation(t) === 0);
  const pool = feasible.length ? feasible : [];
  const ranks = nonDominatedRanks(pool.map((t) => toMinimize(t.values as number[], directions)));
  return pool.filter((_, i) => ranks[i] === 0);
}

/**
 * Exact hypervolume dominated by `points` (minimisation) and bounded by `reference`. Points not
 * strictly better than the reference in every objective contribute nothing. 2-D is a sweep
 * (O(n log n)); higher dimensions slice along the last objective (HSO), exact for any dimension
 * and fast enough for the 3-objective fronts the service reports.
 */
export function hypervolume(
  points: readonly (readonly number[])[],
  reference: readonly number[],
): number {
  const d = reference.length;
  const inside = points.filter((p) => p.length === d && p.every((v, i) => v < reference[i]));
  return hv(inside, reference, d);
}

function hv(points: readonly (readonly number[])[], ref: readonly number[], d: number): number {
  if (points.length === 0) return 0;
  if (d === 1) return ref[0] - Math.min(...points.map((p) => p[0]));
  if (d === 2) {
    const s = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let vol = 0;
    let bestY = ref[1];
    for (const p of s) {
      if (p[1] < bestY) {
        vol += (ref[0] - p[0]) * (bestY - p[1]);
        bestY = p[1];
      }
    }
    return vol;
  }
  const s = points.slice().sort((a, b) => a[d - 1] - b[d - 1]);
  let vol = 0;
  for (let i = 0; i < s.length; i++) {
    const top = i + 1 < s.length ? s[i + 1][d - 1] : ref[d - 1];
    const depth = top - s[i][d - 1];
    if (depth <= 0) continue;
    vol += depth * hv(s.slice(0, i + 1), ref, d - 1);
  }
  return vol;
}

/**
 * Indices of the first non-dominated front (minimisation form), in O(n log n + n·|front|):
 * after a lexicographic sort no later point can dominate an earlier one, so each point is only
 * checked against the front kept so far (Kung, Luccio & Preparata 1975, simplified). Used for
 * the Pareto plot of studies with 100k trials, where the O(n²) full sort is too slow.
 */
export function firstFrontIndices(points: readonly (readonly number[])[]): number[] {
  const order = points.map((_, i) => i);
  order.sort((a, b) => {
    for (let k = 0; k < points[a].length; k++)
      if (points[a][k] !== points[b][k]) return points[a][k] - points[b][k];
    return a - b;
  });
  const front: number[] = [];
  for (const i of order) {
    if (front.some((j) => dominates(points[j], points[i]))) continue;
    front.push(i);
  }
  return front.sort((a, b) => a - b);
}
