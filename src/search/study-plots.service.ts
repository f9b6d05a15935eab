/**
 * The console's plots of a study, each aggregated in PostgreSQL so a 100k-trial study answers
 * with a bounded number of points (StudyAnalyticsRepository): slice, contour, parallel
 * coordinates, learning curves, timeline, EDF, Pareto front, and parameter importance fitted on a
 * sample (cached per study and complete-trial count).
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors/domain-error';
import { binCenter, binTicks, plotBins } from './core/plot-bins';
import { parameterImportance } from './core/importance';
import { firstFrontIndices, toMinimize } from './core/multi-objective';
import { Direction, FrozenTrial } from './core/trial';
import { StudyAnalyticsRepository } from './storage/study-analytics.repository';
import { ConsoleCache, StudyConsoleAccess } from './study-console-access';

/** Trials the importance forest is fitted on at most (best ones plus a uniform sample). */
const IMPORTANCE_SAMPLE = 2000;
const PARETO_SAMPLE = 2000;

@Injectable()
export class StudyPlotsService {
  private readonly importanceCache = new ConsoleCache<Record<string, number>>();

  constructor(
    private readonly access: StudyConsoleAccess,
    private readonly repo: StudyAnalyticsRepository,
  ) {}

  async slice(principal: Principal, id: string, name: string, objective: number, points: number) {
    await this.access.row(principal, id, objective);
    const repo = this.repo;
    const dist = (await repo.paramDistributions(id))[name];
    if (!dist) throw new NotFoundError('parameter', name.slice(0, 100));
    // Few trials: every point; many: bins with min/mean/max (the chart draws a band).
    const raw = await repo.slicePoints(id, name, objective, points + 1);
    const grid = plotBins(dist, points);
    const bins = await repo.sliceBins(id, name, grid, objective);
    return {
      name,
      distribution: dist,
      points:
        raw.length <= points ? raw.map((p) => ({ number: p.number, x: p.x, value: p.v })) : null,
      bins: bins.map((b) => ({ ...b, x: binCenter(grid, b.bin) })),
    };
  }
  async contour(
    principal: Principal,
    id: string,
    x: string,
    y: string,
    objective: number,
    bins: number,
  ) {
    const row = await this.access.row(principal, id, objective);
    if (x === y) throw ValidationError.field('y', 'must differ from x');
    const dists = await this.repo.paramDistributions(id);
    for (const [field, name] of [
      ['x', x],
      ['y', y],
    ] as const)
      if (!dists[name])
        throw ValidationError.field(field, `no parameter named "${name.slice(0, 100)}"`);
    const [gx, gy] = [plotBins(dists[x], bins), plotBins(dists[y], bins)];
    const cells = await this.repo.contour(
      id,
      { name: x, bins: gx },
      { name: y, bins: gy },
      objective,
      row.config.directions[objective],
    );
    return {
      x: { name: x, distribution: dists[x], ticks: binTicks(gx) },
      y: { name: y, distribution: dists[y], ticks: binTicks(gy) },
      direction: row.config.directions[objective],
      cells: cells.map((c) => ({ x: c.bx - 1, y: c.by - 1, n: c.n, value: c.best })),
    };
  }
  async parallel(principal: Principal, id: string, objective: number, top: number, sample: number) {
    const row = await this.access.row(principal, id, objective);
    const repo = this.repo;
    return {
      params: await repo.paramDistributions(id),
      trials: await repo.parallel(id, objective, row.config.directions[objective], top, sample),
    };
  }
  async intermediate(principal: Principal, id: string, limit: number) {
    await this.access.row(principal, id);
    const trials = await this.repo.intermediate(id, limit);
    return { trials: trials.map((t) => ({ ...t, steps: t.steps ?? [] })).reverse() };
  }
  async timeline(principal: Principal, id: string, limit: number) {
    await this.access.row(principal, id);
    const rows = await this.repo.timeline(id, limit);
    return {
      trials: rows.map((r) => ({
        number: r.number,
        state: r.state,
        startedAt: new Date(r.started_at).toISOString(),
        finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
      })),
    };
  }
  async edf(principal: Principal, id: string, objective: number, points: number) {
    await this.access.row(principal, id, objective);
    return { objective, points: await this.repo.edf(id, objective, points) };
  }
  /**
   * Pareto front of the feasible complete trials (Deb 2000: an infeasible trial is never on the
   * front), plus a uniform sample of the others marked feasible or not.
   */
  async pareto(principal: Principal, id: string) {
    const row = await this.access.row(principal, id);
    const directions: Direction[] = row.config.directions;
    if (directions.length < 2)
      throw new ConflictError(`study ${id} has one objective; a Pareto front needs two or more`);
    const all = (await this.repo.objectiveValues(id)).filter(
      (t) => t.values.length === directions.length && t.values.every(Number.isFinite),
    );
    const feasible = (t: { constraints: number[] | null }) =>
      (t.constraints ?? []).every((c) => !Number.isNaN(c) && c <= 0);
    const candidates = all.filter(feasible);
    const front = new Set(
      firstFrontIndices(candidates.map((t) => toMinimize(t.values, directions))).map(
        (i) => candidates[i].number,
      ),
    );
    const step = Math.max(1, Math.ceil(all.length / PARETO_SAMPLE));
    const point = (t: (typeof all)[number]) => ({
      number: t.number,
      values: t.values,
      feasible: feasible(t),
    });
    return {
      directions,
      front: all.filter((t) => front.has(t.number)).map(point),
      others: all.filter((t, i) => !front.has(t.number) && i % step === 0).map(point),
      complete: all.length,
    };
  }
  async importance(principal: Principal, id: string, objective: number) {
    const row = await this.access.row(principal, id, objective);
    const repo = this.repo;
    const complete = (await repo.counts(id)).complete;
    const key = `${id}:${objective}:${complete}`;
    let importance = this.importanceCache.get(key);
    const cached = importance !== undefined;
    if (!importance) {
      const direction = row.config.directions[objective];
      const dists = await repo.paramDistributions(id);
      const sample = await repo.parallel(
        id,
        objective,
        direction,
        0, // a uniform sample: top trials would bias the forest towards the optimum
        IMPORTANCE_SAMPLE,
      );
      const trials: FrozenTrial[] = sample.map((t) => ({
        number: t.number,
        state: 'complete',
        params: (t.params ?? {}) as FrozenTrial['params'],
        distributions: pick(dists, Object.keys(t.params ?? {})),
        values: t.values,
        intermediate: [],
        userAttrs: {},
        systemAttrs: {},
        startedAt: 0,
      }));
      try {
        importance = parameterImportance(trials, { objective });
      } catch (e) {
        if (e instanceof ValidationError) throw new ConflictError(e.message);
        throw e;
      }
      this.importanceCache.set(key, importance);
    }
    return { objective, complete, cached, importance };
  }
}

function pick<T>(o: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
