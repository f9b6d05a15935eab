/**
 * The study of a `nas` job: one `studies` row of kind `nas` per job (found by `job_id`, so a
 * re-queued driver finds it again), its config `{ nas: { spec, space } }` holding the normalised
 * job spec and the resolved space JSON that every `nas-trial` job rebuilds the space from. NAS
 * studies are not command-runner studies: /v1/studies does not list or serve them.
 *
 * The study's seed is the spec's, or drawn at random by the driver's first attempt and recorded
 * in the stored spec (`seedNasSpec`): the data split, the sampler and every trial job use it.
 *
 * The sampler is trial-seeded (src/search/core/samplers/trial-seeded-sampler.ts): drivers of
 * several attempts draw the same proposal for a trial number, and evolution rebuilds its
 * population from the stored trials, so nothing of the sampler lives in a process.
 *
 * The rows are StudiesRepository's in the service; runNas keeps them in memory (NasStudyRows).
 */
import { NotFoundError } from '../platform/errors/domain-error';
import { JobContext } from '../platform/jobs/job-handler';
import { TrialSeededSampler } from '../search/core/samplers/trial-seeded-sampler';
import { SearchSpace, parseSearchSpace } from '../search/core/space';
import { StudyStorage } from '../search/core/storage';
import { Study } from '../search/core/study';
import type { StudiesRepository } from '../search/storage/studies.repository';
import { randomSeed } from '../search/study-seed';
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

/** What NAS needs of the studies tables. */
export type NasStudyRows = Pick<
  StudiesRepository,
  'find' | 'findByJob' | 'insertNas' | 'delete' | 'trialJobId'
> & {
  storage(projectId: string): StudyStorage;
};

export interface NasStudy {
  study: Study;
  spec: SeededNasSpec;
  space: ArchitectureSpace;
  spaceJson: unknown;
  createdAt: Date;
}

export function findNasStudy(rows: NasStudyRows, projectId: string, jobId: string) {
  return rows.findByJob<NasStudyConfig>(projectId, jobId, 'nas');
}

/** The spec with its seed: the spec's, else the one an earlier attempt recorded, else random. */
export async function seedNasSpec(
  rows: NasStudyRows,
  ctx: JobContext,
  spec: NasJobSpec,
): Promise<SeededNasSpec> {
  if (spec.seed !== undefined) return { ...spec, seed: spec.seed };
  const found = await findNasStudy(rows, ctx.projectId, ctx.jobId);
  return { ...spec, seed: found?.config.nas.spec.seed ?? randomSeed() };
}

/**
 * The driver's study: created on the first attempt, found again on later ones. A first attempt
 * that finds one is a retried job ("runs again from scratch"): the old study is replaced.
 */
export async function openNasStudy(
  rows: NasStudyRows,
  ctx: JobContext,
  spec: SeededNasSpec,
  spaceJson: unknown,
): Promise<{ id: string; createdAt: Date; resumed: boolean }> {
  const found = await findNasStudy(rows, ctx.projectId, ctx.jobId);
  if (found && ctx.attempt > 1) return { id: found.id, createdAt: found.created_at, resumed: true };
  if (found) await rows.delete(found.id);
  const config: NasStudyConfig = { nas: { spec, space: spaceJson } };
  const created = await rows.insertNas({
    projectId: ctx.projectId,
    name: `nas-${ctx.jobId}`,
    directions: objectiveDirections(spec.objective),
    config,
    maxTrials: spec.budget.trials,
    jobId: ctx.jobId,
  });
  return { ...created, resumed: false };
}

/** A NAS study as a library Study on the rows' storage (sampler and pruner of its spec). */
export async function loadNasStudy(
  rows: NasStudyRows,
  projectId: string,
  studyId: string,
): Promise<NasStudy> {
  const row = await rows.find<NasStudyConfig>(projectId, studyId, 'nas');
  if (!row) throw new NotFoundError('nas study', studyId);
  const { spec, space: spaceJson } = row.config.nas;
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
      storage: rows.storage(projectId),
      sampler,
      pruner: nasPruner(spec.pruner, objectiveDirections(spec.objective)),
      space: searchSpace,
    },
    studyId,
  );
  return { study, spec, space, spaceJson, createdAt: row.created_at };
}
