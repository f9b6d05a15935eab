/**
 * Standard optimisation test functions (Surjanovic & Bingham, Virtual Library of Simulation
 * Experiments; Zitzler, Deb & Thiele 2000 for ZDT1), with their declared spaces and known optima,
 * used by the tests and bench/search.
 */
import { branin as suiteBranin, hartmann6 } from './benchmark-suite';
import { Trial } from '../study';

export interface BenchmarkFunction {
  name: string;
  /** Known global minimum. */
  optimum: number;
  objective(trial: Trial): number;
}

/** Branin in two arguments (the suite's formula, `benchmark-suite.ts`). */
export function branin(x: number, y: number): number {
  return suiteBranin([x, y]);
}

export { hartmann6 };

export function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
  return s;
}

export function ackley(x: readonly number[]): number {
  const d = x.length;
  const sq = x.reduce((s, v) => s + v * v, 0) / d;
  const cs = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / d;
  return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cs) + 20 + Math.E;
}

/** ZDT1 (two objectives, both minimised); Pareto front f2 = 1 - sqrt(f1) at x[1..] = 0. */
export function zdt1(x: readonly number[]): [number, number] {
  const f1 = x[0];
  const g = 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / (x.length - 1);
  return [f1, g * (1 - Math.sqrt(f1 / g))];
}

const MIXED_OFFSET: Record<string, number> = { relu: 0, tanh: 0.5, sigmoid: 1.5 };

export const BENCHMARKS: readonly BenchmarkFunction[] = [
  {
    name: 'branin',
    optimum: 0.397887,
    objective: (t) => branin(t.suggestFloat('x', -5, 10), t.suggestFloat('y', 0, 15)),
  },
  {
    name: 'hartmann6',
    optimum: -3.32237,
    objective: (t) => hartmann6(Array.from({ length: 6 }, (_, i) => t.suggestFloat(`x${i}`, 0, 1))),
  },
  {
    name: 'rosenbrock4',
    optimum: 0,
    objective: (t) =>
      rosenbrock(Array.from({ length: 4 }, (_, i) => t.suggestFloat(`x${i}`, -2, 2))),
  },
  {
    name: 'ackley5',
    optimum: 0,
    objective: (t) => ackley(Array.from({ length: 5 }, (_, i) => t.suggestFloat(`x${i}`, -5, 5))),
  },
  {
    // Mixed space: a log-scaled float, an int with a step, a categorical and two floats.
    name: 'mixed',
    optimum: 0,
    objective: (t) => {
      const lr = t.suggestFloat('lr', 1e-5, 1, { log: true });
      const layers = t.suggestInt('layers', 1, 9);
      const units = t.suggestInt('units', 16, 512, { step: 16 });
      const act = t.suggestCategorical('activation', ['relu', 'tanh', 'sigmoid']);
      const x = t.suggestFloat('x', -3, 3);
      return (
        (Math.log10(lr) + 3) ** 2 +
        0.25 * (layers - 4) ** 2 +
        ((units - 256) / 64) ** 2 +
        MIXED_OFFSET[act] +
        x * x
      );
    },
  },
];
