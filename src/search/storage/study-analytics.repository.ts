/**
 * Read-side SQL for the console's study plots. Everything is aggregated, binned, sampled or
 * paginated in PostgreSQL so that a study with 100,000 trials answers with a bounded number of
 * rows (the console never downloads all trials; Optuna Dashboard does, and stops at ~10k).
 * Callers check the study belongs to their project first (StudyLoader); every query here is
 * keyed by study id. Indexes: migrations/1764280000000-StudyConsole.ts.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Distribution } from '../core/distributions';
import type { PlotBins } from '../core/plot-bins';
import { FilterClause } from '../core/trial-filter';
import { Direction, TrialState } from '../core/trial';

/** Objective values that can be plotted: PostgreSQL keeps NaN and ±Infinity in float8[]. */
const FINITE = (col: string) =>
  `${col} NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)`;

export const TRIAL_SORTS = ['number', 'value', 'state', 'duration', 'started'] as const;
export type TrialSort = (typeof TRIAL_SORTS)[number];

export interface TrialPageQuery {
  sort: TrialSort;
  order: 'asc' | 'desc';
  objective: number;
  filter: FilterClause[];
  limit: number;
  offset: number;
}

export interface TrialPageRow {
  number: number;
  state: TrialState;
  values: number[] | null;
  constraints: number[] | null;
  user_attrs: Record<string, unknown>;
  started_at: Date;
  finished_at: Date | null;
  params: Record<string, unknown> | null;
  /** What the `auto` sampler chose for the trial (system attribute `auto:sampler`), else null. */
  sampler: string | null;
}

export interface HistoryBucket {
  /** Trials (complete, finite objective) in the bucket. */
  n: number;
  lo_n: number;
  lo: number;
  hi_n: number;
  hi: number;
  last_n: number;
  /** Best-so-far at the bucket's last trial. */
  best: number;
}

export interface SliceBin {
  bin: number;
  n: number;
  lo: number;
  hi: number;
  mean: number;
}

export interface ContourCell {
  bx: number;
  by: number;
  n: number;
  best: number;
}

/** SQL for a trial's 1-based bin of a parameter (core/plot-bins.ts decides the bins). */
function binExpression(value: string, bins: PlotBins, args: unknown[]): string {
  switch (bins.kind) {
    case 'choices':
      args.push(bins.choices.map((c) => JSON.stringify(c)));
      return `array_position($${args.length}::text[], (${value})::text)`;
    case 'values': {
      args.push(bins.low, bins.step, bins.count);
      const [low, step, n] = [args.length - 2, args.length - 1, args.length];
      return `least(greatest(round(((${value})::float8 - $${low}::float8) / $${step}::float8)::int + 1, 1), $${n}::int)`;
    }
    case 'ranges': {
      const x = bins.log ? `ln((${value})::float8)` : `(${value})::float8`;
      args.push(bins.lo, bins.hi, bins.count);
      const [lo, hi, n] = [args.length - 2, args.length - 1, args.length];
      // width_bucket's upper bound is exclusive: the high end of the range goes to the last bin.
      return `least(greatest(width_bucket(${x}, $${lo}::float8, $${hi}::float8, $${n}::int), 1), $${n}::int)`;
    }
  }
}

function filterSql(clauses: FilterClause[], args: unknown[]): string {
  return clauses
    .map((c) => {
      args.push(c.literal);
      const lit = `$${args.length}`;
      switch (c.field.kind) {
        case 'state':
          return `t.state ${c.op === '=' ? '=' : '<>'} ${lit}::text`;
        case 'number':
          return `t.number ${c.op === '!=' ? '<>' : c.op} ${lit}::float8`;
        case 'value':
          return `t.values[${c.field.objective + 1}] ${c.op === '!=' ? '<>' : c.op} ${lit}::float8`;
        case 'param': {
          args.push(c.field.name);
          const name = `$${args.length}`;
          const cmp =
            typeof c.literal === 'number'
              ? `jsonb_typeof(p.value) = 'number' AND (p.value)::float8 ${c.op === '!=' ? '<>' : c.op} ${lit}::float8`
              : `p.value ${c.op === '=' ? '=' : '<>'} to_jsonb(${lit}::text)`;
          return `EXISTS (SELECT 1 FROM trial_params p WHERE p.study_id = t.study_id AND p.number = t.number AND p.name = ${name} AND ${cmp})`;
        }
      }
    })
    .map((sql) => ` AND ${sql}`)
    .join('');
}

