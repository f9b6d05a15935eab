/**
 * The broad benchmark set the side-by-side comparison with Optuna runs on (bench/search/
 * optuna-side-by-side.ts). Each problem is a formula over a numeric vector x plus a search space
 * whose parameter i yields x[i] (categorical choices are numbers, so one formula serves every
 * space). The formulas, domains and optima follow Surjanovic & Bingham, "Virtual Library of
 * Simulation Experiments: Test Functions and Datasets" (https://www.sfu.ca/~ssurjano/optimization.html);
 * the optima are those values refined to double precision at the argmin (the library rounds them
 * to about 6 digits; each problem cites the rounded value too). bench/search/optuna_runner.py
 * implements the same formulas; the bench checks both agree before it runs.
 */
import {
  Distribution,
  ParamValue,
  categoricalDistribution,
  floatDistribution,
  intDistribution,
} from '../distributions';

export interface SuiteParam {
  name: string;
  distribution: Distribution;
}

export interface SuiteProblem {
  /** Problem name (function + dimension + variant). */
  name: string;
  /** Formula key shared with the Python runner. */
  formula: FormulaName;
  space: SuiteParam[];
  /** Known global minimum over the space. */
  optimum: number;
  /** The literature's (rounded) value of the optimum, for the test. */
  literatureOptimum: number;
  /** A point of the space where the optimum is reached. */
  argmin: number[];
  /** Standard deviation of the Gaussian noise added to observed values (noisy variants). */
  noiseSd?: number;
}

export type FormulaName =
  | 'branin'
  | 'hartmann3'
  | 'hartmann6'
  | 'levy'
  | 'griewank'
  | 'rastrigin'
  | 'zakharov'
  | 'dixonPrice'
  | 'michalewicz'
  | 'mlLike';

/** Branin-Hoo, x1 in [-5, 10], x2 in [0, 15]; f* = 0.397887 at (pi, 2.275) and two more points. */
export function branin(x: readonly number[]): number {
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x[1] - b * x[0] * x[0] + c * x[0] - 6) ** 2 + 10 * (1 - t) * Math.cos(x[0]) + 10;
}

const HARTMANN_ALPHA = [1, 1.2, 3, 3.2];
const H3_A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
];
const H3_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
].map((r) => r.map((v) => v * 1e-4));
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));

function hartmann(x: readonly number[], a: number[][], p: number[][]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < x.length; j++) inner += a[i][j] * (x[j] - p[i][j]) ** 2;
    s -= HARTMANN_ALPHA[i] * Math.exp(-inner);
  }
  return s;
}

/** Hartmann 3-D on [0, 1]^3: f* = -3.86278. */
export const hartmann3 = (x: readonly number[]): number => hartmann(x, H3_A, H3_P);
/** Hartmann 6-D on [0, 1]^6: f* = -3.32237. */
export const hartmann6 = (x: readonly number[]): number => hartmann(x, H6_A, H6_P);

/** Levy on [-10, 10]^d: f* = 0 at x = (1, ..., 1). */
export function levy(x: readonly number[]): number {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const d = w.length;
  let s = Math.sin(Math.PI * w[0]) ** 2;
  for (let i = 0; i < d - 1; i++)
    s += (w[i] - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i] + 1) ** 2);
  return s + (w[d - 1] - 1) ** 2 * (1 + Math.sin(2 * Math.PI * w[d - 1]) ** 2);
}

/** Griewank on [-600, 600]^d: f* = 0 at 0. */
export function griewank(x: readonly number[]): number {
  let sum = 0;
  let prod = 1;
  x.forEach((v, i) => {
    sum += (v * v) / 4000;
    prod *= Math.cos(v / Math.sqrt(i + 1));
  });
  return sum - prod + 1;
}

/** Rastrigin on [-5.12, 5.12]^d: f* = 0 at 0. */
export function rastrigin(x: readonly number[]): number {
  return x.reduce((s, v) => s + v * v - 10 * Math.cos(2 * Math.PI * v), 10 * x.length);
}

/** Zakharov on [-5, 10]^d: f* = 0 at 0. */
export function zakharov(x: readonly number[]): number {
  let s1 = 0;
  let s2 = 0;
  x.forEach((v, i) => {
    s1 += v * v;
    s2 += 0.5 * (i + 1) * v;
  });
  return s1 + s2 ** 2 + s2 ** 4;
}

