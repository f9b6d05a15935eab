/**
 * The console's view of a study: summaries, downsampled plots and SQL-paginated trials that stay
 * bounded at 100k trials (StudyAnalyticsRepository), parameter importance cached per study and
 * complete-trial count, and notes. Every call first checks the study belongs to the caller's
 * project (findStudyRow answers 404 otherwise).
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors/domain-error';
import { Direction, FrozenTrial, firstFrontIndices, parameterImportance, toMinimize } from './core';
import { Distribution } from './core/distributions';
import { parseTrialFilter } from './core/trial-filter';
import {
  HistoryBucket,
  StudyAnalyticsRepository,
  TrialPageRow,
} from './storage/study-analytics.repository';
import { StudyRow, findStudyRow } from './study-loader';
import { TrialPageQueryDto } from './study-console.dto';

/** Trials the importance forest is fitted on at most (best ones plus a uniform sample). */
const IMPORTANCE_SAMPLE = 2000;
const CACHE_SIZE = 200;
const PARETO_SAMPLE = 2000;

export interface TrialRowDto {
  number: number;
  state: string;
  params: Record<string, unknown>;
  values: number[] | null;
  constraints: number[] | null;
  userAttrs: Record<string, unknown>;
  /** What `auto` chose for this trial (gp, tpe, cmaes, nsga2, nsga3), else null. */
  sampler: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export function trialRowDto(r: TrialPageRow): TrialRowDto {
  const started = new Date(r.started_at);
  const finished = r.finished_at ? new Date(r.finished_at) : null;
  return {
    number: r.number,
    state: r.state,
    params: r.params ?? {},
    values: r.values,
    constraints: r.constraints,
    userAttrs: r.user_attrs,
    sampler: r.sampler,
    startedAt: started.toISOString(),
    finishedAt: finished ? finished.toISOString() : null,
    durationMs: finished ? finished.getTime() - started.getTime() : null,
  };
}

@Injectable()
export class StudyConsoleService {
  private readonly importanceCache = new Map<string, Record<string, number>>();
  private readonly historyCache = new Map<string, HistoryBucket[]>();

  constructor(private readonly db: DataSource) {}

  private repo(): StudyAnalyticsRepository {
    return new StudyAnalyticsRepository(this.db);
  }

  private async study(principal: Principal, id: string, objective = 0): Promise<StudyRow> {
    const row = await findStudyRow(this.db, principal.projectId, id);
    if (objective >= row.config.directions.length)
      throw ValidationError.field(
        'objective',
        `must be < the number of objectives (${row.config.directions.length}), got ${objective}`,
      );
    return row;
  }

  async summary(principal: Principal, id: string) {
    const row = await this.study(principal, id);
    const repo = this.repo();
    const directions = row.config.directions;
    // Independent reads, concurrently (the page waits for this answer before it shows anything).
    const [counts, best, params] = await Promise.all([
      repo.counts(id),
      Promise.all(directions.map(async (d, k) => (await repo.best(id, k, d, 1))[0] ?? null)),
      repo.paramDistributions(id),
    ]);
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      directions,
      metrics: row.config.metrics,
      runner: row.config.runner.type,
      counts,
      best,
      params,
      createdAt: row.created_at,
    };
  }

  async history(principal: Principal, id: string, objective: number, points: number) {
    const row = await this.study(principal, id, objective);
    const direction = row.config.directions[objective];
    // Trials only change by finishing (state leaves 'running'), so the counts by state plus the
    // next number identify the data the history was computed from.
    const c = await this.repo().counts(id);
    const key = `${id}:${objective}:${points}:${c.running}:${c.complete}:${c.pruned}:${c.failed}`;
    let buckets = this.historyCache.get(key);
    if (!buckets) {
      buckets = await this.repo().history(id, objective, direction, points);
      remember(this.historyCache, key, buckets);
    }
    const scatter: { number: number; value: number }[] = [];
    for (const b of buckets) {
      scatter.push({ number: b.lo_n, value: b.lo });
      if (b.hi_n !== b.lo_n) scatter.push({ number: b.hi_n, value: b.hi });
    }
    return {
      objective,
      direction,
      complete: buckets.reduce((s, b) => s + b.n, 0),
      bucketSize: buckets.length ? Math.max(...buckets.map((b) => b.n)) : 0,
      points: scatter.sort((a, b) => a.number - b.number),
      best: buckets.map((b) => ({ number: b.last_n, value: b.best })),
    };
  }

  async trials(principal: Principal, id: string, q: TrialPageQueryDto) {
    const objective = q.objective ?? 0;
    await this.study(principal, id, objective);
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const { rows, total } = await this.repo().trialsPage(id, {
      sort: q.sort ?? 'number',
      order: q.order ?? 'asc',
      objective,
      filter: parseTrialFilter(q.filter),
      limit,
      offset,
    });
    return { items: rows.map(trialRowDto), total, limit, offset };
  }

  /** CSV of every filtered trial, in pages of 5000 so memory stays bounded at any size. */
  async *csv(principal: Principal, id: string, q: TrialPageQueryDto): AsyncGenerator<string> {
    const objective = q.objective ?? 0;
    const row = await this.study(principal, id, objective);
    const repo = this.repo();
    const params = Object.keys(await repo.paramDistributions(id));
    const filter = parseTrialFilter(q.filter);
    const objectives = row.config.metrics.length
      ? row.config.metrics
      : row.config.directions.map((_, k) => `value${k}`);
    yield csvLine([
      'number',
      'state',
      ...objectives,
      ...params.map((p) => `params_${p}`),
      'started_at',
      'finished_at',
    ]);
    for (let offset = 0; ; offset += 5000) {
      const page = await repo.trialsPage(id, {
        sort: q.sort ?? 'number',
        order: q.order ?? 'asc',
        objective,
        filter,
        limit: 5000,
        offset,
      });
      let chunk = '';
      for (const r of page.rows.map(trialRowDto))
        chunk += csvLine([
          r.number,
          r.state,
          ...objectives.map((_, k) => r.values?.[k] ?? ''),
          ...params.map((p) => (r.params[p] === undefined ? '' : r.params[p])),
          r.startedAt,
          r.finishedAt ?? '',
        ]);
      if (chunk) yield chunk;
      if (page.rows.length < 5000) return;
    }
  }

