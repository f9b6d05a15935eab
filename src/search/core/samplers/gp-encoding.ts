/**
 * How trial parameters become GP inputs (Optuna 4's optuna/_gp/search_space.py): numeric values
 * in the unit cube (log-scaled when log, ints and stepped floats widened by half a step, see
 * toUnit), a categorical value as the index of its choice (compared by the kernel's Hamming
 * distance). For the acquisition search, categoricals and integers/steps with at most
 * GRID_LIMIT values are grids searched exhaustively; the others are continuous and snapped.
 */
import {
  Distribution,
  ParamValue,
  fromUnit,
  isSingle,
  sameDistribution,
  toInternal,
  toUnit,
} from '../distributions';
import { unconditionalDistributions } from '../space';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';
import { intersectionSpace } from './tpe';
import { SearchDim } from '../gp/optimize-acquisition';

const GRID_LIMIT = 32;

export interface EncodedSpace {
  names: string[];
  dists: Distribution[];
  isCategorical: boolean[];
  searchDims: SearchDim[];
}

/** The joint space a relative sampler models: the declared unconditional parameters, else the
 * intersection of the complete trials' spaces (single-valued parameters left out). */
export function relativeSpace(view: StudyView): Record<string, Distribution> {
  const all = view.space
    ? unconditionalDistributions(view.space)
    : intersectionSpace(view.trials.filter((t) => t.state === 'complete'));
  const out: Record<string, Distribution> = {};
  for (const n of Object.keys(all).sort()) if (!isSingle(all[n])) out[n] = all[n];
  return out;
}

export function encodeSpace(space: Record<string, Distribution>): EncodedSpace {
  const names = Object.keys(space);
  const dists = names.map((n) => space[n]);
  return {
    names,
    dists,
    isCategorical: dists.map((d) => d.type === 'categorical'),
    searchDims: dists.map((d): SearchDim => {
      if (d.type === 'categorical') return { kind: 'grid', values: d.choices.map((_, i) => i) };
      const step = d.step;
      if (step !== undefined && !d.log) {
        const count = Math.round((d.high - d.low) / step) + 1;
        if (count <= GRID_LIMIT)
          return {
            kind: 'grid',
            values: Array.from({ length: count }, (_, k) => toUnit(d, d.low + k * step)),
          };
      }
      if (d.type === 'int' && d.log && d.high - d.low + 1 <= GRID_LIMIT)
        return {
          kind: 'grid',
          values: Array.from({ length: d.high - d.low + 1 }, (_, k) => toUnit(d, d.low + k)),
        };
      return { kind: 'continuous' };
    }),
  };
}

/** Whether the trial has every parameter of the space with the same distribution. */
export function covers(enc: EncodedSpace, t: FrozenTrial): boolean {
  return enc.names.every(
    (n, i) =>
      n in t.params && t.distributions[n] && sameDistribution(t.distributions[n], enc.dists[i]),
  );
}

export function encodeParams(enc: EncodedSpace, params: Record<string, ParamValue>): Float64Array {
  return Float64Array.from(enc.dists, (d, i) => {
    const v = params[enc.names[i]];
    if (d.type === 'categorical') return toInternal(d, v);
    return Math.min(Math.max(toUnit(d, v as number), 0), 1);
  });
}

export function decodeParams(enc: EncodedSpace, x: Float64Array): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  enc.dists.forEach((d, i) => {
    out[enc.names[i]] =
      d.type === 'categorical'
        ? d.choices[Math.min(d.choices.length - 1, Math.max(0, Math.round(x[i])))]
        : fromUnit(d, x[i]);
  });
  return out;
}