/** Dixon-Price on [-10, 10]^d: f* = 0 at x_i = 2^-((2^i - 2) / 2^i), i = 1..d. */
export function dixonPrice(x: readonly number[]): number {
  let s = (x[0] - 1) ** 2;
  for (let i = 1; i < x.length; i++) s += (i + 1) * (2 * x[i] * x[i] - x[i - 1]) ** 2;
  return s;
}

/** Michalewicz (m = 10) on [0, pi]^d: f* = -1.8013 (d = 2), -4.687658 (d = 5), -9.66015 (d = 10). */
export function michalewicz(x: readonly number[]): number {
  return x.reduce((s, v, i) => s - Math.sin(v) * Math.sin(((i + 1) * v * v) / Math.PI) ** 20, 0);
}

/**
 * A hyper-parameter-like mixed problem (ours, not from the library): learning rate and weight
 * decay on log scales, a log-scaled integer batch size, an integer depth, a categorical whose
 * choices are their own penalties, a stepped dropout; a positive-definite interaction between
 * learning rate and depth. f* = 0 at lr = 10^-2.5, wd = 1e-4, batch = 64, layers = 3, choice 0,
 * dropout = 0.2.
 */
export function mlLike(x: readonly number[]): number {
  const [lr, wd, batch, layers, act, dropout] = x;
  const a = Math.log10(lr) + 2.5;
  const b = layers - 3;
  return (
    a * a +
    0.5 * a * b +
    0.3 * b * b +
    0.5 * (Math.log10(wd) + 4) ** 2 +
    0.25 * (Math.log2(batch) - 6) ** 2 +
    act +
    4 * (dropout - 0.2) ** 2
  );
}

export const FORMULAS: Readonly<Record<FormulaName, (x: readonly number[]) => number>> = {
  branin,
  hartmann3,
  hartmann6,
  levy,
  griewank,
  rastrigin,
  zakharov,
  dixonPrice,
  michalewicz,
  mlLike,
};

const floats = (d: number, low: number, high: number): SuiteParam[] =>
  Array.from({ length: d }, (_, i) => ({
    name: `x${i}`,
    distribution: floatDistribution(low, high),
  }));

/** Per-coordinate minimisers of Michalewicz (it is separable), refined numerically. */
const MICHALEWICZ_ARGMIN = [
  2.2029055201404173, 1.5707963267745666, 1.2849915705116688, 1.9230584698299447,
  1.7204697725278448, 1.5707963267774554, 1.4544139713241224, 1.7560865209214085,
  1.6557174167794961, 1.570796326777465,
];

function continuous(
  name: string,
  formula: FormulaName,
  d: number,
  low: number,
  high: number,
  optimum: number,
  literatureOptimum: number,
  argmin: number[],
): SuiteProblem {
  return { name, formula, space: floats(d, low, high), optimum, literatureOptimum, argmin };
}

const HARTMANN6_ARGMIN = [
  0.2016895139776094, 0.1500106901994652, 0.4768739709136298, 0.2753324302396454,
  0.3116516154723294, 0.6573005311849265,
];

const BRANIN_SPACE: SuiteParam[] = [
  { name: 'x0', distribution: floatDistribution(-5, 10) },
  { name: 'x1', distribution: floatDistribution(0, 15) },
];

