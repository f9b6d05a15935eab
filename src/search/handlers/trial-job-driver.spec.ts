import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JobCancelledError, JobContext } from '../../platform/jobs/job-handler';
import { InMemoryStudyStorage } from '../core/memory-storage';
import { RandomSampler } from '../core/samplers/random';
import { parseSearchSpace } from '../core/space';
import { Study } from '../core/study';
import { StudyStatus } from '../storage/entities';
import { DriverStudies, TrialJobDriver } from './trial-job-driver';
import { TrialJobState, TrialJobs } from './trial-jobs.port';

/** The studies side in memory: counters derived from the library storage. */
class FakeStudies implements DriverStudies {
  status_: StudyStatus = 'running';
  readonly jobOf = new Map<number, string>();
  constructor(private readonly storage: InMemoryStudyStorage) {}
  async status(): Promise<StudyStatus> {
    return this.status_;
  }
  async askedCount(id: string): Promise<number> {
    return (await this.storage.listTrials(id)).length;
  }
  async trialCounts(id: string) {
    const c = { complete: 0, pruned: 0, failed: 0 };
    for (const t of await this.storage.listTrials(id)) if (t.state !== 'running') c[t.state]++;
    return c;
  }
  async runningTrials(id: string) {
    return (await this.storage.listTrials(id, ['running'])).map((t) => ({
      number: t.number,
      jobId: this.jobOf.get(t.number) ?? null,
    }));
  }
  async endDriven(_id: string, status: 'stopped' | 'completed'): Promise<void> {
    if (this.status_ === 'running' || this.status_ === 'stopping') this.status_ = status;
  }
  async markStopped(): Promise<void> {
    this.status_ = 'stopped';
  }
}

/** Trial jobs the test plays: each dispatch is recorded; `behave` decides what the job does. */
class FakeJobs implements TrialJobs {
  readonly states = new Map<string, TrialJobState>();
  readonly cancelled: string[] = [];
  driverCancel = false;
  constructor(
    private readonly studies: FakeStudies,
    private readonly behave: (trial: number, jobId: string) => void,
  ) {}
  async dispatch(o: { studyId: string; trialNumber: number }): Promise<void> {
    const id = `job-${o.trialNumber}`;
    this.studies.jobOf.set(o.trialNumber, id);
    this.states.set(id, { status: 'running', error: null });
    this.behave(o.trialNumber, id);
  }
  async statuses(ids: readonly string[]) {
    return new Map(ids.flatMap((id) => (this.states.has(id) ? [[id, this.states.get(id)!]] : [])));
  }
  async cancel(_p: string, _d: string, jobId: string): Promise<void> {
    this.cancelled.push(jobId);
    this.states.set(jobId, { status: 'cancelled', error: null });
  }
  async cancelRequested(): Promise<boolean> {
    return this.driverCancel;
  }
}

function context(cancelled: () => boolean): JobContext {
  return {
    jobId: 'driver',
    projectId: 'p',
    attempt: 1,
    resumeFrom: undefined,
    get cancelled() {
      return cancelled();
    },
    signal: new AbortController().signal,
    progress: async () => undefined,
    log: async () => undefined,
    metric: async () => undefined,
    checkpoint: async () => undefined,
    artifact: async () => {
      throw new Error('not used');
    },
    readArtifact: async () => {
      throw new Error('not used');
    },
  };
}

async function setup() {
  const storage = new InMemoryStudyStorage();
  const study = await Study.create(
    {
      storage,
      sampler: new RandomSampler({ seed: 1 }),
      space: parseSearchSpace({ x: { type: 'float', low: 0, high: 1 } }),
    },
    { name: 'driven', directions: ['minimize'] },
  );
  return { storage, study, studies: new FakeStudies(storage) };
}

