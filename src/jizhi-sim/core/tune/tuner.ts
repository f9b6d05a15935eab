import { UnprocessableError } from '../../../platform/errors/domain-error';
import {
  Distribution,
  categoricalDistribution,
  floatDistribution,
  intDistribution,
} from '../../../search/core/distributions';
import { InMemoryStudyStorage } from '../../../search/core/memory-storage';
import { SearchSpace } from '../../../search/core/space';
import { Study } from '../../../search/core/study';
import { pipelineCost } from '../cost';
import { LatencySketch } from '../latency-sketch';
import { prepareSimulation } from '../prepare-simulation';
import { sig } from '../stats';
import { PipelineSpec } from '../pipeline';
import { FLOAT_PARAMS, TuneSpec, applyParams } from './tune-spec';
import { createTuneSampler } from './tune-samplers';

/**
 * Metrics of one configuration over all its simulation seeds pooled: p99 of every seed's
 * latencies together (their sketches merged), drop rate and accuracy penalty over all requests.
 */
export interface ConfigEvaluation {
  params: Record<string, number>;
  /** Price per hour (instances and cache memory, cost.ts); the instance count when nothing has a price. */
  cost: number;
  instances: number;
  p99Ms: number;
  dropRate: number;
  accuracyPenalty: number;
  /** False when an SLO is missed or the config is unstable (then it is never simulated). */
  feasible: boolean;
  unstable: boolean;
}

export interface TuneTrialRecord extends ConfigEvaluation {
  trial: number;
  /** Simulations run so far, including this trial's (repeated configs are not re-simulated). */
  simulations: number;
}

export interface TuneResult {
  objective: TuneSpec['objective'];
  sampler: string;
  /** Distinct configurations tried (the budget counts these). */
  trials: number;
  simulations: number;
  /** Configurations the sampler proposed, repeats included; a repeat costs no trial. */
  proposals: number;
  /** True when every configuration of a finite space was tried before the budget ran out. */
  spaceExhausted: boolean;
  best: ConfigEvaluation | null;
  /** The pipeline JSON with the best parameters applied. */
  bestPipeline: PipelineSpec | null;
  current: ConfigEvaluation;
  /** Cost saved by the best config relative to the current one (fraction; negative = dearer). */
  savingVsCurrent: number | null;
  /** Non-dominated feasible configs on (cost, p99), cheapest first. */
  paretoFront: ConfigEvaluation[];
  history: TuneTrialRecord[];
}

/**
 * Resumable state: the simulated evaluations so far. The search is deterministic for its seeds,
 * so a resumed run asks the same configurations again and finds them here instead of simulating.
 */
export interface TuneCheckpoint {
  evaluations: ConfigEvaluation[];
  simulations: number;
  /** Cumulative simulations after each finished trial, so a resumed history reads the same. */
  simulationsByTrial: number[];
}

export interface TuneHooks {
  /** Called after each trial; returning a promise lets a job report progress. */
  onTrial?: (record: TuneTrialRecord, total: number) => void | Promise<void>;
  /** Checked before each trial; true stops the search. */
  cancelled?: () => boolean;
  /** Called every `checkpointEvery` trials (default 10) with the resumable state. */
  checkpoint?: (state: TuneCheckpoint) => void | Promise<void>;
  checkpointEvery?: number;
  /** State from an earlier, interrupted run of the same spec. */
  resumeFrom?: TuneCheckpoint;
}

/** The tuner's order of feasible configurations: cheaper, then a lower p99. */
export function cheaperConfig(
  a: Pick<ConfigEvaluation, 'cost' | 'p99Ms'>,
  b: Pick<ConfigEvaluation, 'cost' | 'p99Ms'>,
): boolean {
  return a.cost < b.cost || (a.cost === b.cost && a.p99Ms < b.p99Ms);
}

/**
 * Evaluates configurations by simulation, memoised per parameter set: samplers that propose a
 * configuration again (TPE on small discrete spaces does) cost no further simulations.
 */
export class ConfigEvaluator {
  private readonly memo = new Map<string, ConfigEvaluation>();
  simulations = 0;

  constructor(private readonly spec: TuneSpec) {}

  /** Pre-load evaluations from a checkpoint (their simulations were already spent). */
  restore(state: TuneCheckpoint): void {
    for (const ev of state.evaluations) this.memo.set(memoKey(ev.params), ev);
    this.simulations = state.simulations;
  }

  /** Simulated evaluations (unstable ones cost nothing to redo and hold an Infinity p99). */
  snapshot(simulationsByTrial: number[]): TuneCheckpoint {
    const evaluations = [...this.memo.values()].filter((e) => !e.unstable);
    return { evaluations, simulations: this.simulations, simulationsByTrial };
  }

