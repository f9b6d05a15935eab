import { ValidationError } from '../../../platform/errors/domain-error';
import { PipelineSpec, compilePipeline } from '../pipeline';
import { Problems } from '../problems';
import { TrafficSpec, trafficFactory } from '../traffic/traffic-model-registry';
import { TuneSamplerName, createTuneSampler } from './tune-samplers';

/** Serving knobs the tuner can turn, per stage. */
export const TUNABLE_PARAMS = [
  'instances',
  'batch.maxSize',
  'batch.maxDelayMs',
  'cache.capacity',
  'cutoff.queueThreshold',
  'autoscale.targetUtilisation',
  'autoscale.cooldownS',
] as const;
export type TunableParam = (typeof TUNABLE_PARAMS)[number];

/** Tunable parameters that take real values (the others are integers). */
export const FLOAT_PARAMS: ReadonlySet<TunableParam> = new Set([
  'batch.maxDelayMs',
  'autoscale.targetUtilisation',
  'autoscale.cooldownS',
]);

/** One search dimension: explicit `values`, or a range `low..high` (with `step`). */
export interface SpaceEntry {
  stage: string;
  param: TunableParam;
  values?: number[];
  low?: number;
  high?: number;
  step?: number;
}

export interface TuneSpec {
  pipeline: PipelineSpec;
  traffic: TrafficSpec;
  slo: { p99Ms: number; maxDropRate: number; maxAccuracyPenalty: number };
  space: SpaceEntry[];
  budget: { trials: number };
  /** Simulation seeds per configuration; metrics are averaged over them to control noise. */
  seeds: number;
  sampler: TuneSamplerName;
  /** Settings passed to the sampler (e.g. TPE's nStartupTrials, multivariate); it validates them. */
  samplerOptions: Record<string, unknown>;
  /** `min-cost`: cheapest config meeting the SLO; `pareto`: the cost vs p99 front. */
  objective: 'min-cost' | 'pareto';
  durationS: number;
  warmupS: number;
  /** Seeds the simulations (seed*1000 + k for k < seeds). */
  seed: number;
  /** Seeds the sampler; defaults to `seed`. Vary it alone to compare samplers on one evaluator. */
  samplerSeed: number;
}

/** Largest budget and seeds per configuration a request may ask for (bounded work per job). */
export const MAX_TUNE_TRIALS = 5000;
export const MAX_TUNE_SEEDS = 50;

/**
 * A tune request as its schema leaves it (src/jizhi-sim/sim-specs.schema.ts: shapes, ranges and
 * plain defaults): the defaults that depend on other fields are still open.
 */
export type TuneRequest = Omit<TuneSpec, 'sampler' | 'warmupS' | 'samplerSeed'> &
  Partial<Pick<TuneSpec, 'sampler' | 'warmupS' | 'samplerSeed'>>;

/**
 * Resolves the defaults that depend on other fields and checks what a schema cannot: the space
 * against the pipeline (stages that exist, a cache or cut-off to tune, distinct values, no
 * dimension twice), the pipeline as given and at the largest value of every dimension (e.g. an
 * empirical profile must cover the largest batch size tried), the traffic and the sampler's
 * settings. Every problem is reported with its field path.
 */
