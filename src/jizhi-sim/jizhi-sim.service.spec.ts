import { describe, test } from 'node:test';
import { ringRequest } from './sim-specs.schema';
import assert from 'node:assert/strict';
import type { Principal } from '../platform/auth/projects.service';
import { NotFoundError, ValidationError } from '../platform/errors/domain-error';
import type { JobEntity } from '../platform/jobs/job.entity';
import { RECOMMENDER_PIPELINE, RING_EXAMPLE, SIMULATE_EXAMPLE } from './api-examples';
import { JizhiSimService, type SimJobs } from './jizhi-sim.service';
import { SimulateJobHandler } from './simulate.handler';
import { TuneJobHandler } from './tune.handler';

const alice: Principal = { projectId: 'p-alice', projectName: 'alice', keyId: 'k1', role: 'admin' };
const bob: Principal = { projectId: 'p-bob', projectName: 'bob', keyId: 'k2', role: 'admin' };

/** The job platform in memory: jobs per project, artifacts per job. */
class FakeJobs implements SimJobs {
  readonly jobs = new Map<string, JobEntity>();
  readonly artifactsOf = new Map<string, { name: string; contentType: string; size: number }[]>();

  async submit(principal: Principal, kind: string, spec: unknown) {
    const job = {
      id: `job-${this.jobs.size + 1}`,
      projectId: principal.projectId,
      kind,
      spec,
      status: 'queued',
    } as JobEntity;
    this.jobs.set(job.id, job);
    return { job, created: true };
  }

  async get(principal: Principal, id: string): Promise<JobEntity> {
    const job = this.jobs.get(id);
    if (!job || job.projectId !== principal.projectId) throw new NotFoundError('job', id);
    return job;
  }

  async artifacts(principal: Principal, id: string) {
    await this.get(principal, id);
    return (this.artifactsOf.get(id) ?? []).map((a) => ({
      ...a,
      sha256: '',
      createdAt: new Date(0),
    }));
  }
}

function service(): { sim: JizhiSimService; jobs: FakeJobs } {
  const jobs = new FakeJobs();
  return { sim: new JizhiSimService(jobs, new SimulateJobHandler(), new TuneJobHandler()), jobs };
}

const request = { pipeline: RECOMMENDER_PIPELINE, ...SIMULATE_EXAMPLE };

describe('JizhiSimService', () => {
  test('submit queues the normalised spec under the kind; bad fields are named as sent (no spec. prefix)', async () => {
    const { sim, jobs } = service();
    const job = await sim.submit(alice, 'simulate', { ...request, warmupS: undefined }, null);
    assert.equal(job.kind, 'simulate');
    // The stored spec is the normalised one: the schema's defaults, here and in the pipeline.
    const spec = jobs.jobs.get(job.id)?.spec as typeof request;
    assert.deepEqual(
      { ...spec, pipeline: request.pipeline, traffic: request.traffic },
      {
        ...request,
        warmupS: 0,
      },
    );
    assert.deepEqual(spec.pipeline.stages[0].service, {
      ...request.pipeline.stages[0].service,
      perItemMs: 0,
    });
    const broken = structuredClone(request);
    broken.pipeline.stages[0].next = ['nowhere'];
    await assert.rejects(
      sim.submit(alice, 'simulate', broken, null),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.problems.some((p) => p.field.startsWith('pipeline.stages[0].next')),
    );
    assert.equal(jobs.jobs.size, 1, 'nothing queued for the bad request');
  });

  test('validate answers {valid, problems} with the kind of each problem instead of throwing', () => {
    const { sim } = service();
    assert.deepEqual(sim.validate('simulate', request), { valid: true, problems: [] });
    const bad = sim.validate('simulate', { ...request, durationS: -1, warmupS: 0 });
    assert.equal(bad.valid, false);
    assert.deepEqual(
      bad.problems.map((p) => [p.field, p.kind]),
      [['durationS', 'validation']],
    );
    const overloaded = structuredClone(request);
    overloaded.pipeline.stages[3].instances = 1;
    const unstable = sim.validate('simulate', overloaded);
    assert.equal(unstable.valid, false);
    assert.ok(unstable.problems.every((p) => p.kind === 'unprocessable'));
    assert.ok(unstable.problems.some((p) => /unstable/.test(p.message)));
  });

  test('get: a job of another kind or another project is a 404 naming the resource', async () => {
    const { sim, jobs } = service();
    const job = await sim.submit(alice, 'simulate', request, null);
    jobs.artifactsOf.set(job.id, [{ name: 'latency cdf.png', contentType: 'image/png', size: 9 }]);
    const found = await sim.get(alice, 'simulate', job.id);
    assert.deepEqual(found.artifacts, [
      {
        name: 'latency cdf.png',
        contentType: 'image/png',
        size: 9,
        url: `/v1/jobs/${job.id}/artifacts/latency%20cdf.png`,
      },
    ]);
    const notFound = (resource: string) => (e: unknown) =>
      e instanceof NotFoundError && e.message.includes(resource);
    await assert.rejects(sim.get(alice, 'tune', job.id), notFound('tuning'));
    await assert.rejects(sim.get(bob, 'simulate', job.id), notFound('simulation'));
  });

  test('ring answers the table synchronously; a bad field is a 400 named as sent (the body schema)', () => {
    const { sim } = service();
    const table = sim.ring(RING_EXAMPLE);
    assert.deepEqual(
      table.rows.map((r) => r.gpus),
      RING_EXAMPLE.gpus,
    );
    assert.ok(table.efficiencyLimit > 0 && table.efficiencyLimit < 1);
    assert.throws(
      () => sim.ring(ringRequest.parse({ ...RING_EXAMPLE, tCalcMs: -5 }, '')),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'tCalcMs',
    );
  });

  test('tune: a search dimension on an unknown stage is a 400 naming it; nothing is queued', async () => {
    const { sim, jobs } = service();
    await assert.rejects(
      sim.submit(
        alice,
        'tune',
        {
          pipeline: RECOMMENDER_PIPELINE,
          traffic: SIMULATE_EXAMPLE.traffic,
          slo: { p99Ms: 40 },
          space: [{ stage: 'gpu', param: 'instances', low: 1, high: 4 }],
          budget: { trials: 5 },
        },
        null,
      ),
      (e: unknown) =>
        e instanceof ValidationError && e.problems.some((p) => p.field === 'space[0].stage'),
    );
    assert.equal(jobs.jobs.size, 0);
  });
});
