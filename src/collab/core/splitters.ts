/**
 * Splitting one labelled data set into N sites for experiments, seeded:
 *  - `iid`: a shuffle dealt round-robin (site sizes differ by at most one);
 *  - `dirichlet`: label skew after Hsu, Qi & Brown, "Measuring the Effects of Non-Identical Data
 *    Distribution for Federated Visual Classification", 2019: for every class c draw
 *    p_c ~ Dir(alpha * 1_N) and give site k the fraction p_c,k of class c's (shuffled) examples;
 *    small alpha, strong skew; redrawn (bounded) until every site has `minPerSite` examples;
 *  - `classes`: disjoint class subsets, classes shuffled and dealt round-robin to the sites.
 * Returns the example indices of every site, each list sorted.
 */
import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import { sampleSymmetricDirichlet } from './random-variates';

export type SplitSpec =
  { kind: 'iid' } | { kind: 'dirichlet'; alpha: number; minPerSite?: number } | { kind: 'classes' };

const MAX_DIRICHLET_DRAWS = 100;

export function splitSites(
  labels: ArrayLike<number>,
  sites: number,
  spec: SplitSpec,
  seed: number,
): number[][] {
  if (!Number.isInteger(sites) || sites < 1)
    throw ValidationError.field('sites', `must be a positive integer, got ${sites}`);
  if (labels.length < sites)
    throw ValidationError.field(
      'sites',
      `${sites} sites need at least ${sites} examples, got ${labels.length}`,
    );
  const rng = new Rng(seed);
  switch (spec.kind) {
    case 'iid':
      return iid(labels.length, sites, rng);
    case 'dirichlet':
      return dirichlet(labels, sites, spec, rng);
    case 'classes':
      return byClasses(labels, sites, rng);
    default:
      throw ValidationError.field(
        'split.kind',
        `unknown split ${(spec as { kind: string }).kind}; known: iid, dirichlet, classes`,
      );
  }
}

function iid(n: number, sites: number, rng: Rng): number[][] {
  const out: number[][] = Array.from({ length: sites }, () => []);
  rng.shuffle(Array.from({ length: n }, (_, i) => i)).forEach((idx, i) => out[i % sites].push(idx));
  return out.map((s) => s.sort((a, b) => a - b));
}

function byClass(labels: ArrayLike<number>): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = m.get(labels[i]) ?? [];
    list.push(i);
    m.set(labels[i], list);
  }
  return new Map([...m.entries()].sort((a, b) => a[0] - b[0]));
}

function dirichlet(
  labels: ArrayLike<number>,
  sites: number,
  spec: { alpha: number; minPerSite?: number },
  rng: Rng,
): number[][] {
  if (!(Number.isFinite(spec.alpha) && spec.alpha > 0))
    throw ValidationError.field('split.alpha', `must be a positive number, got ${spec.alpha}`);
  const min = spec.minPerSite ?? 1;
  const classes = byClass(labels);
  for (let draw = 0; draw < MAX_DIRICHLET_DRAWS; draw++) {
    const out: number[][] = Array.from({ length: sites }, () => []);
    for (const members of classes.values()) {
      const p = sampleSymmetricDirichlet(rng, spec.alpha, sites);
      const shuffled = rng.shuffle(members);
      let start = 0;
      let cumulative = 0;
      p.forEach((pk, k) => {
        cumulative += pk;
        const end = k === sites - 1 ? shuffled.length : Math.round(cumulative * shuffled.length);
        out[k].push(...shuffled.slice(start, end));
        start = end;
      });
    }
    if (out.every((s) => s.length >= min)) return out.map((s) => s.sort((a, b) => a - b));
  }
  throw ValidationError.field(
    'split.alpha',
    `no Dirichlet(${spec.alpha}) draw in ${MAX_DIRICHLET_DRAWS} gave every site ${min} examples; raise alpha or use fewer sites`,
  );
}

function byClasses(labels: ArrayLike<number>, sites: number, rng: Rng): number[][] {
  const classes = byClass(labels);
  if (classes.size < sites)
    throw ValidationError.field(
      'sites',
      `disjoint class subsets need >= ${sites} classes, the data has ${classes.size}`,
    );
  const out: number[][] = Array.from({ length: sites }, () => []);
  rng
    .shuffle([...classes.keys()])
    .forEach((c, i) => out[i % sites].push(...(classes.get(c) as number[])));
  return out.map((s) => s.sort((a, b) => a - b));
}