export const BENCHMARK_SUITE: readonly SuiteProblem[] = [
  {
    name: 'branin2',
    formula: 'branin',
    space: BRANIN_SPACE,
    optimum: 0.39788735772973816,
    literatureOptimum: 0.397887,
    argmin: [Math.PI, 2.275],
  },
  continuous(
    'hartmann3',
    'hartmann3',
    3,
    0,
    1,
    -3.862779787332663,
    -3.86278,
    [0.11458889702441237, 0.5556488967529246, 0.8525469840241771],
  ),
  continuous('hartmann6', 'hartmann6', 6, 0, 1, -3.3223680114155147, -3.32237, HARTMANN6_ARGMIN),
  continuous('levy5', 'levy', 5, -10, 10, 0, 0, [1, 1, 1, 1, 1]),
  continuous('levy10', 'levy', 10, -10, 10, 0, 0, new Array<number>(10).fill(1)),
  continuous('griewank8', 'griewank', 8, -600, 600, 0, 0, new Array<number>(8).fill(0)),
  continuous('rastrigin4', 'rastrigin', 4, -5.12, 5.12, 0, 0, [0, 0, 0, 0]),
  continuous('zakharov6', 'zakharov', 6, -5, 10, 0, 0, new Array<number>(6).fill(0)),
  continuous(
    'dixonprice4',
    'dixonPrice',
    4,
    -10,
    10,
    0,
    0,
    [1, 2, 3, 4].map((i) => 2 ** -((2 ** i - 2) / 2 ** i)),
  ),
  continuous(
    'michalewicz2',
    'michalewicz',
    2,
    0,
    Math.PI,
    -1.8013034100985545,
    -1.8013,
    MICHALEWICZ_ARGMIN.slice(0, 2),
  ),
  continuous(
    'michalewicz5',
    'michalewicz',
    5,
    0,
    Math.PI,
    -4.687658179088147,
    -4.687658,
    MICHALEWICZ_ARGMIN.slice(0, 5),
  ),
  continuous(
    'michalewicz10',
    'michalewicz',
    10,
    0,
    Math.PI,
    -9.660151715641328,
    -9.66015,
    MICHALEWICZ_ARGMIN,
  ),
  {
    // Levy 6-D over a mixed space: integers, a log-scaled float, a categorical, a stepped float.
    name: 'levy6-mixed',
    formula: 'levy',
    space: [
      { name: 'x0', distribution: intDistribution(-10, 10) },
      { name: 'x1', distribution: intDistribution(-8, 10, { step: 3 }) },
      { name: 'x2', distribution: floatDistribution(0.1, 10, { log: true }) },
      { name: 'x3', distribution: categoricalDistribution([-7, -3, 1, 4, 8]) },
      { name: 'x4', distribution: floatDistribution(-10, 10, { step: 0.5 }) },
      { name: 'x5', distribution: floatDistribution(-10, 10) },
    ],
    optimum: 0,
    literatureOptimum: 0,
    argmin: [1, 1, 1, 1, 1, 1],
  },
  {
    // Rastrigin 5-D with integer and categorical coordinates (the optimum 0 lies on every grid).
    name: 'rastrigin5-mixed',
    formula: 'rastrigin',
    space: [
      { name: 'x0', distribution: intDistribution(-5, 5) },
      { name: 'x1', distribution: intDistribution(-5, 5) },
      { name: 'x2', distribution: categoricalDistribution([-4, -2, 0, 1, 3]) },
      { name: 'x3', distribution: floatDistribution(-5.12, 5.12) },
      { name: 'x4', distribution: floatDistribution(-5, 5, { step: 0.25 }) },
    ],
    optimum: 0,
    literatureOptimum: 0,
    argmin: [0, 0, 0, 0, 0],
  },
  {
    name: 'mllike6-mixed',
    formula: 'mlLike',
    space: [
      { name: 'lr', distribution: floatDistribution(1e-5, 1, { log: true }) },
      { name: 'wd', distribution: floatDistribution(1e-6, 0.1, { log: true }) },
      { name: 'batch', distribution: intDistribution(8, 1024, { log: true }) },
      { name: 'layers', distribution: intDistribution(1, 8) },
      { name: 'act', distribution: categoricalDistribution([0, 0.3, 1]) },
      { name: 'dropout', distribution: floatDistribution(0, 0.5, { step: 0.05 }) },
    ],
    optimum: 0,
    literatureOptimum: 0,
    argmin: [10 ** -2.5, 1e-4, 64, 3, 0, 0.2],
  },
  {
    ...continuous(
      'hartmann6-noisy',
      'hartmann6',
      6,
      0,
      1,
      -3.3223680114155147,
      -3.32237,
      HARTMANN6_ARGMIN,
    ),
    noiseSd: 0.1,
  },
  {
    name: 'branin2-noisy',
    formula: 'branin',
    space: BRANIN_SPACE,
    optimum: 0.39788735772973816,
    literatureOptimum: 0.397887,
    argmin: [Math.PI, 2.275],
    noiseSd: 1,
  },
];

/** The noiseless value of a problem at a parameter assignment. */
export function evaluateProblem(p: SuiteProblem, params: Record<string, ParamValue>): number {
  return FORMULAS[p.formula](p.space.map((s) => params[s.name] as number));
}