@Injectable()
export class StudyAnalyticsRepository {
  constructor(private readonly db: DataSource) {}

  async counts(studyId: string): Promise<Record<TrialState, number>> {
    const rows: { state: TrialState; n: number }[] = await this.db.query(
      `SELECT state, count(*)::int AS n FROM trials WHERE study_id = $1 GROUP BY state`,
      [studyId],
    );
    const counts = { running: 0, complete: 0, pruned: 0, failed: 0 };
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  /** The best complete trials of one objective (ties by number), through the value index. */
  async best(
    studyId: string,
    objective: number,
    direction: Direction,
    limit: number,
  ): Promise<{ number: number; values: number[] }[]> {
    return this.db.query(
      `SELECT number, values FROM trials t
        WHERE study_id = $1 AND state = 'complete' AND ${FINITE(`values[${objective + 1}]`)}
        ORDER BY values[${objective + 1}] ${direction === 'minimize' ? 'ASC' : 'DESC'}, number
        LIMIT $2`,
      [studyId, limit],
    );
  }

  /**
   * Every parameter name with the distribution of its latest trial: a loose index scan over
   * (study_id, name) (PostgreSQL wiki, "Loose indexscan"), one index probe per distinct name
   * instead of reading every parameter row of the study.
   */
  async paramDistributions(studyId: string): Promise<Record<string, Distribution>> {
    const rows: { name: string; distribution: Distribution }[] = await this.db.query(
      `WITH RECURSIVE names(name) AS (
         (SELECT name FROM trial_params WHERE study_id = $1 ORDER BY name LIMIT 1)
         UNION ALL
         SELECT (SELECT p.name FROM trial_params p WHERE p.study_id = $1 AND p.name > names.name
                  ORDER BY p.name LIMIT 1)
           FROM names WHERE names.name IS NOT NULL)
       SELECT n.name, (SELECT p.distribution FROM trial_params p
                        WHERE p.study_id = $1 AND p.name = n.name ORDER BY p.number DESC LIMIT 1)
              AS distribution
         FROM names n WHERE n.name IS NOT NULL`,
      [studyId],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.distribution]));
  }

  /**
   * Optimisation history in at most `points` buckets of consecutive complete trials: per bucket
   * the lowest and the highest objective value (with their trial numbers) and the best-so-far at
   * its end, so a 100k-trial study plots at most 2·points dots and keeps its outliers visible.
   */
  async history(
    studyId: string,
    objective: number,
    direction: Direction,
    points: number,
  ): Promise<HistoryBucket[]> {
    const agg = direction === 'minimize' ? 'min' : 'max';
    // Buckets of consecutive trial numbers (width from next_number), so the scan follows the
    // primary key in order: no sort, no row_number; (min|max)(ARRAY[v, ±number]) picks the
    // extreme value and its trial without sorting each bucket.
    return this.db.query(
      `WITH s AS (SELECT greatest(1, ceil(next_number / $3::float8))::int AS w FROM studies WHERE id = $1),
       r AS (
         SELECT t.number, t.values[$2] AS v, ${agg}(t.values[$2]) OVER (ORDER BY t.number) AS best,
                t.number / s.w AS b
           FROM trials t, s
          WHERE t.study_id = $1 AND t.state = 'complete' AND ${FINITE('t.values[$2]')})
       SELECT count(*)::int AS n,
              (min(ARRAY[v, number::float8]))[2]::int AS lo_n, min(v) AS lo,
              (-(max(ARRAY[v, -number::float8]))[2])::int AS hi_n, max(v) AS hi,
              max(number) AS last_n, ${agg}(best) AS best
         FROM r GROUP BY b ORDER BY b`,
      [studyId, objective + 1, points],
    );
  }

  /** One page of trials, sorted and filtered in SQL, with the parameters of that page only. */
  async trialsPage(
    studyId: string,
    q: TrialPageQuery,
  ): Promise<{ rows: TrialPageRow[]; total: number }> {
    const args: unknown[] = [studyId];
    const where = `t.study_id = $1${filterSql(q.filter, args)}`;
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const key = {
      number: 't.number',
      value: `t.values[${q.objective + 1}]`,
      state: 't.state',
      duration: 't.finished_at - t.started_at',
      started: 't.started_at',
    }[q.sort];
    // The total and the page are independent reads: concurrently (on a pool, callers pass one).
    const counted: Promise<{ total: number }[]> = this.db.query(
      `SELECT count(*)::int AS total FROM trials t WHERE ${where}`,
      args,
    );
    // The page is cut in a subquery first: PostgreSQL computes the select list of the rows an
    // OFFSET skips, so the params lookup must only run on the page itself.
    const paged: Promise<TrialPageRow[]> = this.db.query(
      `SELECT t.number, t.state, t.values, t.constraints, t.user_attrs, t.started_at, t.finished_at,
              t.system_attrs ->> 'auto:sampler' AS sampler,
              (SELECT jsonb_object_agg(p.name, p.value) FROM trial_params p
                WHERE p.study_id = $1 AND p.number = t.number) AS params
         FROM (SELECT t.* FROM trials t WHERE ${where}
                ORDER BY ${key} ${dir} NULLS LAST, t.number ${dir}
                LIMIT $${args.length + 1} OFFSET $${args.length + 2}) t
        ORDER BY ${key} ${dir} NULLS LAST, t.number ${dir}`,
      [...args, q.limit, q.offset],
    );
    const [[{ total }], rows] = await Promise.all([counted, paged]);
    return { rows, total };
  }

  async intermediateOf(
    studyId: string,
    numbers: number[],
  ): Promise<Map<number, { step: number; values: number[] }[]>> {
    const rows: { number: number; step: number; values: number[] }[] = await this.db.query(
      `SELECT number, step, values FROM trial_intermediate_values
        WHERE study_id = $1 AND number = ANY($2::int[]) ORDER BY number, step`,
      [studyId, numbers],
    );
    const out = new Map<number, { step: number; values: number[] }[]>();
    for (const r of rows) {
      if (!out.has(r.number)) out.set(r.number, []);
      out.get(r.number)!.push({ step: r.step, values: r.values });
    }
    return out;
  }

  /** Objective statistics per bin of one parameter (core/plot-bins.ts). */
  async sliceBins(
    studyId: string,
    name: string,
    bins: PlotBins,
    objective: number,
  ): Promise<SliceBin[]> {
    const args: unknown[] = [studyId, name, objective + 1];
    const bin = binExpression('p.value', bins, args);
    return this.db.query(
      `SELECT ${bin} AS bin, count(*)::int AS n, min(t.values[$3]) AS lo, max(t.values[$3]) AS hi,
              avg(t.values[$3]) AS mean
         FROM trial_params p JOIN trials t ON t.study_id = p.study_id AND t.number = p.number
        WHERE p.study_id = $1 AND p.name = $2 AND t.state = 'complete' AND ${FINITE('t.values[$3]')}
        GROUP BY 1 ORDER BY 1`,
      args,
    );
  }

  /** Raw (value, objective) points of one parameter: only asked for when they are few. */
  async slicePoints(
    studyId: string,
    name: string,
    objective: number,
    limit: number,
  ): Promise<{ number: number; x: unknown; v: number }[]> {
    return this.db.query(
      `SELECT t.number, p.value AS x, t.values[$3] AS v
         FROM trial_params p JOIN trials t ON t.study_id = p.study_id AND t.number = p.number
        WHERE p.study_id = $1 AND p.name = $2 AND t.state = 'complete' AND ${FINITE('t.values[$3]')}
        ORDER BY t.number LIMIT $4`,
      [studyId, name, objective + 1, limit],
    );
  }

  /** Best objective per cell of the grid of two parameters' bins. */
  async contour(
    studyId: string,
    x: { name: string; bins: PlotBins },
    y: { name: string; bins: PlotBins },
    objective: number,
    direction: Direction,
  ): Promise<ContourCell[]> {
    const args: unknown[] = [studyId, x.name, y.name, objective + 1];
    const bx = binExpression('px.value', x.bins, args);
    const by = binExpression('py.value', y.bins, args);
    return this.db.query(
      `SELECT ${bx} AS bx, ${by} AS by, count(*)::int AS n,
              ${direction === 'minimize' ? 'min' : 'max'}(t.values[$4]) AS best
         FROM trials t
         JOIN trial_params px ON px.study_id = t.study_id AND px.number = t.number AND px.name = $2
         JOIN trial_params py ON py.study_id = t.study_id AND py.number = t.number AND py.name = $3
        WHERE t.study_id = $1 AND t.state = 'complete' AND ${FINITE('t.values[$4]')}
        GROUP BY 1, 2 ORDER BY 1, 2`,
      args,
    );
  }

  /** Parallel coordinates: the `top` best complete trials plus a uniform sample of `sample`. */
  async parallel(
    studyId: string,
    objective: number,
    direction: Direction,
    top: number,
    sample: number,
  ): Promise<
    { number: number; values: number[]; top: boolean; params: Record<string, unknown> }[]
  > {
    return this.db.query(
      `WITH c AS (
         SELECT number, values,
                row_number() OVER (ORDER BY values[$2] ${direction === 'minimize' ? 'ASC' : 'DESC'}, number) AS rk,
                row_number() OVER (ORDER BY number) AS rn, count(*) OVER () AS total
           FROM trials WHERE study_id = $1 AND state = 'complete' AND ${FINITE('values[$2]')})
       SELECT c.number, c.values, c.rk <= $3 AS top,
              (SELECT jsonb_object_agg(p.name, p.value) FROM trial_params p
                WHERE p.study_id = $1 AND p.number = c.number) AS params
         FROM c WHERE c.rk <= $3 OR c.rn % greatest(1, ceil(c.total / $4::float8))::int = 0
        ORDER BY c.number`,
      [studyId, objective + 1, top, sample],
    );
  }

  /** Learning curves of the latest `limit` trials that reported any (pruned ones included). */
  async intermediate(
    studyId: string,
    limit: number,
  ): Promise<{ number: number; state: TrialState; steps: [number, number][] }[]> {
    return this.db.query(
      `SELECT t.number, t.state,
              (SELECT json_agg(json_build_array(i.step, i.values[1]) ORDER BY i.step)
                 FROM trial_intermediate_values i
                WHERE i.study_id = t.study_id AND i.number = t.number
                  AND ${FINITE('i.values[1]')}) AS steps
         FROM trials t
        WHERE t.study_id = $1 AND EXISTS (SELECT 1 FROM trial_intermediate_values i
                                           WHERE i.study_id = t.study_id AND i.number = t.number)
        ORDER BY t.number DESC LIMIT $2`,
      [studyId, limit],
    );
  }

  /** Start/finish of at most ~`limit` trials, evenly spaced over the trial numbers. */
  async timeline(
    studyId: string,
    limit: number,
  ): Promise<{ number: number; state: TrialState; started_at: Date; finished_at: Date | null }[]> {
    return this.db.query(
      `SELECT t.number, t.state, t.started_at, t.finished_at
         FROM trials t JOIN studies s ON s.id = t.study_id
        WHERE t.study_id = $1 AND t.number % greatest(1, ceil(s.next_number / $2::float8))::int = 0
        ORDER BY t.number`,
      [studyId, limit],
    );
  }

  /** Empirical distribution function at ~`points` order statistics: (value, fraction ≤ value). */
  async edf(
    studyId: string,
    objective: number,
    points: number,
  ): Promise<{ v: number; p: number }[]> {
    return this.db.query(
      `WITH r AS (
         SELECT values[$2] AS v, row_number() OVER (ORDER BY values[$2]) AS rn, count(*) OVER () AS n
           FROM trials WHERE study_id = $1 AND state = 'complete' AND ${FINITE('values[$2]')})
       SELECT v, rn::float8 / n AS p FROM r
        WHERE rn = 1 OR rn = n OR rn % greatest(1, ceil(n / $3::float8))::int = 0
        ORDER BY rn`,
      [studyId, objective + 1, points],
    );
  }

  /** Objective values and constraints of the complete trials (the Pareto plot's input). */
  async objectiveValues(
    studyId: string,
  ): Promise<{ number: number; values: number[]; constraints: number[] | null }[]> {
    return this.db.query(
      `SELECT number, values, constraints FROM trials
        WHERE study_id = $1 AND state = 'complete' AND values IS NOT NULL ORDER BY number`,
      [studyId],
    );
  }
}
