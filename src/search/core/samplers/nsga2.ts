/**
 * NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002) for single- and multi-objective studies.
 * Trials carry their generation; generation g + 1 starts once g has `populationSize` complete
 * trials. The parents of generation g + 1 are the elitist survivors of (parents of g) plus the
 * first `populationSize` complete trials of g: fronts by fast non-dominated sort under constrained
 * domination (Deb 2000: feasible first, then lower violation), the last front cut by crowding
 * distance. Children: binary tournament on (rank, crowding), then per numeric parameter simulated
 * binary crossover (SBX, Deb & Agrawal 1995, bounded form, probability 0.5 per variable) and
 * polynomial mutation (Deb & Goyal 1996) in the unit cube; categorical parameters use uniform
 * crossover and random-reset mutation. Mutation probability per parameter defaults to 1/n.
 * Survivor populations are cached per generation, so an ask costs O(populationSize^2).
 * The first generation, and conditional parameters outside the parents' shared space, are random.
 */
import { Rng } from '../../../platform/core/rng';
import { Distribution, ParamValue, fromUnit, toUnit } from '../distributions';
import { constrainedRanks, crowdingDistance, toMinimize } from '../multi-objective';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';
import { sampleUniform } from './random';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from '../sampler';
import { intersectionSpace } from './tpe';

export interface Ranked {
  trial: FrozenTrial;
  rank: number;
  crowding: number;
}

export class Nsga2Sampler implements Sampler {
  readonly name: string = 'nsga2';
  /** The trial attribute holding the generation (NSGA-III keeps its own). */
  protected readonly generationKey: string = 'nsga2:generation';
  protected readonly rng: Rng;
  private readonly populationSize: number;
  private readonly crossoverProb: number;
  private readonly swappingProb: number;
  private readonly mutationProb?: number;
  private readonly etaC: number;
  private readonly etaM: number;
  private readonly parents = new Map<string, Ranked[][]>();
  private readonly filed = new Map<
    string,
    { done: Uint8Array; byGen: Map<number, FrozenTrial[]> }
  >();

  /** `extraSettings`: keys a subclass reads itself. */
  constructor(settings: unknown = {}, extraSettings: readonly string[] = []) {
    const s = new SettingsReader(settings);
    for (const k of extraSettings) s.value(k);
    this.rng = new Rng(s.int('seed', 0));
    this.populationSize = s.int('populationSize', 50, 2);
    this.crossoverProb = s.number('crossoverProb', 0.9, { min: 0, max: 1 });
    this.swappingProb = s.number('swappingProb', 0.5, { min: 0, max: 1 });
    const m = s.number('mutationProb', -1, { min: -1, max: 1 });
    this.mutationProb = m < 0 ? undefined : m;
    this.etaC = s.number('crossoverEta', 20, { min: 0 });
    this.etaM = s.number('mutationEta', 20, { min: 0 });
    s.done();
  }

  sampleRelative(view: StudyView, _trial: FrozenTrial): RelativeSample {
    const byGen = this.generations(view);
    let gen = 0;
    while ((byGen.get(gen)?.length ?? 0) >= this.populationSize) gen++;
    const attrs = { [this.generationKey]: gen };
    if (gen === 0) return { params: {}, systemAttrs: attrs };
    const parents = this.parentsOf(view, byGen, gen);
    const space = intersectionSpace(parents.map((p) => p.trial));
    const names = Object.keys(space);
    if (names.length === 0) return { ...EMPTY_SAMPLE, systemAttrs: attrs };
    const p1 = this.tournament(parents).trial;
    const p2 = this.tournament(parents).trial;
    const cross = this.rng.float() < this.crossoverProb;
    const pm = this.mutationProb ?? 1 / names.length;
    const params: RelativeSample['params'] = {};
    for (const n of names) {
      const d = space[n];
      let v = p1.params[n];
      if (cross) v = this.crossover(d, p1.params[n], p2.params[n]);
      if (this.rng.float() < pm) v = this.mutate(d, v);
      params[n] = { distribution: d, value: v };
    }
    return { params, systemAttrs: attrs };
  }

  sampleIndependent(
    _view: StudyView,
    _trial: FrozenTrial,
    _name: string,
    d: Distribution,
  ): ParamValue {
    return sampleUniform(this.rng, d);
  }

