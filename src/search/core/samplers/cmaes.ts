/**
 * CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016: (mu/mu_w, lambda) with
 * cumulative step-size adaptation, rank-one and rank-mu updates) with IPOP restarts (Auger &
 * Hansen 2005: on stagnation, restart with twice the population). Like Optuna's CmaEsSampler it
 * works in the unit cube of the numeric parameters (log-scaled where log), starts at the centre (or
 * at `x0`, a warm start) with sigma0 = 1/6 of the range, resamples out-of-bounds candidates (then
 * clips) and rounds int / stepped parameters. Restarts after the first begin at a seeded random
 * point. Categorical parameters, and
 * parameters outside the joint space, are sampled independently at random.
 *
 * The optimiser state is never stored: each trial records its (restart, generation), and the
 * state is rebuilt deterministically by replaying complete generations in trial-number order, so
 * any worker (or a restarted process) reaches the same state from the same history.
 */
import { Rng } from '../../../platform/core/rng';
import {
  Distribution,
  NumericDistribution,
  ParamValue,
  fromUnit,
  isSingle,
  toUnit,
} from '../distributions';
import { SettingsReader } from '../settings';
import { unconditionalDistributions } from '../space';
import { StudyView } from '../study-view';
import { FrozenTrial, violation } from '../trial';
import { ValidationError } from '../../../platform/errors/domain-error';
import { sampleUniform } from './random';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from '../sampler';
import { FinishedIntersection } from './tpe';

const RESTART = 'cma:restart';
const GENERATION = 'cma:generation';

export class CmaEsSampler implements Sampler {
  readonly name = 'cmaes';
  private readonly seed: number;
  private readonly rng: Rng;
  private readonly sigma0: number;
  private readonly popsize?: number;
  private readonly restarts: boolean;
  private readonly incPopsize: number;
  private readonly x0?: Record<string, number>;
  private cache = new Map<string, Replay>();
  private readonly intersection = new FinishedIntersection(['complete']);

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.seed = s.int('seed', 0);
    this.sigma0 = s.number('sigma0', 1 / 6, { min: 0, max: 1, exclusiveMin: true });
    const p = s.int('popsize', 0, 0, 100000);
    this.popsize = p === 0 ? undefined : p;
    if (this.popsize !== undefined && this.popsize < 2)
      throw ValidationError.field('popsize', `must be >= 2, got ${p}`);
    this.restarts = s.oneOf('restartStrategy', 'ipop', ['ipop', 'none']) === 'ipop';
    this.incPopsize = s.int('incPopsize', 2, 1, 10);
    this.x0 = readX0(s.value('x0'));
    s.done();
    this.rng = new Rng(this.seed);
  }

  sampleRelative(view: StudyView, _trial: FrozenTrial): RelativeSample {
    const space = numericSpace(view, this.intersection);
    const names = Object.keys(space).sort();
    if (names.length === 0) return EMPTY_SAMPLE;
    const key = `${view.studyId}|${names.join(',')}`;
    let replay = this.cache.get(key);
    if (!replay) {
      replay = new Replay(
        names,
        space,
        this.sigma0,
        this.popsize,
        this.restarts,
        this.incPopsize,
        this.seed,
        names.map((n) => (this.x0 && n in this.x0 ? toUnit(space[n], this.x0[n]) : 0.5)),
      );
      this.cache.set(key, replay);
    }
    replay.advance(view.trials, view.directions[0] === 'maximize' ? -1 : 1);
    const x = replay.es.ask(this.rng);
    const params: RelativeSample['params'] = {};
    names.forEach(
      (n, i) => (params[n] = { distribution: space[n], value: fromUnit(space[n], x[i]) }),
    );
    return {
      params,
      systemAttrs: { [RESTART]: replay.restart, [GENERATION]: replay.es.generation },
    };
  }

  sampleIndependent(
    _view: StudyView,
    _trial: FrozenTrial,
    _name: string,
    d: Distribution,
  ): ParamValue {
    return sampleUniform(this.rng, d);
  }
}

/** `x0`: the initial mean as parameter values (a warm start), e.g. {lr: 0.01, layers: 3}. */
function readX0(raw: unknown): Record<string, number> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw ValidationError.field('x0', 'must be an object of parameter name -> number');
  for (const [k, v] of Object.entries(raw))
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw ValidationError.field(`x0.${k}`, `must be a finite number, got ${JSON.stringify(v)}`);
  return raw as Record<string, number>;
}