export function normaliseTuneSpec(req: TuneRequest): TuneSpec {
  const r = new Problems();
  // NSGA-II is the natural default for the two-objective front, TPE for constrained cost.
  const sampler = req.sampler ?? (req.objective === 'pareto' ? 'nsga2' : 'tpe');
  const warmupS = req.warmupS ?? Math.min(5, req.durationS / 10);
  if (warmupS >= req.durationS)
    r.fail('warmupS', `must be < durationS (${req.durationS}), got ${warmupS}`);
  const samplerSeed = req.samplerSeed ?? req.seed;
  if ('seed' in req.samplerOptions) r.fail('samplerOptions.seed', 'set samplerSeed instead');
  req.space.forEach((s, i) => checkDimension(r, s, `space[${i}]`));
  const keys = req.space.map((s) => `${s.stage}.${s.param}`);
  keys.forEach((k, i) => {
    if (keys.indexOf(k) !== i) r.fail(`space[${i}]`, `${k} appears twice`);
  });
  r.check('tune spec');
  // The pipeline must be valid as given: it is the "current config" the result compares with.
  compilePipeline(req.pipeline, 'pipeline');
  req.space.forEach((s, i) => {
    const st = req.pipeline.stages.find((x) => x.id === s.stage);
    if (!st) r.fail(`space[${i}].stage`, `unknown stage ${JSON.stringify(s.stage)}`);
    else if (s.param === 'cache.capacity' && st.cache?.model !== 'lru')
      r.fail(`space[${i}].param`, `stage ${JSON.stringify(s.stage)} has no LRU cache to size`);
    else if (s.param === 'cutoff.queueThreshold' && st.cutoff === undefined)
      r.fail(`space[${i}].param`, `stage ${JSON.stringify(s.stage)} has no cutoff to tune`);
    else if (s.param.startsWith('autoscale.') && st.autoscale === undefined)
      r.fail(
        `space[${i}].param`,
        `stage ${JSON.stringify(s.stage)} has no autoscale policy to tune`,
      );
  });
  r.check('tune spec');
  const largest: Record<string, number> = {};
  for (const s of req.space)
    largest[`${s.stage}.${s.param}`] = s.values ? Math.max(...s.values) : (s.high as number);
  compilePipeline(applyParams(req.pipeline, largest), 'pipeline');
  trafficFactory(req.traffic, 'traffic');
  createTuneSampler(sampler, samplerSeed, req.samplerOptions);
  return { ...req, sampler, warmupS, samplerSeed };
}

/** A dimension is explicit distinct `values`, or a range `low <= high` (with `step`). */
function checkDimension(r: Problems, s: SpaceEntry, f: string): void {
  if (s.values !== undefined) {
    if (s.low !== undefined || s.high !== undefined || s.step !== undefined)
      r.fail(f, 'give values or low/high (with step), not both');
    if (new Set(s.values).size !== s.values.length) r.fail(`${f}.values`, 'must be distinct');
    return;
  }
  if (s.low === undefined) r.fail(`${f}.low`, 'is required (or values)');
  if (s.high === undefined) r.fail(`${f}.high`, 'is required (or values)');
  if (s.low !== undefined && s.high !== undefined && s.high < s.low)
    r.fail(`${f}.high`, `must be >= low (${s.low}), got ${s.high}`);
}

/** A copy of the pipeline JSON with `stage.param` values set (`batch`/`cache` objects created as needed). */
export function applyParams(pipeline: PipelineSpec, params: Record<string, number>): PipelineSpec {
  const copy = structuredClone(pipeline);
  for (const [key, value] of Object.entries(params)) {
    const param = TUNABLE_PARAMS.find((p) => key.endsWith(`.${p}`));
    if (!param) throw ValidationError.field('space', `unknown parameter ${key}`);
    const stageId = key.slice(0, key.length - param.length - 1);
    const st = copy.stages.find((s) => s.id === stageId);
    if (!st) throw ValidationError.field('space', `unknown stage ${JSON.stringify(stageId)}`);
    if (param === 'instances') st.instances = value;
    else {
      const [obj, field] = param.split('.') as ['batch' | 'cache' | 'cutoff' | 'autoscale', string];
      // The schema and compilePipeline check the result; here a stage is plain JSON.
      const stage = st as unknown as Record<string, Record<string, unknown> | undefined>;
      const target = stage[obj] ?? (obj === 'batch' ? { maxSize: 1, maxDelayMs: 0 } : {});
      target[field] = value;
      stage[obj] = target;
    }
  }
  return copy;
}
