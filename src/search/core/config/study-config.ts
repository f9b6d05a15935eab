/**
 * The service's study configuration: the library's validateStudyConfig (space, directions,
 * metrics, constraints, sampler, pruner) plus what only the service has: the budget and the
 * trial runner. The request's schema (src/search/study.schema.ts) checks its shapes; this
 * normalises it once when a study is created (or validated) and the result is stored in
 * `studies.config`, which the driver and the trial jobs only read.
 */
import { FieldProblem, ValidationError } from '../../../platform/errors/domain-error';
import { AlgorithmConfig } from '../settings';
import { SearchSpace, parseSearchSpace } from '../space';
import { ConstraintSpec, ValidatedStudyConfig, validateStudyConfig } from './validate-study';
import { Direction } from '../trial';
import { userRecord } from '../../../platform/core/records';

/** The largest seed accepted anywhere (a 31-bit non-negative integer). */
export const MAX_SEED = 2 ** 31 - 1;

/** Named defaults of the service (the library's live in STUDY_DEFAULTS). */
export const SEARCH_SERVICE_DEFAULTS = {
  /** Trials of a command-runner study that gives neither nTrials nor timeoutS. */
  nTrials: 20,
  parallelism: 1,
  maxParallelism: 64,
  maxTrials: 100_000,
  /** Bytes of a failed trial's stderr kept on the trial. */
  stderrTailBytes: 4096,
};

export interface StudyBudget {
  nTrials: number | null;
  timeoutS: number | null;
  parallelism: number;
}

export type RunnerConfig =
  | {
      type: 'command';
      command: string[];
      env: Record<string, string>;
      timeoutS: number | null;
      /** The image each trial runs in (Kubernetes executor); absent: the AutoDL image. */
      image?: string;
      /** What each trial Job requests on Kubernetes (the job kinds' `resources` block). */
      resources?: TrialResources;
    }
  | { type: 'external' };

/** GPUs, GPU model, CPU and memory of one trial (src/platform/validation/job-resources.ts). */
export interface TrialResources {
  gpu?: number;
  gpuType?: string;
  cpu?: string;
  memory?: string;
}

/** Where a command study's trial jobs run on Kubernetes (src/platform/validation/placement.ts). */
export interface TrialPlacement {
  namespace: string;
  nodeSelector: Record<string, string>;
}

/** JSON-friendly: the raw space is kept (parseSearchSpace rebuilds it identically). */
export interface StudyConfig {
  space: Record<string, unknown>;
  directions: Direction[];
  metrics: string[];
  constraints: ConstraintSpec[];
  sampler: AlgorithmConfig;
  pruner: AlgorithmConfig;
  budget: StudyBudget;
  runner: RunnerConfig;
  /** Command runner: the trial jobs' namespace and node labels. */
  placement?: TrialPlacement;
  /** A study of the same project whose complete trials are prior observations (warm start). */
  warmStartFrom?: string;
}

/**
 * A study request as its schema leaves it: every shape, range and plain default checked. What
 * depends on several fields (the seed given twice, a command runner's default budget, the
 * library's checks) is normaliseStudyConfig's.
 */
export interface StudyRequest {
  seed?: number;
  space: Record<string, unknown>;
  direction?: Direction;
  directions?: Direction[];
  metrics?: string[];
  constraints?: ConstraintSpec[];
  sampler: AlgorithmConfig;
  pruner: AlgorithmConfig;
  budget: { nTrials?: number | null; timeoutS?: number | null; parallelism: number };
  runner:
    | {
        type: 'command';
        command: string[];
        env: Record<string, string>;
        timeoutS?: number | null;
        image?: string;
        resources?: TrialResources;
      }
    | { type: 'external' };
  placement?: { namespace: string; nodeSelector?: Record<string, string> };
  warmStartFrom?: string;
}

/** Validates what relates the fields and throws one ValidationError listing every problem. */
export function normaliseStudyConfig(req: StudyRequest): StudyConfig {
  const problems: FieldProblem[] = [];
  let core: ValidatedStudyConfig | undefined;
  try {
    core = validateStudyConfig(req);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    problems.push(...(e.problems.length ? e.problems : [{ field: 'config', message: e.message }]));
  }
  if (core) seedSampler(req.seed, core.sampler, problems);
  const runner = normaliseRunner(req.runner, problems);
  if (req.placement && runner.type !== 'command')
    problems.push({
      field: 'placement',
      message: 'places trial jobs: only a study with a command runner has them',
    });
  if (problems.length || !core)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  const { nTrials, timeoutS, parallelism } = req.budget;
  // A command runner needs a bound: without nTrials or timeoutS it runs the default number.
  const defaultTrials =
    runner.type === 'command' && timeoutS == null ? SEARCH_SERVICE_DEFAULTS.nTrials : null;
  return {
    space: req.space,
    directions: core.directions,
    metrics: core.metrics,
    constraints: core.constraints,
    sampler: core.sampler,
    pruner: core.pruner,
    budget: { nTrials: nTrials ?? defaultTrials, timeoutS: timeoutS ?? null, parallelism },
    runner,
    ...(req.placement
      ? {
          placement: {
            namespace: req.placement.namespace,
            nodeSelector: { ...req.placement.nodeSelector },
          },
        }
      : {}),
    ...(req.warmStartFrom === undefined ? {} : { warmStartFrom: req.warmStartFrom }),
  };
}

/**
 * The study-level `seed` becomes the sampler's `settings.seed` (where the sampler reads it); one
 * given both ways must agree. Without either the config stays unseeded: `withSeed` adds a
 * random one when the study is created.
 */
function seedSampler(
  seed: number | undefined,
  sampler: AlgorithmConfig,
  problems: FieldProblem[],
): void {
  if (seed === undefined) return;
  const inSettings = sampler.settings.seed;
  if (inSettings !== undefined && inSettings !== seed) {
    problems.push({
      field: 'seed',
      message: `is ${seed} but sampler.settings.seed is ${JSON.stringify(inSettings)}; give one`,
    });
    return;
  }
  sampler.settings = { ...sampler.settings, seed };
}

/** The argv runs without a shell: its program must be named. Env keys stay user data. */
function normaliseRunner(runner: StudyRequest['runner'], problems: FieldProblem[]): RunnerConfig {
  if (runner.type === 'external') return runner;
  if (runner.command[0] === '')
    problems.push({
      field: 'runner.command[0]',
      message: 'must name the program, e.g. ["python", "train.py"]',
    });
  const env = userRecord<string>();
  for (const [k, v] of Object.entries(runner.env)) env[k] = v;
  return {
    type: 'command',
    command: runner.command,
    env,
    timeoutS: runner.timeoutS ?? null,
    ...(runner.image === undefined ? {} : { image: runner.image }),
    ...(runner.resources === undefined ? {} : { resources: runner.resources }),
  };
}

/** The study's seed: the sampler's, as TrialSeededSampler reads it (0 for studies made before). */
export function studySeed(config: StudyConfig): number {
  const s = config.sampler.settings.seed;
  return typeof s === 'number' ? s : 0;
}

/** The config with a seed: its own, else `draw()` (a random one when a study is created). */
export function withSeed(config: StudyConfig, draw: () => number): StudyConfig {
  if (typeof config.sampler.settings.seed === 'number') return config;
  return {
    ...config,
    sampler: { ...config.sampler, settings: { ...config.sampler.settings, seed: draw() } },
  };
}

/** The parsed search space of a stored config. */
export function studySpace(config: StudyConfig): SearchSpace {
  return parseSearchSpace(config.space, 'space');
}
