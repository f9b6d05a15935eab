/**
 * Bulk insert of finished trials straight into the study tables (one statement per table via
 * unnest): seeds the 100k-trial benchmark (bench/console/studies-scale.ts) and the aggregation
 * tests in seconds instead of 100k ask/tell round trips. Moves the study's next_number past them.
 */
import { DataSource, EntityManager } from 'typeorm';
import { Distribution, ParamValue } from '../core/distributions';
import { TrialState } from '../core/trial';

export interface BulkTrial {
  number: number;
  state: TrialState;
  values: number[] | null;
  constraints?: number[] | null;
  params: Record<string, ParamValue>;
  intermediate?: number[];
  startedAt: Date;
  finishedAt: Date | null;
}

export async function insertTrialsBulk(
  db: DataSource | EntityManager,
  studyId: string,
  trials: BulkTrial[],
  distributions: Record<string, Distribution>,
): Promise<void> {
  const chunk = 5000;
  for (let i = 0; i < trials.length; i += chunk) {
    const part = trials.slice(i, i + chunk);
    await db.query(
      `INSERT INTO trials (study_id, number, state, values, constraints, started_at, finished_at)
       SELECT $1, n, s, v::float8[], c::float8[], st, fi
         FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
           AS u(n, s, v, c, st, fi)`,
      [
        studyId,
        part.map((t) => t.number),
        part.map((t) => t.state),
        part.map((t) => (t.values ? pgArray(t.values) : null)),
        part.map((t) => (t.constraints ? pgArray(t.constraints) : null)),
        part.map((t) => t.startedAt.toISOString()),
        part.map((t) => t.finishedAt?.toISOString() ?? null),
      ],
    );
    const params = part.flatMap((t) =>
      Object.entries(t.params).map(([k, v]) => [t.number, k, v] as const),
    );
    await db.query(
      `INSERT INTO trial_params (study_id, number, name, value, distribution)
       SELECT $1, n, k, v::jsonb, ($5::jsonb) -> k
         FROM unnest($2::int[], $3::text[], $4::text[]) AS u(n, k, v)`,
      [
        studyId,
        params.map((p) => p[0]),
        params.map((p) => p[1]),
        params.map((p) => JSON.stringify(p[2])),
        JSON.stringify(distributions),
      ],
    );
    const steps = part.flatMap((t) =>
      (t.intermediate ?? []).map((v, s) => [t.number, s, v] as const),
    );
    if (steps.length)
      await db.query(
        `INSERT INTO trial_intermediate_values (study_id, number, step, values)
         SELECT $1, n, s, ARRAY[v] FROM unnest($2::int[], $3::int[], $4::float8[]) AS u(n, s, v)`,
        [studyId, steps.map((x) => x[0]), steps.map((x) => x[1]), steps.map((x) => x[2])],
      );
  }
  await db.query(
    `UPDATE studies SET next_number = GREATEST(next_number,
       (SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study_id = $1)) WHERE id = $1`,
    [studyId],
  );
}

/** A float8[] literal that keeps NaN and ±Infinity (JSON cannot). */
function pgArray(values: number[]): string {
  return `{${values.map((v) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v))).join(',')}}`;
}
