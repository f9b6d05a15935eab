/**
 * Study and Trial: define-by-run and ask/tell over the async StudyStorage port.
 *
 * Design choice (why suggest is synchronous): `ask()` is async; it creates the trial (the storage
 * assigns its number atomically), takes a snapshot of the study's trials and lets the sampler
 * propose its joint ("relative") parameters. `suggest*()` then samples from that snapshot without
 * I/O, exactly like Optuna's API, and writes each parameter to storage in the background (a
 * promise chain) so concurrent askers and constant-liar samplers see it soon; `report()` and
 * `tell()` await that chain, so no write is ever lost and storage errors surface there. `report()`
 * also refreshes the snapshot so that the synchronous `shouldPrune()` compares with up-to-date
 * trials. A snapshot is what a parallel sampler sees in any storage, so nothing is lost by it.
 */
import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { Pruner } from './pruner';
import { ProposedParam, RelativeSample, Sampler } from './sampler';
import { ParamValue, contains, isSingle, sameDistribution } from './distributions';
import { paretoFront } from './multi-objective';
import { SearchSpace, isActive } from './space';
import { StudyStorage } from './storage';
import { StudyView } from './study-view';
import { Direction, FrozenTrial, JsonValue, StudyRecord, TrialState, isFeasible } from './trial';
import { Trial } from './trial-handle';

export { Trial } from './trial-handle';

