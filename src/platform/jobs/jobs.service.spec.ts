/**
 * JobsService's rules on in-memory fakes of its repositories (no database): validation at
 * enqueue, idempotency keys, project scoping, which transitions a caller may ask for.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArtifactStore } from '../artifacts/artifact-store';
import type { ArtifactListing, ArtifactsRepository } from '../artifacts/artifacts.repository';
import type { Principal } from '../auth/projects.service';
import { ConflictError, NotFoundError, ValidationError } from '../errors/domain-error';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobEntity, type JobStatus } from './job.entity';
import type { JobListFilter, JobsRepository, NewJob } from './jobs.repository';
import { JobsService } from './jobs.service';

type JobsPort = Pick<
  JobsRepository,
  'insert' | 'findInProject' | 'findByIdempotencyKey' | 'list' | 'requestCancel' | 'retry'
> &
  Pick<JobsRepository, 'events' | 'metrics'>;

/** The `jobs` table in memory, with the repository's unique (project, idempotency key). */
class InMemoryJobs implements JobsPort {
  readonly rows: JobEntity[] = [];
  readonly cancelled: string[] = [];
  readonly retried: string[] = [];
  /** Makes the next insert lose a race on its idempotency key to `winner`. */
  raceWinner: JobEntity | null = null;
  private next = 1;

  async insert(job: NewJob): Promise<JobEntity> {
    if (this.raceWinner) {
      this.rows.push(this.raceWinner);
      this.raceWinner = null;
      throw Object.assign(new Error('duplicate key'), { code: '23505' });
    }
    const row = Object.assign(new JobEntity(), {
      id: `00000000-0000-4000-8000-${String(this.next++).padStart(12, '0')}`,
      projectId: job.projectId,
      kind: job.kind,
      spec: job.spec,
      status: 'queued' as JobStatus,
      priority: job.priority ?? 0,
      maxAttempts: job.maxAttempts,
      idempotencyKey: job.idempotencyKey ?? null,
      requestHash: job.requestHash ?? null,
    });
    this.rows.push(row);
    return row;
  }

  async findInProject(projectId: string, id: string): Promise<JobEntity | null> {
    return this.rows.find((r) => r.id === id && r.projectId === projectId) ?? null;
  }

  async findByIdempotencyKey(projectId: string, key: string): Promise<JobEntity | null> {
    return this.rows.find((r) => r.projectId === projectId && r.idempotencyKey === key) ?? null;
  }

  async list(projectId: string, filter: JobListFilter) {
    const items = this.rows.filter((r) => r.projectId === projectId && r.kind === filter.kind);
    return { items, total: items.length };
  }

  async requestCancel(id: string): Promise<void> {
    this.cancelled.push(id);
  }

  async retry(id: string): Promise<void> {
    this.retried.push(id);
  }

  async events() {
    return [];
  }

  async metrics() {
    return [];
  }
}

class InMemoryArtifacts implements Pick<ArtifactsRepository, 'listOfJob' | 'findOfJob'> {
  readonly files = new Map<string, { path: string; contentType: string; size: number }>();

  async listOfJob(): Promise<ArtifactListing[]> {
    return [];
  }

  async findOfJob(jobId: string, name: string) {
    return this.files.get(`${jobId}/${name}`) ?? null;
  }
}

const alice: Principal = {
  projectId: 'p-alice',
  projectName: 'alice',
  keyId: 'k1',
  role: 'member',
};
const bob: Principal = { projectId: 'p-bob', projectName: 'bob', keyId: 'k2', role: 'member' };

function setup() {
  const jobs = new InMemoryJobs();
  const artifacts = new InMemoryArtifacts();
  const registry = new JobHandlerRegistry();
  // A kind whose validate normalises: the stored spec is its output.
  registry.register({
    kind: 'count',
    validate: (raw) => {
      const n = (raw as { n?: unknown }).n ?? 3;
      if (typeof n !== 'number') throw ValidationError.field('n', 'must be a number');
      return { n };
    },
    run: async () => null,
  });
  const service = new JobsService(
    jobs as JobsPort as JobsRepository,
    artifacts as Pick<ArtifactsRepository, 'listOfJob' | 'findOfJob'> as ArtifactsRepository,
    registry,
    { maxAttempts: 4 },
    new ArtifactStore('/srv/artifacts'),
  );
  return { jobs, artifacts, service };
}

