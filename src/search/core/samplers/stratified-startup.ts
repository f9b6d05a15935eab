/**
 * Startup trials that fill the space evenly, one parameter at a time, from the history alone: a
 * numeric parameter's unit interval (log-scaled where `log`, as `toUnit`) is cut into `strata`
 * equal strata and each startup trial draws uniformly inside a random stratum that no earlier
 * trial (any state, running ones included) occupies; once every stratum is taken, uniformly over
 * the whole range. A categorical parameter takes a random choice among the least used so far.
 * Over `strata` trials this is a Latin hypercube design (McKay, Beckman & Conover 1979): every
 * parameter covers every stratum once, where i.i.d. uniform draws leave ~1/e of them empty.
 *
 * It needs no study-wide permutation: the free strata are read from the stored trials, so it works
 * with a sampler built afresh per trial (trial-seeded-sampler.ts) and in several processes (two
 * trials asked at the same instant may pick the same stratum, which costs evenness, not
 * correctness).
 */
import { Rng } from '../../../platform/core/rng';
import { Distribution, ParamValue, fromUnit, sameDistribution, toUnit } from '../distributions';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';

export function sampleStratified(
  rng: Rng,
  view: StudyView,
  trial: FrozenTrial,
  name: string,
  d: Distribution,
  strata: number,
): ParamValue {
  const earlier = view.trials.filter(
    (t) =>
      t.number !== trial.number &&
      Object.hasOwn(t.params, name) &&
      sameDistribution(t.distributions[name], d),
  );
  if (d.type === 'categorical') {
    const counts = d.choices.map(() => 0);
    for (const t of earlier) {
      const i = d.choices.findIndex((c) => c === t.params[name]);
      if (i >= 0) counts[i]++;
    }
    const least = Math.min(...counts);
    const candidates = d.choices.filter((_, i) => counts[i] === least);
    return candidates[rng.int(0, candidates.length - 1)];
  }
  const taken = new Array<boolean>(strata).fill(false);
  for (const t of earlier) {
    const u = toUnit(d, t.params[name] as number);
    taken[Math.min(strata - 1, Math.max(0, Math.floor(u * strata)))] = true;
  }
  const free = taken.flatMap((x, i) => (x ? [] : [i]));
  if (free.length === 0) return fromUnit(d, rng.float());
  const s = free[rng.int(0, free.length - 1)];
  return fromUnit(d, (s + rng.float()) / strata);
}