  async slice(principal: Principal, id: string, name: string, objective: number, points: number) {
    await this.study(principal, id, objective);
    const repo = this.repo();
    const dist = (await repo.paramDistributions(id))[name];
    if (!dist) throw new NotFoundError('parameter', name.slice(0, 100));
    // Few trials: every point; many: bins with min/mean/max (the chart draws a band).
    const raw = await repo.slicePoints(id, name, objective, points + 1);
    const bins = await repo.sliceBins(id, name, dist, objective, points);
    return {
      name,
      distribution: dist,
      points:
        raw.length <= points ? raw.map((p) => ({ number: p.number, x: p.x, value: p.v })) : null,
      bins: bins.map((b) => ({ ...b, x: binCenter(dist, b.bin, points) })),
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
    const row = await this.study(principal, id, objective);
    if (x === y) throw ValidationError.field('y', 'must differ from x');
    const dists = await this.repo().paramDistributions(id);
    for (const [field, name] of [
      ['x', x],
      ['y', y],
    ] as const)
      if (!dists[name])
        throw ValidationError.field(field, `no parameter named "${name.slice(0, 100)}"`);
    const cells = await this.repo().contour(
      id,
      { name: x, dist: dists[x] },
      { name: y, dist: dists[y] },
      objective,
      row.config.directions[objective],
      bins,
    );
    return {
      x: { name: x, distribution: dists[x], ticks: axisTicks(dists[x], bins) },
      y: { name: y, distribution: dists[y], ticks: axisTicks(dists[y], bins) },
      direction: row.config.directions[objective],
      cells: cells.map((c) => ({ x: c.bx - 1, y: c.by - 1, n: c.n, value: c.best })),
    };
  }

  async parallel(principal: Principal, id: string, objective: number, top: number, sample: number) {
    const row = await this.study(principal, id, objective);
    const repo = this.repo();
    return {
      params: await repo.paramDistributions(id),
      trials: await repo.parallel(id, objective, row.config.directions[objective], top, sample),
    };
  }

  async intermediate(principal: Principal, id: string, limit: number) {
    await this.study(principal, id);
    const trials = await this.repo().intermediate(id, limit);
    return { trials: trials.map((t) => ({ ...t, steps: t.steps ?? [] })).reverse() };
  }

  async timeline(principal: Principal, id: string, limit: number) {
    await this.study(principal, id);
    const rows = await this.repo().timeline(id, limit);
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
    await this.study(principal, id, objective);
    return { objective, points: await this.repo().edf(id, objective, points) };
  }

  /**
   * Pareto front of the feasible complete trials (Deb 2000: an infeasible trial is never on the
   * front), plus a uniform sample of the others marked feasible or not.
   */
  async pareto(principal: Principal, id: string) {
    const row = await this.study(principal, id);
    const directions: Direction[] = row.config.directions;
    if (directions.length < 2)
      throw new ConflictError(`study ${id} has one objective; a Pareto front needs two or more`);
    const all = (await this.repo().objectiveValues(id)).filter(
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
    const row = await this.study(principal, id, objective);
    const repo = this.repo();
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
      remember(this.importanceCache, key, importance);
    }
    return { objective, complete, cached, importance };
  }

  async notes(principal: Principal, id: string) {
    await this.study(principal, id);
    return { items: (await this.repo().notes(id)).map(noteDto) };
  }

  async addNote(principal: Principal, id: string, body: string, trial: number | undefined) {
    await this.study(principal, id);
    const repo = this.repo();
    if (trial !== undefined && !(await repo.trialExists(id, trial)))
      throw new NotFoundError('trial', String(trial));
    return noteDto(await repo.addNote(id, trial ?? null, body, principal.projectName));
  }
}

/** Bounded cache: the oldest entry goes when full. */
function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
}

function noteDto(n: {
  id: string;
  trial_number: number | null;
  body: string;
  author: string;
  created_at: Date;
}) {
  return {
    id: n.id,
    trial: n.trial_number,
    body: n.body,
    author: n.author,
    createdAt: new Date(n.created_at).toISOString(),
  };
}

function pick<T>(o: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

/** The parameter value at the middle of 1-based bin `bin` (or the choice for categoricals). */
export function binCenter(dist: Distribution, bin: number, bins: number): unknown {
  if (dist.type === 'categorical') return dist.choices[bin - 1];
  const log = dist.log && dist.low > 0;
  const lo = log ? Math.log(dist.low) : dist.low;
  const hi = log ? Math.log(dist.high) : dist.high;
  const mid = lo + ((bin - 0.5) * (hi - lo)) / bins;
  return log ? Math.exp(mid) : mid;
}

function axisTicks(dist: Distribution, bins: number): unknown[] {
  const n = dist.type === 'categorical' ? dist.choices.length : bins;
  return Array.from({ length: n }, (_, i) => binCenter(dist, i + 1, bins));
}

function csvLine(cells: unknown[]): string {
  return (
    cells
      .map((c) => {
        const s = typeof c === 'string' ? c : JSON.stringify(c);
        return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\n'
  );
}