/** Throw from an objective to end its trial as pruned. */
export class TrialPruned extends Error {
  constructor(message = 'trial pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}

export type TellResult =
  | number
  | number[]
  | Exclude<TrialState, 'running' | 'complete'>
  | { state?: Exclude<TrialState, 'running'>; values?: number | number[]; constraints?: number[] };

export interface StudyDeps {
  storage: StudyStorage;
  sampler: Sampler;
  pruner?: Pruner;
  space?: SearchSpace;
  /** Complete trials of an earlier study, seen by samplers as prior observations (warm start). */
  priorTrials?: readonly FrozenTrial[];
}

/**
 * Hard constraints known before evaluation (a cost computable from the parameters alone, such as
 * a network's parameter count): a drawn configuration that breaks one is never stored as a
 * trial; the sampler draws again (rejection sampling), up to `maxDraws` times.
 */
export interface AskOptions {
  /** A short reason (the same text for the same cause) to re-draw, undefined to accept. */
  reject?: (params: Readonly<Record<string, ParamValue>>) => string | undefined;
  maxDraws?: number;
}

/** Draws per trial before asking gives up (the constraints exclude (almost) the whole space). */
export const MAX_DRAWS_PER_TRIAL = 200;

/** A configuration drawn but not yet stored (what `reject` judges). */
interface Draft {
  params: Record<string, ParamValue>;
  proposals: Record<string, ProposedParam>;
  systemAttrs: Record<string, JsonValue>;
}

export interface OptimizeOptions {
  nTrials?: number;
  timeoutMs?: number;
  /** Trials evaluated at once (asks interleave; samplers see the others as running). */
  concurrency?: number;
  /** Objective errors mark the trial failed; with catchErrors the loop goes on, else it rethrows. */
  catchErrors?: boolean;
  /** Called after each finished trial. */
  onTrialFinished?: (trial: FrozenTrial) => void;
  clock?: () => number;
}

export class Study {
  private constructor(
    readonly record: StudyRecord,
    private readonly deps: StudyDeps,
  ) {}

  get id(): string {
    return this.record.id;
  }
  get directions(): readonly Direction[] {
    return this.record.directions;
  }
  get storage(): StudyStorage {
    return this.deps.storage;
  }

  static async create(
    deps: StudyDeps,
    input: { name: string; directions?: Direction[]; userAttrs?: Record<string, JsonValue> },
  ): Promise<Study> {
    const directions = input.directions ?? ['minimize'];
    directions.forEach((d, i) => {
      if (d !== 'minimize' && d !== 'maximize') {
        throw ValidationError.field(
          `directions[${i}]`,
          `must be "minimize" or "maximize", got ${JSON.stringify(d)}`,
        );
      }
    });
    const record = await deps.storage.createStudy({
      name: input.name,
      directions,
      userAttrs: input.userAttrs,
    });
    return new Study(record, deps);
  }

  static async load(deps: StudyDeps, studyId: string): Promise<Study> {
    return new Study(await deps.storage.getStudy(studyId), deps);
  }

  async view(): Promise<StudyView> {
    const trials = await this.deps.storage.listTrials(this.id);
    return {
      studyId: this.id,
      studyName: this.record.name,
      directions: this.directions,
      trials,
      space: this.deps.space,
      priorTrials: this.deps.priorTrials,
    };
  }

  /** Starts a trial; its parameters are drawn as the objective suggests them. */
  async ask(): Promise<Trial> {
    const created = await this.deps.storage.createTrial(this.id);
    const view = await this.view();
    let rel: RelativeSample;
    try {
      rel = this.deps.sampler.sampleRelative(view, created);
    } catch (e) {
      // Do not leave a running trial behind that no one will ever tell.
      await this.deps.storage.finishTrial(this.id, created.number, { state: 'failed' });
      throw e;
    }
    const trial = new Trial(this, this.deps, view, created, rel.params);
    for (const [k, v] of Object.entries(rel.systemAttrs ?? {})) trial.setSystemAttr(k, v);
    return trial;
  }

  /**
   * Starts a trial and samples every active parameter of a declared space at once (what the REST
   * ask endpoint and the command runner use); inactive conditional parameters are never set.
   * With `reject`, configurations it refuses are drawn again before the trial is stored (their
   * count is the trial's system attr `rejected_draws`); when `maxDraws` draws in a row are
   * refused the trial ends failed and an UnprocessableError says why.
   */
  async askFromSpace(
    space: SearchSpace | undefined = this.deps.space,
    options: AskOptions = {},
  ): Promise<Trial> {
    if (!space) throw ValidationError.field('space', 'this study has no declared search space');
    if (!options.reject) {
      const trial = await this.ask();
      for (const p of space.params) {
        if (isActive(p, trial.params)) trial.suggest(p.name, p.distribution);
      }
      await trial.flush();
      return trial;
    }
    const maxDraws = options.maxDraws ?? MAX_DRAWS_PER_TRIAL;
    const created = await this.deps.storage.createTrial(this.id);
    const view = await this.view();
    const reasons = new Map<string, number>();
    try {
      for (let draw = 0; draw < maxDraws; draw++) {
        const d = this.draft(view, created, space);
        const reason = options.reject(d.params);
        if (reason !== undefined) {
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          continue;
        }
        // The accepted draft is the trial's proposal for every parameter, so suggest() keeps it.
        const trial = new Trial(this, this.deps, view, created, d.proposals);
        for (const [k, v] of Object.entries(d.systemAttrs)) trial.setSystemAttr(k, v);
        if (draw > 0) trial.setSystemAttr('rejected_draws', draw);
        for (const p of space.params) {
          if (isActive(p, trial.params)) trial.suggest(p.name, p.distribution);
        }
        await trial.flush();
        return trial;
      }
    } catch (e) {
      await this.deps.storage.finishTrial(this.id, created.number, { state: 'failed' });
      throw e;
    }
    const why = [...reasons].map(([r, n]) => `${r} (${n}x)`).join(', ');
    const message = `no configuration met the constraints in ${maxDraws} draws: ${why}`;
    await this.deps.storage.setTrialUserAttr(this.id, created.number, 'error', message);
    await this.deps.storage.finishTrial(this.id, created.number, { state: 'failed' });
    throw new UnprocessableError(message, [{ field: 'constraints', message }]);
  }

  /**
   * One configuration as askFromSpace + suggest would draw it (same sampler calls in the same
   * order), without storing anything.
   */
  private draft(view: StudyView, created: FrozenTrial, space: SearchSpace): Draft {
    const rel = this.deps.sampler.sampleRelative(view, created);
    const systemAttrs = { ...(rel.systemAttrs ?? {}) };
    const local: FrozenTrial = {
      ...created,
      params: {},
      distributions: {},
      systemAttrs: { ...created.systemAttrs, ...systemAttrs },
      userAttrs: {},
      intermediate: [],
    };
    const proposals: Record<string, ProposedParam> = {};
    for (const p of space.params) {
      if (!isActive(p, local.params)) continue;
      const d = p.distribution;
      const prop = rel.params[p.name];
      let value: ParamValue;
      if (isSingle(d)) value = d.type === 'categorical' ? d.choices[0] : d.low;
      else if (prop && sameDistribution(prop.distribution, d) && contains(d, prop.value))
        value = prop.value;
      else value = this.deps.sampler.sampleIndependent(view, local, p.name, d);
      local.params = { ...local.params, [p.name]: value };
      local.distributions = { ...local.distributions, [p.name]: d };
      proposals[p.name] = { distribution: d, value };
    }
    return { params: local.params, proposals, systemAttrs };
  }

  /** Finishes a trial (by object or number). A second tell is refused by the storage. */
  async tell(trial: Trial | number, result: TellResult): Promise<FrozenTrial> {
    const number = typeof trial === 'number' ? trial : trial.number;
    if (typeof trial !== 'number') await trial.flush();
    const input = normaliseResult(result, this.directions.length);
    return this.deps.storage.finishTrial(this.id, number, input);
  }

  /**
   * Stateless report for trials driven from outside (REST report endpoint, command runner):
   * stores the intermediate value, asks the pruner and stores its bookkeeping. The caller ends the
   * trial with `tell(number, 'pruned')` when `shouldPrune` is true.
   */
  async report(
    trialNumber: number,
    value: number | number[],
    step: number,
  ): Promise<{ shouldPrune: boolean }> {
    const values = Array.isArray(value) ? value : [value];
    if (values.length !== this.directions.length) {
      throw ValidationError.field(
        'value',
        `expected ${this.directions.length} intermediate value(s), got ${values.length}`,
      );
    }
    await this.deps.storage.reportIntermediate(this.id, trialNumber, step, values);
    if (!this.deps.pruner) return { shouldPrune: false };
    const view = await this.view();
    const trial =
      view.trials.find((t) => t.number === trialNumber) ??
      (await this.deps.storage.getTrial(this.id, trialNumber));
    const decision = this.deps.pruner.prune(view, trial);
    for (const [k, v] of Object.entries(decision.systemAttrs ?? {})) {
      await this.deps.storage.setTrialSystemAttr(this.id, trialNumber, k, v);
    }
    return { shouldPrune: decision.prune };
  }

  async trials(states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    return this.deps.storage.listTrials(this.id, states);
  }

  /** Best feasible complete trial of a single-objective study (undefined when none). */
  async bestTrial(): Promise<FrozenTrial | undefined> {
    if (this.directions.length !== 1) {
      throw ValidationError.field(
        'directions',
        'bestTrial is for single-objective studies; use bestTrials()',
      );
    }
    const sign = this.directions[0] === 'maximize' ? -1 : 1;
    let best: FrozenTrial | undefined;
    for (const t of await this.trials(['complete'])) {
      if (!isFeasible(t) || t.values === undefined) continue;
      if (!best || sign * t.values[0] < sign * (best.values as number[])[0]) best = t;
    }
    return best;
  }

  /** The feasible Pareto front (for one objective: the best trial(s)). */
  async bestTrials(): Promise<FrozenTrial[]> {
    return paretoFront(await this.trials(['complete']), this.directions);
  }

  /** Runs `objective` over asked trials: Optuna's optimize() as sugar over ask/tell. */
  async optimize(
    objective: (trial: Trial) => TellResult | Promise<TellResult>,
    opts: OptimizeOptions = {},
  ): Promise<void> {
    const clock = opts.clock ?? Date.now;
    const nTrials = opts.nTrials ?? Infinity;
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw ValidationError.field('concurrency', `must be a positive integer, got ${concurrency}`);
    }
    if (nTrials === Infinity && opts.timeoutMs === undefined) {
      throw ValidationError.field('nTrials', 'give nTrials or timeoutMs, or the loop never ends');
    }
    const deadline = opts.timeoutMs === undefined ? Infinity : clock() + opts.timeoutMs;
    let started = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (started < nTrials && clock() < deadline && failure === undefined) {
        started++;
        const trial = await this.ask();
        let finished: FrozenTrial;
        try {
          finished = await this.tell(trial, await objective(trial));
        } catch (e) {
          if (e instanceof TrialPruned) finished = await this.tell(trial, 'pruned');
          else {
            trial.setUserAttr('error', e instanceof Error ? e.message : String(e));
            finished = await this.tell(trial, 'failed');
            if (!opts.catchErrors) failure ??= e;
          }
        }
        opts.onTrialFinished?.(finished);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failure !== undefined) throw failure;
  }
}

function normaliseResult(
  result: TellResult,
  nObjectives: number,
): { state: Exclude<TrialState, 'running'>; values?: number[]; constraints?: number[] } {
  if (result === 'pruned' || result === 'failed') return { state: result };
  const obj = typeof result === 'object' && !Array.isArray(result) ? result : { values: result };
  const state = obj.state ?? 'complete';
  const values =
    obj.values === undefined ? undefined : Array.isArray(obj.values) ? obj.values : [obj.values];
  if (obj.constraints !== undefined) {
    obj.constraints.forEach((c, i) => {
      if (typeof c !== 'number' || Number.isNaN(c))
        throw ValidationError.field(
          `constraints[${i}]`,
          `must be a number, got ${JSON.stringify(c)}`,
        );
    });
  }
  if (state !== 'complete') return { state, values, constraints: obj.constraints };
  if (!values || values.length !== nObjectives) {
    throw ValidationError.field(
      'values',
      `expected ${nObjectives} objective value(s), got ${JSON.stringify(values)}`,
    );
  }
  // Optuna marks a trial that returned NaN as failed rather than storing an unusable value.
  if (values.some((v) => typeof v !== 'number' || Number.isNaN(v)))
    return { state: 'failed', constraints: obj.constraints };
  return { state, values, constraints: obj.constraints };
}