describe('TrialJobDriver (Katib-style controller over ports)', () => {
  test('keeps parallelism in flight to the budget; a job that ended without telling fails its trial', async () => {
    const { study, studies } = await setup();
    let maxInFlight = 0;
    const jobs: FakeJobs = new FakeJobs(studies, (trial, jobId) => {
      maxInFlight = Math.max(
        maxInFlight,
        [...jobs.states.values()].filter((s) => s.status === 'running').length,
      );
      setTimeout(() => {
        if (trial === 1) jobs.states.set(jobId, { status: 'failed', error: 'worker lost' });
        else
          void study.tell(trial, { values: [trial] }).then(() => {
            jobs.states.set(jobId, { status: 'succeeded', error: null });
          });
      }, 5);
    });
    const outcome = await new TrialJobDriver(studies, jobs).drive({
      study,
      ctx: context(() => false),
      trialKind: 'trial-x',
      nTrials: 5,
      timeoutMs: null,
      parallelism: 2,
      createdAt: new Date(),
      pollMs: 1,
    });
    assert.deepEqual(outcome, {
      status: 'completed',
      timedOut: false,
      counts: { complete: 4, pruned: 0, failed: 1 },
    });
    assert.equal(maxInFlight, 2);
    const failed = await study.storage.getTrial(study.id, 1);
    assert.equal(failed.state, 'failed');
    assert.equal(
      failed.userAttrs.error,
      'trial job job-1 ended failed without a result: worker lost',
    );
    assert.equal(studies.status_, 'completed');
  });

  test('a budget changed while it runs (more trials, more parallelism) is followed at the next poll', async () => {
    const { study, studies } = await setup();
    let budget = { nTrials: 2 as number | null, parallelism: 1 };
    let maxInFlight = 0;
    const jobs: FakeJobs = new FakeJobs(studies, (trial, jobId) => {
      maxInFlight = Math.max(
        maxInFlight,
        [...jobs.states.values()].filter((s) => s.status === 'running').length,
      );
      // The first trial's end comes after the budget was raised (PATCH /v1/studies/{id}).
      if (trial === 0) budget = { nTrials: 5, parallelism: 3 };
      setTimeout(() => {
        void study.tell(trial, { values: [trial] }).then(() => {
          jobs.states.set(jobId, { status: 'succeeded', error: null });
        });
      }, 5);
    });
    const outcome = await new TrialJobDriver(studies, jobs).drive({
      study,
      ctx: context(() => false),
      trialKind: 'trial-x',
      nTrials: 2,
      timeoutMs: null,
      parallelism: 1,
      budget: async () => budget,
      createdAt: new Date(),
      pollMs: 1,
    });
    assert.deepEqual(outcome.counts, { complete: 5, pruned: 0, failed: 0 });
    assert.equal(maxInFlight, 3, 'the raised parallelism was used');
  });

  test('a user cancel of the driver cancels the trial jobs in flight, fails their trials, stops the study', async () => {
    const { study, studies } = await setup();
    const jobs = new FakeJobs(studies, () => undefined); // trial jobs that never end
    let polls = 0;
    const drive = new TrialJobDriver(studies, jobs).drive({
      study,
      ctx: context(() => polls >= 3),
      trialKind: 'trial-x',
      nTrials: 10,
      timeoutMs: null,
      parallelism: 2,
      createdAt: new Date(),
      pollMs: 1,
      onPoll: async () => void polls++,
    });
    jobs.driverCancel = true;
    await assert.rejects(drive, JobCancelledError);
    assert.deepEqual(jobs.cancelled.sort(), ['job-0', 'job-1']);
    const trials = await study.trials();
    assert.deepEqual(
      trials.map((t) => [t.state, t.userAttrs.error]),
      [
        ['failed', 'study cancelled'],
        ['failed', 'study cancelled'],
      ],
    );
    assert.equal(studies.status_, 'stopped');
  });

  test('a stopped study asks no more: the trials in flight finish, then it ends stopped', async () => {
    const { study, studies } = await setup();
    const jobs: FakeJobs = new FakeJobs(studies, (trial, jobId) => {
      studies.status_ = 'stopping'; // stopped by the user right after the first dispatch
      setTimeout(
        () =>
          void study.tell(trial, { values: [0] }).then(() => {
            jobs.states.set(jobId, { status: 'succeeded', error: null });
          }),
        5,
      );
    });
    const outcome = await new TrialJobDriver(studies, jobs).drive({
      study,
      ctx: context(() => false),
      trialKind: 'trial-x',
      nTrials: 10,
      timeoutMs: null,
      parallelism: 1,
      createdAt: new Date(),
      pollMs: 1,
    });
    assert.equal(outcome.status, 'stopped');
    assert.equal((await study.trials()).length, 1);
  });
});