  evaluate(params: Record<string, number>): ConfigEvaluation {
    const key = memoKey(params);
    const hit = this.memo.get(key);
    if (hit) return hit;
    const ev = this.run(params);
    this.memo.set(key, ev);
    return ev;
  }

  private run(params: Record<string, number>): ConfigEvaluation {
    const { spec } = this;
    const pipeline = applyParams(spec.pipeline, params);
    const { cost, instances } = pipelineCost(pipeline);
    // Pooled over seeds: one latency sketch for all runs (the p99 of all requests, not the mean
    // of per-seed p99s, which under-weights the tail of a bad seed), drops over all requests.
    const latencies = new LatencySketch();
    // An autoscaled stage's cost is what it ran: the simulated mean instance count.
    const autoscaled = pipeline.stages.some((s) => s.autoscale !== undefined);
    let simulatedCost = 0;
    let arrivedOrDropped = 0;
    let dropped = 0;
    let penaltySum = 0;
    let completed = 0;
    for (let k = 0; k < spec.seeds; k++) {
      let sim;
      try {
        sim = prepareSimulation({
          pipeline,
          traffic: spec.traffic,
          durationS: spec.durationS,
          warmupS: spec.warmupS,
          seed: spec.seed * 1000 + k,
          samplePoints: 0,
        }).simulation;
      } catch (e) {
        if (e instanceof UnprocessableError) {
          return {
            params,
            cost: sig(cost),
            instances,
            p99Ms: Infinity,
            dropRate: 1,
            accuracyPenalty: 0,
            feasible: false,
            unstable: true,
          };
        }
        throw e;
      }
      const r = sim.run();
      this.simulations++;
      latencies.merge(sim.latencySketch());
      arrivedOrDropped += r.requests.completed + r.requests.dropped;
      dropped += r.requests.dropped;
      completed += r.requests.completed;
      penaltySum += r.accuracyPenalty * r.requests.completed;
      const price = r.cost.perHour;
      const meanInstances = r.stages.reduce((a, st) => a + st.meanInstances, 0);
      simulatedCost += (price > 0 ? price : meanInstances) / spec.seeds;
    }
    const p99 = 1000 * latencies.quantile(0.99);
    const drop = arrivedOrDropped > 0 ? dropped / arrivedOrDropped : 0;
    const pen = completed > 0 ? penaltySum / completed : 0;
    const feasible =
      (spec.objective === 'pareto' || p99 <= spec.slo.p99Ms) &&
      drop <= spec.slo.maxDropRate &&
      pen <= spec.slo.maxAccuracyPenalty;
    return {
      params,
      cost: sig(autoscaled ? simulatedCost : cost),
      instances,
      p99Ms: sig(p99),
      dropRate: sig(drop),
      accuracyPenalty: sig(pen),
      feasible,
      unstable: false,
    };
  }
}

function memoKey(params: Record<string, number>): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

/**
 * Proposals allowed per trial of the budget: a sampler that keeps proposing known configurations
 * (TPE converged on a small space) ends the search instead of spinning.
 */
const MAX_PROPOSALS_PER_TRIAL = 20;

/** Number of distinct configurations of the space (Infinity with a continuous dimension). */
export function tuneSpaceSize(spec: TuneSpec): number {
  let size = 1;
  for (const s of spec.space) {
    if (s.values) size *= s.values.length;
    else if (s.step === undefined && FLOAT_PARAMS.has(s.param)) return Infinity;
    else size *= Math.floor(((s.high as number) - (s.low as number)) / (s.step ?? 1) + 1e-9) + 1;
  }
  return size;
}

/** The search space of the search engine for the tuner's dimensions. */
export function tuneSearchSpace(spec: TuneSpec): SearchSpace {
  return {
    params: spec.space.map((s) => {
      const name = `${s.stage}.${s.param}`;
      let d: Distribution;
      if (s.values) d = categoricalDistribution(s.values, name);
      else if (FLOAT_PARAMS.has(s.param))
        d = floatDistribution(
          s.low as number,
          s.high as number,
          s.step ? { step: s.step } : {},
          name,
        );
      else d = intDistribution(s.low as number, s.high as number, { step: s.step ?? 1 }, name);
      return { name, distribution: d, when: {} };
    }),
  };
}

/**
 * Autotuner in the spirit of JIZHI: search the serving knobs with the search engine's ask/tell
 * Study, scoring each configuration by simulation. `min-cost` minimises cost with the SLOs as
 * Optuna-style constraints (<= 0 feasible): p99/SLO - 1, drop - limit, penalty - limit; an
 * unstable config gets a large violation without being simulated. `pareto` minimises (cost, p99)
 * under the drop and penalty constraints. The user's current config is evaluated the same way.
 */