describe('JobsService', () => {
  test('submit stores the spec its kind normalised, with the configured attempts', async () => {
    const { jobs, service } = setup();
    const { job, created } = await service.submit(alice, 'count', {});
    assert.equal(created, true);
    assert.deepEqual(jobs.rows[0].spec, { n: 3 });
    assert.equal(jobs.rows[0].maxAttempts, 4);
    assert.equal(job.projectId, 'p-alice');
  });

  test('an invalid spec or an unknown kind is refused before anything is stored', async () => {
    const { jobs, service } = setup();
    await assert.rejects(service.submit(alice, 'count', { n: 'x' }), (e: unknown) => {
      return e instanceof ValidationError && e.problems[0].field === 'spec.n';
    });
    await assert.rejects(service.submit(alice, 'no-such-kind', {}), ValidationError);
    assert.equal(jobs.rows.length, 0);
  });

  test('an idempotency key returns the same job; reused for another request it is a 409', async () => {
    const { jobs, service } = setup();
    const first = await service.submit(alice, 'count', { n: 1 }, { idempotencyKey: 'k' });
    const again = await service.submit(alice, 'count', { n: 1 }, { idempotencyKey: 'k' });
    assert.equal(again.created, false);
    assert.equal(again.job.id, first.job.id);
    await assert.rejects(
      service.submit(alice, 'count', { n: 2 }, { idempotencyKey: 'k' }),
      ConflictError,
    );
    // Keys are per project: bob's 'k' is a new job.
    assert.equal(
      (await service.submit(bob, 'count', { n: 2 }, { idempotencyKey: 'k' })).created,
      true,
    );
    assert.equal(jobs.rows.length, 2);
  });

  test('two concurrent requests with one key: the loser answers with the winner’s job', async () => {
    const { jobs, service } = setup();
    const winner = await service.submit(alice, 'count', { n: 1 }, { idempotencyKey: 'w' });
    jobs.rows.length = 0;
    jobs.raceWinner = winner.job;
    const loser = await service.submit(alice, 'count', { n: 1 }, { idempotencyKey: 'w' });
    assert.deepEqual(loser, { job: winner.job, created: false });
  });

  test('another project’s job is a 404 and a malformed id a 400', async () => {
    const { service } = setup();
    const { job } = await service.submit(alice, 'count', {});
    assert.equal((await service.get(alice, job.id)).id, job.id);
    await assert.rejects(service.get(bob, job.id), NotFoundError);
    await assert.rejects(service.get(alice, 'nope'), ValidationError);
  });

  test('cancel and retry only from the states that allow them', async () => {
    const { jobs, service } = setup();
    const { job } = await service.submit(alice, 'count', {});
    await assert.rejects(service.retry(alice, job.id), ConflictError);
    await service.cancel(alice, job.id);
    assert.deepEqual(jobs.cancelled, [job.id]);
    jobs.rows[0].status = 'succeeded';
    await assert.rejects(service.cancel(alice, job.id), ConflictError);
    jobs.rows[0].status = 'failed';
    await service.retry(alice, job.id);
    assert.deepEqual(jobs.retried, [job.id]);
  });

  test('an artifact file resolves under the store; a missing one is a 404', async () => {
    const { artifacts, service } = setup();
    const { job } = await service.submit(alice, 'count', {});
    await assert.rejects(service.artifactFile(alice, job.id, 'model.json'), NotFoundError);
    artifacts.files.set(`${job.id}/model.json`, {
      path: `p-alice/${job.id}/model.json`,
      contentType: 'application/json',
      size: 12,
    });
    assert.deepEqual(await service.artifactFile(alice, job.id, 'model.json'), {
      file: `/srv/artifacts/p-alice/${job.id}/model.json`,
      contentType: 'application/json',
      size: 12,
    });
    await assert.rejects(service.artifactFile(bob, job.id, 'model.json'), NotFoundError);
  });
});
