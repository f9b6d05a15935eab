/**
 * NSGA-III (Deb & Jain 2014, "An Evolutionary Many-Objective Optimization Algorithm Using
 * Reference-Point-Based Nondominated Sorting Approach, Part I"), as Optuna's NSGAIIISampler:
 * NSGA-II's generations, tournament, crossover and mutation, with the front that does not fit
 * whole cut by reference-point niching instead of crowding distance:
 *  1. normalise the selected members and the last front (Section IV-C): translate by the ideal
 *     point, find the extreme point of each axis by the achievement scalarising function, take the
 *     intercepts of the hyperplane through them (the front's nadir when that is degenerate);
 *  2. associate each member with the closest reference line (Das & Dennis 1998 points on the unit
 *     simplex, `dividingParameter` divisions per objective);
 *  3. fill the remaining places one at a time from the least crowded reference line: its closest
 *     last-front member when no selected member is on it yet, otherwise a random one.
 * The random choices use a generator seeded by the pool's trial numbers, so survivors are a
 * function of the history, like everything else the sampler rebuilds.
 */
import { Rng } from '../../../platform/core/rng';
import { toMinimize } from '../multi-objective';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { Nsga2Sampler, Ranked } from './nsga2';

export class Nsga3Sampler extends Nsga2Sampler {
  override readonly name: string = 'nsga3';
  protected override readonly generationKey: string = 'nsga3:generation';
  private readonly divisions: number;
  private readonly refCache = new Map<number, number[][]>();

  constructor(settings: unknown = {}) {
    super(settings, ['dividingParameter']);
    this.divisions = new SettingsReader(settings).int('dividingParameter', 3, 1, 100);
  }

  protected override cutLastFront(
    chosen: readonly Ranked[],
    members: Ranked[],
    need: number,
    view: StudyView,
  ): Ranked[] {
    const all = [...chosen, ...members];
    const m = view.directions.length;
    const f = normalise(all.map((r) => toMinimize(r.trial.values as number[], view.directions)));
    const refs = this.referencePoints(m);
    const assoc = f.map((p) => closestReference(p, refs));
    const niche = new Array<number>(refs.length).fill(0);
    for (let i = 0; i < chosen.length; i++) niche[assoc[i].ref]++;
    const rng = new Rng(`nsga3:${all.map((r) => r.trial.number).join(',')}`);
    const open = new Set(refs.map((_, j) => j));
    const left = new Set(members.map((_, k) => chosen.length + k));
    const out: Ranked[] = [];
    while (out.length < need && open.size) {
      let min = Infinity;
      for (const j of open) min = Math.min(min, niche[j]);
      const least = [...open].filter((j) => niche[j] === min);
      const j = least[rng.int(0, least.length - 1)];
      const onJ = [...left].filter((i) => assoc[i].ref === j);
      if (onJ.length === 0) {
        open.delete(j);
        continue;
      }
      const pick =
        niche[j] === 0
          ? onJ.reduce((a, b) => (assoc[b].distance < assoc[a].distance ? b : a))
          : onJ[rng.int(0, onJ.length - 1)];
      out.push(all[pick]);
      left.delete(pick);
      niche[j]++;
    }
    return out;
  }

  /** Das-Dennis points: every w >= 0 with sum 1 on a grid of 1 / divisions. */
  referencePoints(m: number): number[][] {
    let pts = this.refCache.get(m);
    if (!pts) {
      pts = dasDennis(m, this.divisions);
      this.refCache.set(m, pts);
    }
    return pts;
  }
}

export function dasDennis(m: number, p: number): number[][] {
  const out: number[][] = [];
  const rec = (prefix: number[], left: number) => {
    if (prefix.length === m - 1) {
      out.push([...prefix, left].map((v) => v / p));
      return;
    }
    for (let k = 0; k <= left; k++) rec([...prefix, k], left - k);
  };
  rec([], p);
  return out;
}

/** Deb & Jain 2014, Section IV-C: translate by the ideal point, divide by the intercepts. */
export function normalise(points: number[][]): number[][] {
  const m = points[0].length;
  const ideal = Array.from({ length: m }, (_, j) => Math.min(...points.map((p) => p[j])));
  const t = points.map((p) => p.map((v, j) => v - ideal[j]));
  const extremes = Array.from({ length: m }, (_, axis) => {
    let best = t[0];
    let bestAsf = Infinity;
    for (const p of t) {
      const asf = Math.max(...p.map((v, j) => v / (j === axis ? 1 : 1e-6)));
      if (asf < bestAsf) {
        bestAsf = asf;
        best = p;
      }
    }
    return best;
  });
  const nadir = Array.from({ length: m }, (_, j) => Math.max(...t.map((p) => p[j])));
  const b = solve(extremes, new Array<number>(m).fill(1));
  const intercepts = Array.from({ length: m }, (_, j) => {
    const a = b ? 1 / b[j] : NaN;
    if (Number.isFinite(a) && a > 1e-10) return a;
    return nadir[j] > 1e-10 ? nadir[j] : 1;
  });
  return t.map((p) => p.map((v, j) => v / intercepts[j]));
}

export function closestReference(
  p: readonly number[],
  refs: readonly number[][],
): { ref: number; distance: number } {
  let ref = 0;
  let distance = Infinity;
  refs.forEach((w, j) => {
    const ww = w.reduce((s, v) => s + v * v, 0);
    const proj = w.reduce((s, v, k) => s + v * p[k], 0) / ww;
    let d2 = 0;
    for (let k = 0; k < p.length; k++) d2 += (p[k] - proj * w[k]) ** 2;
    if (d2 < distance) {
      distance = d2;
      ref = j;
    }
  });
  return { ref, distance: Math.sqrt(distance) };
}

/** Gaussian elimination with partial pivoting; undefined when singular. */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    if (Math.abs(m[piv][c]) < 1e-12) return undefined;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}