  /**
   * Complete trials by generation. A finished trial never changes, so each is filed once per
   * study (reading every trial's attributes on each ask cost more than Optuna's whole ask at
   * 10,000 trials).
   */
  private generations(view: StudyView): Map<number, FrozenTrial[]> {
    let c = this.filed.get(view.studyId);
    if (!c) {
      c = { done: new Uint8Array(1024), byGen: new Map() };
      this.filed.set(view.studyId, c);
    }
    for (const t of view.trials) {
      if (t.number < c.done.length && c.done[t.number]) continue;
      if (t.state === 'running') continue;
      if (t.number >= c.done.length) {
        const grown = new Uint8Array(Math.max(2 * c.done.length, t.number + 1));
        grown.set(c.done);
        c.done = grown;
      }
      c.done[t.number] = 1;
      const g = t.systemAttrs[this.generationKey];
      if (t.state !== 'complete' || typeof g !== 'number') continue;
      const list = c.byGen.get(g);
      if (list) list.push(t);
      else c.byGen.set(g, [t]);
    }
    return c.byGen;
  }

  private parentsOf(view: StudyView, byGen: Map<number, FrozenTrial[]>, gen: number): Ranked[] {
    let cached = this.parents.get(view.studyId);
    if (!cached) {
      cached = [[]];
      this.parents.set(view.studyId, cached);
    }
    while (cached.length <= gen) {
      const g = cached.length - 1;
      const offspring = (byGen.get(g) ?? [])
        .slice()
        .sort((a, b) => a.number - b.number)
        .slice(0, this.populationSize);
      cached.push(this.survivors([...cached[g].map((r) => r.trial), ...offspring], view));
    }
    return cached[gen];
  }

  /** Elitist survivor selection: whole fronts, the last one cut by crowding distance. */
  private survivors(pool: FrozenTrial[], view: StudyView): Ranked[] {
    const ranks = constrainedRanks(pool, view.directions);
    const fronts = new Map<number, number[]>();
    ranks.forEach((r, i) => {
      const list = fronts.get(r);
      if (list) list.push(i);
      else fronts.set(r, [i]);
    });
    const out: Ranked[] = [];
    for (const r of [...fronts.keys()].sort((a, b) => a - b)) {
      const idx = fronts.get(r) as number[];
      const cd = crowdingDistance(
        idx.map((i) => toMinimize(pool[i].values as number[], view.directions)),
      );
      const members = idx.map((i, k) => ({ trial: pool[i], rank: r, crowding: cd[k] }));
      if (out.length + members.length <= this.populationSize) out.push(...members);
      else {
        out.push(...this.cutLastFront(out, members, this.populationSize - out.length, view));
        break;
      }
    }
    return out;
  }

  /** NSGA-II keeps the most isolated members of the front that does not fit whole. */
  protected cutLastFront(
    _chosen: readonly Ranked[],
    members: Ranked[],
    need: number,
    _view: StudyView,
  ): Ranked[] {
    members.sort((a, b) => b.crowding - a.crowding || a.trial.number - b.trial.number);
    return members.slice(0, need);
  }

  private tournament(pop: Ranked[]): Ranked {
    const a = this.rng.choice(pop);
    const b = this.rng.choice(pop);
    if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
    if (a.crowding !== b.crowding) return a.crowding > b.crowding ? a : b;
    return this.rng.float() < 0.5 ? a : b;
  }

  private crossover(d: Distribution, a: ParamValue, b: ParamValue): ParamValue {
    if (d.type === 'categorical') return this.rng.float() < this.swappingProb ? b : a;
    if (this.rng.float() >= 0.5) return a;
    const x1 = toUnit(d, a as number);
    const x2 = toUnit(d, b as number);
    if (Math.abs(x1 - x2) < 1e-14) return a;
    const y1 = Math.min(x1, x2);
    const y2 = Math.max(x1, x2);
    const e = this.etaC + 1;
    const betaq = (beta: number) => {
      const alpha = 2 - beta ** -e;
      const u = this.rng.float();
      return u <= 1 / alpha ? (u * alpha) ** (1 / e) : (1 / (2 - u * alpha)) ** (1 / e);
    };
    const c1 = 0.5 * (y1 + y2 - betaq(1 + (2 * y1) / (y2 - y1)) * (y2 - y1));
    const c2 = 0.5 * (y1 + y2 + betaq(1 + (2 * (1 - y2)) / (y2 - y1)) * (y2 - y1));
    return fromUnit(d, this.rng.float() < 0.5 ? c1 : c2);
  }

  private mutate(d: Distribution, v: ParamValue): ParamValue {
    if (d.type === 'categorical') return sampleUniform(this.rng, d);
    const y = toUnit(d, v as number);
    const e = this.etaM + 1;
    const r = this.rng.float();
    let dq: number;
    if (r < 0.5) dq = (2 * r + (1 - 2 * r) * (1 - y) ** e) ** (1 / e) - 1;
    else dq = 1 - (2 * (1 - r) + 2 * (r - 0.5) * y ** e) ** (1 / e);
    return fromUnit(d, y + dq);
  }
}
