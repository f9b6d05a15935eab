/**
 * Maximises an acquisition over the normalised search space the way Optuna 4's optim_mixed does:
 * score random candidates, start local searches from the best one, from the observed incumbent
 * (warm start) and from candidates drawn with probability proportional to exp(acq - max), then
 * alternate (a) L-BFGS on the continuous dimensions inside [0, 1] (or a compass search when the
 * acquisition has no gradient) and (b) an exhaustive coordinate pass over each grid dimension
 * (categorical choices, integers with few values) until the gain is below `tol`.
 */
import { Rng } from '../../../platform/core/rng';
import { Acquisition } from './acquisition';
import { minimizeLbfgs } from './lbfgs';

export type SearchDim = { kind: 'continuous' } | { kind: 'grid'; values: readonly number[] };

export interface AcquisitionSearchOptions {
  nCandidates?: number;
  nLocalSearch?: number;
  warmStarts?: readonly Float64Array[];
  tol?: number;
}

export function optimizeAcquisition(
  acq: Acquisition,
  dims: readonly SearchDim[],
  rng: Rng,
  opts: AcquisitionSearchOptions = {},
): { x: Float64Array; value: number } {
  const nCandidates = opts.nCandidates ?? 1024;
  const nLocal = opts.nLocalSearch ?? 10;
  const candidates: Float64Array[] = [];
  const values: number[] = [];
  for (let i = 0; i < nCandidates; i++) {
    const x = Float64Array.from(dims, (d) =>
      d.kind === 'continuous' ? rng.float() : d.values[rng.int(0, d.values.length - 1)],
    );
    candidates.push(x);
    values.push(acq.value(x));
  }
  let bestIdx = 0;
  for (let i = 1; i < nCandidates; i++) if (values[i] > values[bestIdx]) bestIdx = i;
  const starts: Float64Array[] = [candidates[bestIdx], ...(opts.warmStarts ?? [])];
  const weights = values.map((v, i) =>
    i === bestIdx || !Number.isFinite(v) ? 0 : Math.exp(v - values[bestIdx]),
  );
  for (let k = 1; k < nLocal; k++) {
    if (!weights.some((w) => w > 0)) break;
    const i = rng.weightedIndex(weights);
    weights[i] = 0;
    starts.push(candidates[i]);
  }
  let best = { x: candidates[bestIdx], value: values[bestIdx] };
  for (const s of starts) {
    const r = localSearch(acq, dims, s, opts.tol ?? 1e-4);
    if (r.value > best.value) best = r;
  }
  return best;
}

function localSearch(
  acq: Acquisition,
  dims: readonly SearchDim[],
  start: Float64Array,
  tol: number,
): { x: Float64Array; value: number } {
  let x: Float64Array = Float64Array.from(start);
  let value = acq.value(x);
  const cont = dims.flatMap((d, i) => (d.kind === 'continuous' ? [i] : []));
  for (let round = 0; round < 10; round++) {
    const before = value;
    if (cont.length) {
      const r = acq.valueAndGradient
        ? gradientStep(acq, x, cont)
        : compassSearch(acq, x, cont, value);
      if (r.value > value) {
        x = r.x;
        value = r.value;
      }
    }
    dims.forEach((d, i) => {
      if (d.kind !== 'grid') return;
      const keep = x[i];
      let bestV = value;
      let bestChoice = keep;
      for (const c of d.values) {
        if (c === keep) continue;
        x[i] = c;
        const v = acq.value(x);
        if (v > bestV) {
          bestV = v;
          bestChoice = c;
        }
      }
      x[i] = bestChoice;
      value = bestV;
    });
    if (!(value - before > tol)) break;
  }
  return { x, value };
}

function gradientStep(
  acq: Acquisition,
  x: Float64Array,
  cont: readonly number[],
): { x: Float64Array; value: number } {
  const full = Float64Array.from(x);
  const f = (z: Float64Array) => {
    cont.forEach((d, k) => (full[d] = z[k]));
    const r = (acq.valueAndGradient as NonNullable<Acquisition['valueAndGradient']>)(full);
    return { value: -r.value, grad: Float64Array.from(cont, (d) => -r.grad[d]) };
  };
  const z0 = Float64Array.from(cont, (d) => x[d]);
  const res = minimizeLbfgs(f, z0, {
    lower: new Float64Array(cont.length),
    upper: new Float64Array(cont.length).fill(1),
    gtol: 1e-4,
    maxIter: 200,
  });
  const out = Float64Array.from(x);
  cont.forEach((d, k) => (out[d] = res.x[k]));
  return { x: out, value: -res.value };
}

/** Derivative-free fallback: try +-step along each continuous axis, halving the step on failure. */
function compassSearch(
  acq: Acquisition,
  x0: Float64Array,
  cont: readonly number[],
  v0: number,
): { x: Float64Array; value: number } {
  const x = Float64Array.from(x0);
  let value = v0;
  for (let step = 0.1; step >= 1e-3;) {
    let improved = false;
    for (const d of cont) {
      for (const dir of [1, -1]) {
        const keep = x[d];
        x[d] = Math.min(Math.max(keep + dir * step, 0), 1);
        const v = acq.value(x);
        if (v > value) {
          value = v;
          improved = true;
          break;
        }
        x[d] = keep;
      }
    }
    if (!improved) step /= 2;
  }
  return { x, value };
}