function numericSpace(
  view: StudyView,
  intersection: FinishedIntersection,
): Record<string, NumericDistribution> {
  const all = view.space ? unconditionalDistributions(view.space) : intersection.of(view);
  const out: Record<string, NumericDistribution> = {};
  for (const [n, d] of Object.entries(all))
    if (d.type !== 'categorical' && !isSingle(d)) out[n] = d;
  return out;
}

/** Rebuilds the optimiser from history: consumes complete generations in order. */
class Replay {
  restart = 0;
  es: Cma;
  private lambda: number;

  constructor(
    private readonly names: string[],
    private readonly space: Record<string, NumericDistribution>,
    private readonly sigma0: number,
    popsize: number | undefined,
    private readonly restarts: boolean,
    private readonly incPopsize: number,
    private readonly seed: number,
    mean0: number[],
  ) {
    this.lambda = popsize ?? 4 + Math.floor(3 * Math.log(names.length));
    this.es = new Cma(
      mean0.map((m) => Math.min(Math.max(m, 0), 1)),
      sigma0,
      this.lambda,
    );
  }

  /** Complete trials by `restart/generation`; each finished trial is filed once (it never changes). */
  private readonly byGeneration = new Map<string, FrozenTrial[]>();
  private filed = new Uint8Array(1024);

  advance(trials: readonly FrozenTrial[], sign: number): void {
    for (const t of trials) {
      if (t.number < this.filed.length && this.filed[t.number]) continue;
      if (t.state === 'running') continue;
      if (t.number >= this.filed.length) {
        const grown = new Uint8Array(Math.max(2 * this.filed.length, t.number + 1));
        grown.set(this.filed);
        this.filed = grown;
      }
      this.filed[t.number] = 1;
      const r = t.systemAttrs[RESTART];
      const g = t.systemAttrs[GENERATION];
      if (r === undefined || g === undefined || t.state !== 'complete') continue;
      if (!this.names.every((n) => Object.hasOwn(t.params, n))) continue;
      const key = `${r as number}/${g as number}`;
      const list = this.byGeneration.get(key);
      if (list) list.push(t);
      else this.byGeneration.set(key, [t]);
    }
    for (;;) {
      const gen = (this.byGeneration.get(`${this.restart}/${this.es.generation}`) ?? [])
        .slice()
        .sort((a, b) => a.number - b.number);
      if (gen.length < this.lambda) return;
      const chosen = gen.slice(0, this.lambda);
      // Constraint handling: infeasible solutions rank after feasible ones, by violation.
      const ranked = chosen
        .map((t) => ({ t, v: violation(t), f: sign * (t.values as number[])[0] }))
        .sort((a, b) => a.v - b.v || a.f - b.f);
      this.es.tell(
        ranked.map(({ t }) => this.names.map((n) => toUnit(this.space[n], t.params[n] as number))),
        ranked[0].f,
      );
      if (this.restarts && this.es.shouldStop()) {
        this.restart++;
        this.lambda *= this.incPopsize;
        const rng = new Rng(this.seed).fork(`cma-restart-${this.restart}`);
        this.es = new Cma(
          this.names.map(() => rng.float()),
          this.sigma0,
          this.lambda,
        );
      }
    }
  }
}

/** Plain CMA-ES state in [0, 1]^n (Hansen 2016, Table 1 defaults). */
export class Cma {
  generation = 0;
  private readonly n: number;
  private readonly mu: number;
  private readonly weights: number[];
  private readonly mueff: number;
  private readonly cc: number;
  private readonly cs: number;
  private readonly c1: number;
  private readonly cmu: number;
  private readonly damps: number;
  private readonly chiN: number;
  private mean: number[];
  private sigma: number;
  private C: number[][];
  private B: number[][];
  private D: number[];
  private pc: number[];
  private ps: number[];
  private readonly history: number[] = [];

