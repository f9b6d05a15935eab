/**
 * Trial: the handle of a running trial that an objective or a program asking the study holds
 * (define-by-run `suggest*`, `report`, `shouldPrune`, attributes). Suggestions are synchronous
 * and written to storage in the background; `report`, `flush` and the study's `tell` await those
 * writes (the design is explained in study.ts). Created only by Study.ask / askFromSpace.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { own } from '../../platform/core/records';
import {
  CategoricalChoice,
  Distribution,
  NumericOptions,
  ParamValue,
  categoricalDistribution,
  contains,
  floatDistribution,
  intDistribution,
  isSingle,
  sameDistribution,
} from './distributions';
import { ProposedParam } from './sampler';
import type { Study, StudyDeps } from './study';
import { StudyView } from './study-view';
import { FrozenTrial, JsonValue } from './trial';

export class Trial {
  private pending: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private local: FrozenTrial;

  constructor(
    private readonly study: Study,
    private readonly deps: StudyDeps,
    private view: StudyView,
    created: FrozenTrial,
    private readonly proposals: Record<string, ProposedParam>,
  ) {
    this.local = {
      ...created,
      params: {},
      distributions: {},
      systemAttrs: { ...created.systemAttrs },
      userAttrs: {},
      intermediate: [],
    };
  }

  get number(): number {
    return this.local.number;
  }
  get params(): Readonly<Record<string, ParamValue>> {
    return this.local.params;
  }
  get distributions(): Readonly<Record<string, Distribution>> {
    return this.local.distributions;
  }
  get systemAttrs(): Readonly<Record<string, JsonValue>> {
    return this.local.systemAttrs;
  }

  suggestFloat(name: string, low: number, high: number, opts: NumericOptions = {}): number {
    return this.suggest(name, floatDistribution(low, high, opts, name)) as number;
  }

  suggestInt(name: string, low: number, high: number, opts: NumericOptions = {}): number {
    return this.suggest(name, intDistribution(low, high, opts, name)) as number;
  }

  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    return this.suggest(name, categoricalDistribution(choices, name)) as T;
  }

  /** Suggests from an explicit distribution; asking the same name again returns the same value. */
  suggest(name: string, distribution: Distribution): ParamValue {
    const prev = own(this.local.distributions, name);
    if (prev !== undefined) {
      if (!sameDistribution(prev, distribution)) {
        throw ValidationError.field(
          name,
          'was already suggested in this trial with a different distribution',
        );
      }
      return this.local.params[name];
    }
    let value: ParamValue;
    const prop = own(this.proposals, name);
    if (isSingle(distribution))
      value = distribution.type === 'categorical' ? distribution.choices[0] : distribution.low;
    else if (
      prop &&
      sameDistribution(prop.distribution, distribution) &&
      contains(distribution, prop.value)
    )
      value = prop.value;
    else value = this.deps.sampler.sampleIndependent(this.view, this.local, name, distribution);
    this.local = {
      ...this.local,
      params: { ...this.local.params, [name]: value },
      distributions: { ...this.local.distributions, [name]: distribution },
    };
    this.enqueue(() =>
      this.deps.storage.setTrialParam(this.study.id, this.number, name, value, distribution),
    );
    return value;
  }

  /** Records an intermediate value (one per objective) and refreshes the pruning snapshot. */
  async report(value: number | number[], step: number): Promise<void> {
    const values = Array.isArray(value) ? value : [value];
    if (values.length !== this.study.directions.length) {
      throw ValidationError.field(
        'value',
        `expected ${this.study.directions.length} intermediate value(s), got ${values.length}`,
      );
    }
    if (!Number.isInteger(step) || step < 0)
      throw ValidationError.field('step', `must be a non-negative integer, got ${step}`);
    const intermediate = this.local.intermediate.filter((iv) => iv.step !== step);
    intermediate.push({ step, values: values.slice() });
    intermediate.sort((a, b) => a.step - b.step);
    this.local = { ...this.local, intermediate };
    this.enqueue(() =>
      this.deps.storage.reportIntermediate(this.study.id, this.number, step, values),
    );
    await this.flush();
    if (this.deps.pruner) this.view = await this.study.view();
  }

  /** Asks the pruner about the last reported step (false without a pruner or a report). */
  shouldPrune(): boolean {
    if (!this.deps.pruner || this.local.intermediate.length === 0) return false;
    const decision = this.deps.pruner.prune(this.view, this.local);
    for (const [k, v] of Object.entries(decision.systemAttrs ?? {})) this.setSystemAttr(k, v);
    return decision.prune;
  }

  setUserAttr(key: string, value: JsonValue): void {
    this.local = { ...this.local, userAttrs: { ...this.local.userAttrs, [key]: value } };
    this.enqueue(() => this.deps.storage.setTrialUserAttr(this.study.id, this.number, key, value));
  }

  setSystemAttr(key: string, value: JsonValue): void {
    this.local = { ...this.local, systemAttrs: { ...this.local.systemAttrs, [key]: value } };
    this.enqueue(() =>
      this.deps.storage.setTrialSystemAttr(this.study.id, this.number, key, value),
    );
  }

  /** Waits for every background write; rethrows the first storage error. */
  async flush(): Promise<void> {
    await this.pending;
    if (this.writeError !== undefined) throw this.writeError;
  }

  private enqueue(write: () => Promise<void>): void {
    this.pending = this.pending.then(write).catch((e: unknown) => {
      this.writeError ??= e;
    });
  }
}
