/**
 * The PostgreSQL study of a `nas` job: one `studies` row per job (found by `job_id`, so a
 * re-queued driver finds it again), its config `{ nas: { spec, space } }` holding the normalised
 * job spec and the resolved space JSON that every `nas-trial` job rebuilds the space from. NAS
 * studies are not command-runner studies: /v1/studies does not list or serve them.
 *
 * The study's seed is the spec's, or drawn at random by the driver's first attempt and recorded
 * in the stored spec (`seedNasSpec`): the data split, the sampler and every trial job use it.
 *
 * The sampler is trial-seeded (trial-seeded-sampler.ts): drivers of several attempts draw the
 * same proposal for a trial number, and evolution rebuilds its population from the stored
 * trials, so nothing of the sampler lives in a process.
 */
import { DataSource } from 'typeorm';
import { NotFoundError } from '../platform/errors/domain-error';
import { JobContext } from '../platform/jobs/job-handler';
import { SearchSpace, parseSearchSpace } from '../search/core/space';
import { Study } from '../search/core/study';
import { PgStudyStorage } from '../search/storage/pg-study-storage';
import { randomSeed } from '../search/study-seed';
import { TrialSeededSampler } from '../search/core/samplers/trial-seeded-sampler';
import { nasPruner, nasSampler } from './core/candidate';
import { NasJobSpec } from './core/nas-spec';
import { objectiveDirections } from './core/objectives';
import { ArchitectureSpace } from './core/spaces/architecture-space';
import { createArchitectureSpace } from './core/spaces/space-registry';

/** The spec as the study stores it: the seed is always set. */
export type SeededNasSpec = NasJobSpec & { seed: number };

export interface NasStudyConfig {
  nas: { spec: SeededNasSpec; space: unknown };
}

export interface NasStudy {
  study: Study;
  spec: SeededNasSpec;
  space: ArchitectureSpace;
  spaceJson: unknown;
  createdAt: Date;
}

interface StudyRow {
  id: string;
  config: NasStudyConfig;
  created_at: Date;
}

const IS_NAS = `(config -> 'nas') IS NOT NULL`;

export async function findNasStudy(
  db: DataSource,
  projectId: string,
  jobId: string,
): Promise<StudyRow | undefined> {
  const rows: StudyRow[] = await db.query(
    `SELECT id, config, created_at FROM studies WHERE project_id = $1 AND job_id = $2 AND ${IS_NAS}`,
    [projectId, jobId],
  );
  return rows[0];
}

/** The spec with its seed: the spec's, else the one an earlier attempt recorded, else random. */
export async function seedNasSpec(
  db: DataSource,
  ctx: JobContext,
  spec: NasJobSpec,
): Promise<SeededNasSpec> {
  if (spec.seed !== undefined) return { ...spec, seed: spec.seed };
  const found = await findNasStudy(db, ctx.projectId, ctx.jobId);
  return { ...spec, seed: found?.config.nas.spec.seed ?? randomSeed() };
}

/**
 * The driver's study: created on the first attempt, found again on later ones. A first attempt
 * that finds one is a retried job ("runs again from scratch"): the old study is replaced.
 */
export async function openNasStudy(
  db: DataSource,
  ctx: JobContext,
  spec: SeededNasSpec,
  spaceJson: unknown,
): Promise<{ id: string; createdAt: Date; resumed: boolean }> {
  const found = await findNasStudy(db, ctx.projectId, ctx.jobId);
  if (found && ctx.attempt > 1) return { id: found.id, createdAt: found.created_at, resumed: true };
  if (found) await db.query(`DELETE FROM studies WHERE id = $1`, [found.id]);
  const config: NasStudyConfig = { nas: { spec, space: spaceJson } };
  const rows: { id: string; created_at: Date }[] = await db.query(
    `INSERT INTO studies (project_id, name, directions, config, max_trials, job_id)
     VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6) RETURNING id, created_at`,
    [
      ctx.projectId,
      `nas-${ctx.jobId}`,
      JSON.stringify(objectiveDirections(spec.objective)),
      JSON.stringify(config),
      spec.budget.trials,
      ctx.jobId,
    ],
  );
  return { id: rows[0].id, createdAt: rows[0].created_at, resumed: false };
}

/** A NAS study as a library Study on PostgreSQL (sampler and pruner of its spec). */
export async function loadNasStudy(
  db: DataSource,
  projectId: string,
  studyId: string,
): Promise<NasStudy> {
  const rows: StudyRow[] = await db.query(
    `SELECT id, config, created_at FROM studies WHERE id = $1 AND project_id = $2 AND ${IS_NAS}`,
    [studyId, projectId],
  );
  if (rows.length === 0) throw new NotFoundError('nas study', studyId);
  const { spec, space: spaceJson } = rows[0].config.nas;
  const space = createArchitectureSpace(spaceJson);
  const searchSpace: SearchSpace = parseSearchSpace(space.toSearchSpace(), 'space');
  const settings = { seed: spec.seed, ...spec.strategy.settings };
  const sampler = new TrialSeededSampler({ name: spec.strategy.name, settings }, (s) =>
    nasSampler(
      space,
      searchSpace,
      { name: spec.strategy.name, settings: s },
      spec.budget.trials,
      spec.seed,
    ),
  );
  const study = await Study.load(
    {
      storage: new PgStudyStorage(db, projectId),
      sampler,
      pruner: nasPruner(spec.pruner, objectiveDirections(spec.objective)),
      space: searchSpace,
    },
    studyId,
  );
  return { study, spec, space, spaceJson, createdAt: rows[0].created_at };
}