  constructor(
    mean: number[],
    sigma: number,
    readonly lambda: number,
  ) {
    const n = mean.length;
    this.n = n;
    this.mean = mean.slice();
    this.sigma = sigma;
    this.mu = Math.floor(lambda / 2);
    const raw = Array.from(
      { length: this.mu },
      (_, i) => Math.log(this.mu + 0.5) - Math.log(i + 1),
    );
    const sum = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / sum);
    this.mueff = 1 / this.weights.reduce((a, w) => a + w * w, 0);
    const me = this.mueff;
    this.cc = (4 + me / n) / (n + 4 + (2 * me) / n);
    this.cs = (me + 2) / (n + me + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + me);
    this.cmu = Math.min(1 - this.c1, (2 * (me - 2 + 1 / me)) / ((n + 2) ** 2 + me));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((me - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.C = identity(n);
    this.B = identity(n);
    this.D = new Array<number>(n).fill(1);
    this.pc = new Array<number>(n).fill(0);
    this.ps = new Array<number>(n).fill(0);
  }

  /** One candidate inside [0, 1]^n: resampled up to 100 times, then clipped. */
  ask(rng: Rng): number[] {
    let x: number[] = this.mean;
    for (let tries = 0; tries < 100; tries++) {
      const z = Array.from({ length: this.n }, () => rng.normal());
      const y = matVec(
        this.B,
        z.map((v, i) => v * this.D[i]),
      );
      x = this.mean.map((m, i) => m + this.sigma * y[i]);
      if (x.every((v) => v >= 0 && v <= 1)) return x;
    }
    return x.map((v) => Math.min(Math.max(v, 0), 1));
  }

  /** Updates from one generation's solutions, sorted best first; `bestF` feeds the TolFun test. */
  tell(sortedX: number[][], bestF: number): void {
    const n = this.n;
    this.history.push(bestF);
    const old = this.mean;
    const ys = sortedX.slice(0, this.mu).map((x) => x.map((v, i) => (v - old[i]) / this.sigma));
    const yw = new Array<number>(n).fill(0);
    ys.forEach((y, k) => y.forEach((v, i) => (yw[i] += this.weights[k] * v)));
    this.mean = old.map((m, i) => m + this.sigma * yw[i]);
    // C^(-1/2) yw = B D^-1 B^T yw
    const bt = matVec(transpose(this.B), yw).map((v, i) => v / this.D[i]);
    const cInvHalfYw = matVec(this.B, bt);
    const csn = Math.sqrt(this.cs * (2 - this.cs) * this.mueff);
    this.ps = this.ps.map((p, i) => (1 - this.cs) * p + csn * cInvHalfYw[i]);
    const psNorm = Math.hypot(...this.ps);
    const hsig =
      psNorm / Math.sqrt(1 - (1 - this.cs) ** (2 * (this.generation + 1))) <
      (1.4 + 2 / (n + 1)) * this.chiN
        ? 1
        : 0;
    const ccn = Math.sqrt(this.cc * (2 - this.cc) * this.mueff);
    this.pc = this.pc.map((p, i) => (1 - this.cc) * p + hsig * ccn * yw[i]);
    const dh = (1 - hsig) * this.cc * (2 - this.cc);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        ys.forEach((y, k) => (rankMu += this.weights[k] * y[i] * y[j]));
        const v =
          (1 - this.c1 - this.cmu) * this.C[i][j] +
          this.c1 * (this.pc[i] * this.pc[j] + dh * this.C[i][j]) +
          this.cmu * rankMu;
        this.C[i][j] = v;
        this.C[j][i] = v;
      }
    }
    this.sigma *= Math.exp(Math.min(1, (this.cs / this.damps) * (psNorm / this.chiN - 1)));
    const { values, vectors } = jacobiEigen(this.C);
    this.D = values.map((v) => Math.sqrt(Math.max(v, 1e-300)));
    this.B = vectors;
    this.generation++;
  }

  /** Stagnation tests from Hansen's tutorial (TolX, TolFun, ConditionCov), scaled to the cube. */
  shouldStop(): boolean {
    const n = this.n;
    const dMax = Math.max(...this.D);
    const dMin = Math.min(...this.D);
    if (dMax / dMin > 1e7) return true;
    if (this.sigma * dMax < 1e-12) return true;
    const window = 10 + Math.ceil((30 * n) / this.lambda);
    if (this.history.length >= window) {
      const recent = this.history.slice(-window);
      if (Math.max(...recent) - Math.min(...recent) < 1e-12) return true;
    }
    return false;
  }
}

function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
}

function transpose(a: number[][]): number[][] {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

function matVec(a: number[][], x: number[]): number[] {
  return a.map((row) => row.reduce((s, v, j) => s + v * x[j], 0));
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (columns of `vectors`). */
export function jacobiEigen(sym: number[][]): { values: number[]; vectors: number[][] } {
  const n = sym.length;
  const a = sym.map((r) => r.slice());
  const v = identity(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]), vectors: v };
}
