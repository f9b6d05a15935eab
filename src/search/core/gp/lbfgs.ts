/**
 * Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4/7.5:
 * the two-loop recursion with the gamma = s'y / y'y initial scaling) minimising f with an Armijo
 * backtracking line search. Optional box bounds are handled by projection (Bertsekas 1982): the
 * variables held at a bound by their gradient are frozen for the step and every trial point is
 * clipped into the box, which is what the GP's acquisition search over the unit cube needs; the
 * hyper-parameter fit runs unbounded (Optuna runs scipy's L-BFGS-B in both places).
 */

export interface LbfgsOptions {
  maxIter?: number;
  /** Stop when the projected gradient's largest component is below this. */
  gtol?: number;
  /** Stop when the relative decrease of f is below this (scipy's factr * eps). */
  ftol?: number;
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  memory?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
}

export type ValueAndGradient = (x: Float64Array) => { value: number; grad: Float64Array };

export function minimizeLbfgs(
  f: ValueAndGradient,
  x0: ArrayLike<number>,
  opts: LbfgsOptions = {},
): LbfgsResult {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 200;
  const gtol = opts.gtol ?? 1e-5;
  const ftol = opts.ftol ?? 2.2e-9;
  const m = opts.memory ?? 10;
  const lo = opts.lower;
  const hi = opts.upper;
  const clip = (v: number, i: number) =>
    Math.min(Math.max(v, lo ? lo[i] : -Infinity), hi ? hi[i] : Infinity);
  let x: Float64Array = Float64Array.from(x0, clip);
  let { value, grad } = f(x);
  if (!Number.isFinite(value)) return { x, value, iterations: 0 };
  const sMem: Float64Array[] = [];
  const yMem: Float64Array[] = [];
  const rhoMem: number[] = [];
  let iter = 0;
  for (; iter < maxIter; iter++) {
    // Free variables: those the gradient does not push against their bound.
    const free = new Uint8Array(n);
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const atLo = lo !== undefined && x[i] <= lo[i] && grad[i] > 0;
      const atHi = hi !== undefined && x[i] >= hi[i] && grad[i] < 0;
      free[i] = atLo || atHi ? 0 : 1;
      if (free[i]) pgMax = Math.max(pgMax, Math.abs(grad[i]));
    }
    if (pgMax < gtol) break;
    const q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = free[i] ? grad[i] : 0;
    const alpha = new Array<number>(sMem.length);
    for (let k = sMem.length - 1; k >= 0; k--) {
      alpha[k] = rhoMem[k] * dotMasked(sMem[k], q, free);
      for (let i = 0; i < n; i++) if (free[i]) q[i] -= alpha[k] * yMem[k][i];
    }
    let gamma = 1 / Math.max(pgMax, 1);
    if (sMem.length) {
      const k = sMem.length - 1;
      gamma =
        dotMasked(sMem[k], yMem[k], free) / Math.max(dotMasked(yMem[k], yMem[k], free), 1e-300);
      if (!(gamma > 0) || !Number.isFinite(gamma)) gamma = 1 / Math.max(pgMax, 1);
    }
    for (let i = 0; i < n; i++) q[i] *= gamma;
    for (let k = 0; k < sMem.length; k++) {
      const beta = rhoMem[k] * dotMasked(yMem[k], q, free);
      for (let i = 0; i < n; i++) if (free[i]) q[i] += sMem[k][i] * (alpha[k] - beta);
    }
    const p = new Float64Array(n);
    let slope = 0;
    for (let i = 0; i < n; i++) {
      p[i] = free[i] ? -q[i] : 0;
      slope += p[i] * grad[i];
    }
    if (!(slope < 0)) {
      // Not a descent direction (curvature memory gone stale): restart from steepest descent.
      sMem.length = yMem.length = rhoMem.length = 0;
      slope = 0;
      for (let i = 0; i < n; i++) {
        p[i] = free[i] ? -grad[i] / Math.max(pgMax, 1) : 0;
        slope += p[i] * grad[i];
      }
    }
    let t = 1;
    let accepted: { x: Float64Array; value: number; grad: Float64Array } | undefined;
    for (let ls = 0; ls < 40; ls++) {
      const xn = new Float64Array(n);
      let dec = 0;
      for (let i = 0; i < n; i++) {
        xn[i] = clip(x[i] + t * p[i], i);
        dec += grad[i] * (xn[i] - x[i]);
      }
      const r = f(xn);
      if (Number.isFinite(r.value) && r.value <= value + 1e-4 * Math.min(dec, 0)) {
        accepted = { x: xn, value: r.value, grad: r.grad };
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = accepted.x[i] - x[i];
      y[i] = accepted.grad[i] - grad[i];
    }
    const sy = dotMasked(s, y);
    if (sy > 1e-12 * Math.max(dotMasked(y, y), 1e-300)) {
      sMem.push(s);
      yMem.push(y);
      rhoMem.push(1 / sy);
      if (sMem.length > m) {
        sMem.shift();
        yMem.shift();
        rhoMem.shift();
      }
    }
    const rel = (value - accepted.value) / Math.max(Math.abs(value), Math.abs(accepted.value), 1);
    x = accepted.x;
    value = accepted.value;
    grad = accepted.grad;
    if (rel <= ftol) {
      iter++;
      break;
    }
  }
  return { x, value, iterations: iter };
}

function dotMasked(a: Float64Array, b: Float64Array, mask?: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (!mask || mask[i]) s += a[i] * b[i];
  return s;
}
