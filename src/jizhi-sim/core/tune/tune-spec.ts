import { ValidationError } from '../../../platform/errors/domain-error';
import { compilePipeline } from '../pipeline';
import { SpecReader } from '../pipeline-spec-reader';
import { readTrafficInto } from '../traffic/traffic-model-registry';
import { TrafficModel } from '../traffic/traffic-model';
import { TUNE_SAMPLERS, TuneSamplerName, createTuneSampler } from './tune-samplers';

/** Serving knobs the tuner can turn, per stage. */
export const TUNABLE_PARAMS = [
  'instances',
  'batch.maxSize',
  'batch.maxDelayMs',
  'cache.capacity',
  'cutoff.queueThreshold',
] as const;
export type TunableParam = (typeof TUNABLE_PARAMS)[number];

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
  pipeline: Record<string, unknown>;
  traffic: Record<string, unknown>;
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

const MAX_TRIALS = 5000;
const MAX_SEEDS = 50;

/** Validate a tune request; every problem is reported with its field path. */
export function readTuneSpec(raw: unknown): TuneSpec {
  const r = new SpecReader();
  const o = r.object(raw, 'spec') ?? {};
  const pipelineObj = r.object(o.pipeline, 'pipeline');
  const trafficFactory = readTrafficInto(r, o.traffic, 'traffic');
  const slo = r.object(o.slo, 'slo') ?? {};
  const p99Ms = r.number(slo.p99Ms, 'slo.p99Ms', { min: 0, exclusiveMin: true }) ?? 1;
  const maxDropRate = r.optionalNumber(slo.maxDropRate, 'slo.maxDropRate', 0.001, {
    min: 0,
    max: 1,
  });
  const maxAccuracyPenalty = r.optionalNumber(slo.maxAccuracyPenalty, 'slo.maxAccuracyPenalty', 1, {
    min: 0,
    max: 1,
  });
  const budget = r.object(o.budget, 'budget') ?? {};
  const trials =
    r.number(budget.trials, 'budget.trials', { min: 1, max: MAX_TRIALS, integer: true }) ?? 1;
  const seeds = r.optionalNumber(o.seeds, 'seeds', 3, { min: 1, max: MAX_SEEDS, integer: true });
  const samplerOptions =
    o.samplerOptions === undefined ? {} : (r.object(o.samplerOptions, 'samplerOptions') ?? {});
  if ('seed' in samplerOptions) r.fail('samplerOptions.seed', 'set samplerSeed instead');
  const objective =
    o.objective === undefined
      ? 'min-cost'
      : (r.oneOf(o.objective, 'objective', ['min-cost', 'pareto'] as const) ?? 'min-cost');
  // NSGA-II is the natural default for the two-objective front, TPE for constrained cost.
  const defaultSampler = objective === 'pareto' ? 'nsga2' : 'tpe';
  const sampler =
    o.sampler === undefined
      ? defaultSampler
      : (r.oneOf(o.sampler, 'sampler', TUNE_SAMPLERS) ?? defaultSampler);
  const durationS = r.optionalNumber(o.durationS, 'durationS', 60, { min: 0, exclusiveMin: true });
  const warmupS = r.optionalNumber(o.warmupS, 'warmupS', Math.min(5, durationS / 10), { min: 0 });
  if (warmupS >= durationS) r.fail('warmupS', `must be < durationS (${durationS}), got ${warmupS}`);
  const seed = r.optionalNumber(o.seed, 'seed', 0, { min: 0, max: 2 ** 31 - 1, integer: true });
  const samplerSeed = r.optionalNumber(o.samplerSeed, 'samplerSeed', seed, {
    min: 0,
    max: 2 ** 31 - 1,
    integer: true,
  });
  const space: SpaceEntry[] = [];
  const arr = r.array(o.space, 'space');
  if (arr && arr.length === 0) r.fail('space', 'must have at least one entry');
  arr?.forEach((e, i) => {
    const f = `space[${i}]`;
    const eo = r.object(e, f);
    if (!eo) return;
    const stage = r.string(eo.stage, `${f}.stage`);
    const param = r.oneOf(eo.param, `${f}.param`, TUNABLE_PARAMS);
    if (stage === undefined || param === undefined) return;
    const integer = param !== 'batch.maxDelayMs';
    const min = param === 'instances' || param === 'batch.maxSize' ? 1 : 0;
    if (eo.values !== undefined) {
      const vals = r.array(eo.values, `${f}.values`) ?? [];
      if (vals.length === 0) r.fail(`${f}.values`, 'must not be empty');
      const nums: number[] = [];
      vals.forEach((v, k) => {
        const x = r.number(v, `${f}.values[${k}]`, { min, integer });
        if (x !== undefined) nums.push(x);
      });
      if (new Set(nums).size !== nums.length) r.fail(`${f}.values`, 'must be distinct');
      space.push({ stage, param, values: nums });
    } else {
      const low = r.number(eo.low, `${f}.low`, { min, integer });
      const high = r.number(eo.high, `${f}.high`, { min, integer });
      const step =
        eo.step === undefined
          ? undefined
          : r.number(eo.step, `${f}.step`, { min: 0, exclusiveMin: true, integer });
      if (low !== undefined && high !== undefined && high < low)
        r.fail(`${f}.high`, `must be >= low (${low}), got ${high}`);
      if (low !== undefined && high !== undefined) space.push({ stage, param, low, high, step });
    }
  });
  const keys = space.map((s) => `${s.stage}.${s.param}`);
  keys.forEach((k, i) => {
    if (keys.indexOf(k) !== i) r.fail(`space[${i}]`, `${k} appears twice`);
  });
  r.check('tune spec');
  // The pipeline must be valid as given (it is the "current config") and at the largest values
  // of every dimension (e.g. an empirical profile must cover the largest batch size tried).
  compilePipeline(pipelineObj, 'pipeline');
  const stages = (pipelineObj as { stages: Record<string, unknown>[] }).stages;
  space.forEach((s, i) => {
    const st = stages.find((x) => x.id === s.stage);
    if (!st) r.fail(`space[${i}].stage`, `unknown stage ${JSON.stringify(s.stage)}`);
    else if (
      s.param === 'cache.capacity' &&
      (st.cache as { model?: string } | undefined)?.model !== 'lru'
    ) {
      r.fail(`space[${i}].param`, `stage ${JSON.stringify(s.stage)} has no LRU cache to size`);
    } else if (s.param === 'cutoff.queueThreshold' && st.cutoff === undefined) {
      r.fail(`space[${i}].param`, `stage ${JSON.stringify(s.stage)} has no cutoff to tune`);
    }
  });
  r.check('tune spec');
  const largest: Record<string, number> = {};
  for (const s of space)
    largest[`${s.stage}.${s.param}`] = s.values ? Math.max(...s.values) : (s.high as number);
  compilePipeline(applyParams(pipelineObj as Record<string, unknown>, largest), 'pipeline');
  (trafficFactory as () => TrafficModel)();
  createTuneSampler(sampler, samplerSeed, samplerOptions);
  return {
    pipeline: pipelineObj as Record<string, unknown>,
    traffic: o.traffic as Record<string, unknown>,
    slo: { p99Ms, maxDropRate, maxAccuracyPenalty },
    space,
    budget: { trials },
    seeds,
    sampler,
    samplerOptions,
    objective,
    durationS,
    warmupS,
    seed,
    samplerSeed,
  };
}

/** A copy of the pipeline JSON with `stage.param` values set (`batch`/`cache` objects created as needed). */
export function applyParams(
  pipeline: Record<string, unknown>,
  params: Record<string, number>,
): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(pipeline)) as { stages: Record<string, unknown>[] };
  for (const [key, value] of Object.entries(params)) {
    const param = TUNABLE_PARAMS.find((p) => key.endsWith(`.${p}`));
    if (!param) throw ValidationError.field('space', `unknown parameter ${key}`);
    const stageId = key.slice(0, key.length - param.length - 1);
    const st = copy.stages.find((s) => s.id === stageId);
    if (!st) throw ValidationError.field('space', `unknown stage ${JSON.stringify(stageId)}`);
    if (param === 'instances') st.instances = value;
    else {
      const [obj, field] = param.split('.') as ['batch' | 'cache' | 'cutoff', string];
      const target = (st[obj] ?? (obj === 'batch' ? { maxSize: 1, maxDelayMs: 0 } : {})) as Record<
        string,
        unknown
      >;
      target[field] = value;
      st[obj] = target;
    }
  }
  return copy;
}
