/**
 * In-memory StudyStorage for library use and tests. Records are copy-on-write: every update
 * replaces the trial object, so the arrays handed out are snapshots that later writes never
 * change (callers must treat them as read-only).
 */
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors/domain-error';
import { Distribution, ParamValue, contains, sameDistribution } from './distributions';
import { CreateStudyInput, FinishTrialInput, StudyStorage } from './storage';
import { FrozenTrial, JsonValue, StudyRecord, TrialState } from './trial';
import { own } from '../../platform/core/records';

interface StudyEntry {
  record: StudyRecord;
  trials: FrozenTrial[];
}

export class InMemoryStudyStorage implements StudyStorage {
  private readonly studies = new Map<string, StudyEntry>();
  private nextStudy = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  async createStudy(input: CreateStudyInput): Promise<StudyRecord> {
    if (input.directions.length === 0)
      throw ValidationError.field('directions', 'must list at least one direction');
    const id = `study-${this.nextStudy++}`;
    const record: StudyRecord = {
      id,
      name: input.name,
      directions: input.directions.slice(),
      userAttrs: { ...input.userAttrs },
    };
    this.studies.set(id, { record, trials: [] });
    return { ...record, directions: record.directions.slice() };
  }

  async getStudy(studyId: string): Promise<StudyRecord> {
    const r = this.entry(studyId).record;
    return { ...r, directions: r.directions.slice(), userAttrs: { ...r.userAttrs } };
  }

  async createTrial(
    studyId: string,
    systemAttrs: Record<string, JsonValue> = {},
  ): Promise<FrozenTrial> {
    const e = this.entry(studyId);
    const t: FrozenTrial = {
      number: e.trials.length,
      state: 'running',
      params: {},
      distributions: {},
      intermediate: [],
      userAttrs: {},
      systemAttrs: { ...systemAttrs },
      startedAt: this.clock(),
    };
    e.trials.push(t);
    return t;
  }

  async setTrialParam(
    studyId: string,
    n: number,
    name: string,
    value: ParamValue,
    distribution: Distribution,
  ): Promise<void> {
    const t = this.running(studyId, n);
    if (!contains(distribution, value)) {
      throw ValidationError.field(
        `params.${name}`,
        `${JSON.stringify(value)} is outside its distribution`,
      );
    }
    const old = own(t.distributions, name);
    if (old !== undefined) {
      if (t.params[name] === value && sameDistribution(old, distribution)) return;
      throw new ConflictError(
        `trial ${n} already has parameter "${name}" = ${JSON.stringify(t.params[name])}`,
      );
    }
    this.replace(studyId, {
      ...t,
      params: { ...t.params, [name]: value },
      distributions: { ...t.distributions, [name]: distribution },
    });
  }

  async setTrialSystemAttr(
    studyId: string,
    n: number,
    key: string,
    value: JsonValue,
  ): Promise<void> {
    const t = this.trial(studyId, n);
    this.replace(studyId, { ...t, systemAttrs: { ...t.systemAttrs, [key]: value } });
  }

  async setTrialUserAttr(studyId: string, n: number, key: string, value: JsonValue): Promise<void> {
    const t = this.trial(studyId, n);
    this.replace(studyId, { ...t, userAttrs: { ...t.userAttrs, [key]: value } });
  }

  async reportIntermediate(
    studyId: string,
    n: number,
    step: number,
    values: number[],
  ): Promise<void> {
    const t = this.running(studyId, n);
    if (!Number.isInteger(step) || step < 0)
      throw ValidationError.field('step', `must be a non-negative integer, got ${step}`);
    const intermediate = t.intermediate.filter((iv) => iv.step !== step);
    intermediate.push({ step, values: values.slice() });
    intermediate.sort((a, b) => a.step - b.step);
    this.replace(studyId, { ...t, intermediate });
  }

  async finishTrial(studyId: string, n: number, input: FinishTrialInput): Promise<FrozenTrial> {
    const t = this.running(studyId, n);
    const dirs = this.entry(studyId).record.directions.length;
    if (input.state === 'complete' && (input.values?.length ?? 0) !== dirs) {
      throw ValidationError.field(
        'values',
        `a complete trial needs ${dirs} value(s), got ${input.values?.length ?? 0}`,
      );
    }
    const done: FrozenTrial = { ...t, state: input.state, finishedAt: this.clock() };
    if (input.values !== undefined) done.values = input.values.slice();
    if (input.constraints !== undefined) done.constraints = input.constraints.slice();
    this.replace(studyId, done);
    return done;
  }

  async getTrial(studyId: string, n: number): Promise<FrozenTrial> {
    return this.trial(studyId, n);
  }

  async listTrials(studyId: string, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    const all = this.entry(studyId).trials;
    return states ? all.filter((t) => states.includes(t.state)) : all.slice();
  }

  private entry(studyId: string): StudyEntry {
    const e = this.studies.get(studyId);
    if (!e) throw new NotFoundError('study', studyId);
    return e;
  }

  private trial(studyId: string, n: number): FrozenTrial {
    const t = this.entry(studyId).trials[n];
    if (!t) throw new NotFoundError('trial', `${studyId}/${n}`);
    return t;
  }

  private running(studyId: string, n: number): FrozenTrial {
    const t = this.trial(studyId, n);
    if (t.state !== 'running') throw new ConflictError(`trial ${n} is already ${t.state}`);
    return t;
  }

  private replace(studyId: string, t: FrozenTrial): void {
    this.entry(studyId).trials[t.number] = t;
  }
}