export async function tune(spec: TuneSpec, hooks: TuneHooks = {}): Promise<TuneResult> {
  const evaluator = new ConfigEvaluator(spec);
  if (hooks.resumeFrom) evaluator.restore(hooks.resumeFrom);
  const every = hooks.checkpointEvery ?? 10;
  const space = tuneSearchSpace(spec);
  const sampler = createTuneSampler(spec.sampler, spec.samplerSeed, spec.samplerOptions);
  const directions: ('minimize' | 'maximize')[] =
    spec.objective === 'pareto' ? ['minimize', 'minimize'] : ['minimize'];
  const study = await Study.create(
    { storage: new InMemoryStudyStorage(() => 0), sampler, space },
    { name: 'jizhi-tune', directions },
  );
  const history: TuneTrialRecord[] = [];
  // Repeats are skipped in the sampler's loop: a configuration proposed again is told its known
  // result (so the sampler's model stays whole) without spending a trial or a simulation. The
  // budget counts distinct configurations, bounded by the space's size and a proposal cap.
  const seen = new Set<string>();
  const spaceSize = tuneSpaceSize(spec);
  const maxProposals = MAX_PROPOSALS_PER_TRIAL * spec.budget.trials;
  let proposals = 0;
  while (history.length < spec.budget.trials && seen.size < spaceSize) {
    if (hooks.cancelled?.() || proposals >= maxProposals) break;
    const trial = await study.askFromSpace();
    proposals++;
    const params: Record<string, number> = {};
    for (const [k, v] of Object.entries(trial.params)) params[k] = v as number;
    const key = memoKey(params);
    const repeat = seen.has(key);
    seen.add(key);
    const ev = evaluator.evaluate(params);
    const unstable = ev.unstable ? 10 : 0;
    const sloTerms = [
      ev.dropRate - spec.slo.maxDropRate + unstable,
      ev.accuracyPenalty - spec.slo.maxAccuracyPenalty + unstable,
    ];
    if (spec.objective === 'min-cost') {
      const latency = ev.unstable ? 10 : ev.p99Ms / spec.slo.p99Ms - 1;
      await study.tell(trial, { values: [ev.cost], constraints: [latency, ...sloTerms] });
    } else {
      // Unstable configs have no finite p99; rank them after every simulated config.
      const p99 = ev.unstable ? 1e9 : ev.p99Ms;
      await study.tell(trial, { values: [ev.cost, p99], constraints: sloTerms });
    }
    if (repeat) continue;
    const i = history.length;
    const replayed = hooks.resumeFrom?.simulationsByTrial[i];
    const record = { ...ev, trial: i, simulations: replayed ?? evaluator.simulations };
    history.push(record);
    await hooks.onTrial?.(record, spec.budget.trials);
    if (hooks.checkpoint && (i + 1) % every === 0) {
      await hooks.checkpoint(evaluator.snapshot(history.map((h) => h.simulations)));
    }
  }
  const current = evaluator.evaluate({});
  const feasible = history.filter((h) => h.feasible);
  const best = feasible.reduce<ConfigEvaluation | null>(
    (b, h) => (b === null || cheaperConfig(h, b) ? h : b),
    null,
  );
  return {
    objective: spec.objective,
    sampler: spec.sampler,
    trials: history.length,
    simulations: evaluator.simulations,
    proposals,
    spaceExhausted: seen.size >= spaceSize,
    best: best ? strip(best) : null,
    bestPipeline: best ? applyParams(spec.pipeline, best.params) : null,
    current,
    savingVsCurrent: best ? sig((current.cost - best.cost) / current.cost) : null,
    paretoFront: paretoFront(
      history.filter(
        (h) =>
          !h.unstable &&
          h.dropRate <= spec.slo.maxDropRate &&
          h.accuracyPenalty <= spec.slo.maxAccuracyPenalty,
      ),
    ),
    history,
  };
}

function strip(h: ConfigEvaluation): ConfigEvaluation {
  const { params, cost, instances, p99Ms, dropRate, accuracyPenalty, feasible, unstable } = h;
  return { params, cost, instances, p99Ms, dropRate, accuracyPenalty, feasible, unstable };
}

/** Non-dominated (cost, p99) points, one per distinct point, cheapest first. */
export function paretoFront(points: readonly ConfigEvaluation[]): ConfigEvaluation[] {
  const sorted = points.slice().sort((a, b) => a.cost - b.cost || a.p99Ms - b.p99Ms);
  const front: ConfigEvaluation[] = [];
  let bestP99 = Infinity;
  for (const p of sorted) {
    if (p.p99Ms < bestP99) {
      front.push(strip(p));
      bestP99 = p.p99Ms;
    }
  }
  return front;
}
