import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gaussianRows, logisticModel } from '../../test/support/interpret-fixtures';
import type { Principal } from '../platform/auth/projects.service';
import {
  ConflictError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import type { JobEntity, JobStatus } from '../platform/jobs/job.entity';
import type { ExplainableModel } from './core/explainable-model';
import { DYNAMICS_ARTIFACT } from './dynamics-artifact';
import type { ArtifactFile, ExplanationJobs } from './explanation-jobs';
import { createExplanationBody } from './explanation-specs.schema';
import { ExplanationsService } from './explanations.service';
import type { LoadOptions, PredictProvider } from './predict-provider';

const alice: Principal = { projectId: 'p-alice', projectName: 'alice', keyId: 'k1', role: 'admin' };

/** The job platform in memory: jobs with their artifacts; `iris-mlp` resolves to id m1. */
class FakeJobs implements ExplanationJobs {
  readonly jobs = new Map<string, JobEntity>();
  readonly files = new Map<string, Map<string, Buffer>>();

  add(kind: string, status: JobStatus, artifacts: Record<string, Buffer> = {}): string {
    const id = `job-${this.jobs.size + 1}`;
    this.jobs.set(id, { id, projectId: alice.projectId, kind, status, spec: {} } as JobEntity);
    this.files.set(id, new Map(Object.entries(artifacts)));
    return id;
  }

  async resolveReferences(_p: Principal, _kind: string, spec: unknown): Promise<unknown> {
    const s = spec as { model: string };
    return s.model === 'iris-mlp' ? { ...s, model: 'm1' } : spec;
  }

  async submit(_principal: Principal, kind: string, spec: unknown) {
    const id = this.add(kind, 'queued');
    const job = this.jobs.get(id) as JobEntity;
    job.spec = spec;
    return { job };
  }

  async get(principal: Principal, id: string): Promise<JobEntity> {
    const job = this.jobs.get(id);
    if (!job || job.projectId !== principal.projectId) throw new NotFoundError('job', id);
    return job;
  }

  async artifactNames(principal: Principal, id: string): Promise<string[]> {
    await this.get(principal, id);
    return [...(this.files.get(id)?.keys() ?? [])];
  }

  async artifactFile(principal: Principal, id: string, name: string): Promise<ArtifactFile> {
    const bytes = await this.readArtifact(principal, id, name);
    return { file: `/artifacts/${id}/${name}`, contentType: 'image/png', size: bytes.length };
  }

  async readArtifact(principal: Principal, id: string, name: string): Promise<Buffer> {
    await this.get(principal, id);
    const bytes = this.files.get(id)?.get(name);
    if (!bytes) throw new NotFoundError('artifact', `${id}/${name}`);
    return bytes;
  }
}

/** Model m1: logistic over features a..d; `noData` has no data set to sample from. */
class FakeModels implements PredictProvider {
  disposed = 0;
  loads: { model: string; projectId: string; dataset?: string }[] = [];

  async load(model: string, scope: { projectId: string }, options?: LoadOptions) {
    this.loads.push({ model, projectId: scope.projectId, dataset: options?.dataset });
    if (model !== 'm1' && model !== 'noData') throw new NotFoundError('model', model);
    const m: ExplainableModel = {
      inputKind: 'tabular',
      predict: logisticModel([1, -1, 0, 0]),
      classNames: ['no', 'yes'],
      featureNames: ['a', 'b', 'c', 'd'],
      trainingData: gaussianRows(20, 4, 1),
      ...(model === 'm1' ? { dataset: gaussianRows(10, 4, 2) } : {}),
      dispose: () => this.disposed++,
    };
    return m;
  }
}

function setup() {
  const jobs = new FakeJobs();
  const models = new FakeModels();
  return { jobs, models, service: new ExplanationsService(jobs, models) };
}

/** A request body as the controller hands it over: parsed by the body schema. */
const dto = (fields: Record<string, unknown>) =>
  createExplanationBody.parse({ model: 'iris-mlp', method: 'lime', ...fields }, '');

describe('ExplanationsService', () => {
  test('create: the spec is normalised, references resolved, the model checked then released, the job queued', async () => {
    const { jobs, models, service } = setup();
    const { job, method } = await service.create(
      alice,
      dto({ instances: [[0, 1, 2, 3]], parameters: { numSamples: 50 } }),
      'key-1',
    );
    assert.equal(method, 'lime');
    assert.equal(job.kind, 'explain');
    const spec = job.spec as { model: string; parameters: { numSamples: number; seed: number } };
    assert.equal(spec.model, 'm1');
    assert.deepEqual([spec.parameters.numSamples, spec.parameters.seed], [50, 0]);
    assert.deepEqual(models.loads, [{ model: 'm1', projectId: 'p-alice', dataset: undefined }]);
    assert.equal(models.disposed, 1);
    const normlime = await service.create(alice, dto({ method: 'normlime', dataset: 'd2' }), null);
    assert.equal(normlime.job.kind, 'normlime');
    assert.equal((normlime.job.spec as { sampleSize: number }).sampleSize, 100);
    assert.equal(models.loads[1].dataset, 'd2');
    assert.equal(jobs.jobs.size, 2);
  });

  test('create: what the worker would refuse is a 4xx now and nothing is queued', async () => {
    const { jobs, models, service } = setup();
    const refused = async (fields: Record<string, unknown>, check: (e: unknown) => boolean) =>
      assert.rejects(async () => service.create(alice, dto(fields), null), check);
    await refused(
      {
        instances: [
          [0, 1, 2, 3],
          [1, 2],
        ],
      },
      (e) => e instanceof UnprocessableError && e.problems[0].field === 'instances[1]',
    );
    await refused(
      { instances: [[0, 1, 2, 3]], labels: [2] },
      (e) =>
        e instanceof UnprocessableError &&
        e.problems[0].field === 'labels[0]' &&
        /\(no, yes\)/.test(e.problems[0].message),
    );
    await refused(
      { model: 'noData', method: 'normlime' },
      (e) => e instanceof UnprocessableError && e.problems[0].field === 'instances',
    );
    await refused(
      { parameters: { numSamples: 50 } },
      (e) => e instanceof ValidationError && e.problems.some((p) => p.field === 'instances'),
    );
    await refused(
      { method: 'normlime', parameters: { numClusters: 1, numSample: 5 } },
      (e) =>
        e instanceof ValidationError &&
        e.problems.map((p) => p.field).join() === 'parameters.numSample,parameters.numClusters',
    );
    await refused({ model: 'm9', sampleSize: 2 }, (e) => e instanceof NotFoundError);
    assert.equal(jobs.jobs.size, 0);
    // Three models were opened (m9 does not exist) and each was released.
    assert.deepEqual([models.loads.length, models.disposed], [4, 3]);
  });

  test('get and artifacts: only explain and normlime jobs are explanations (others are 404)', async () => {
    const { jobs, service } = setup();
    const lime = jobs.add('explain', 'succeeded', { 'explanation-0.png': Buffer.from('png') });
    const other = jobs.add('finetune', 'succeeded', { 'explanation-0.png': Buffer.from('png') });
    assert.equal((await service.get(alice, lime)).method, 'lime');
    assert.equal((await service.artifactFile(alice, lime, 'explanation-0.png')).size, 3);
    const notExplanation = (e: unknown) => e instanceof NotFoundError && e.entity === 'explanation';
    await assert.rejects(service.get(alice, other), notExplanation);
    await assert.rejects(service.artifactFile(alice, other, 'explanation-0.png'), notExplanation);
  });

  test('dynamics: 409 while the job runs, 404 without the artifact, else the ranking (limit applied)', async () => {
    const { jobs, service } = setup();
    const record = (epoch: number, margin: number) => ({
      epoch,
      loss: 1 - margin,
      assignedLogit: margin,
      largestOtherLogit: 0,
      correct: margin > 0,
    });
    const file = {
      dataset: 'd1',
      split: 'train',
      samples: [
        { id: 'clean', epochs: [record(0, 2), record(1, 3)] },
        { id: 'flipped', epochs: [record(0, -2), record(1, -3)] },
        { id: 'late', epochs: [record(0, -1), record(1, 1), record(2, 2)] },
      ],
    };
    const running = jobs.add('finetune', 'running');
    const plain = jobs.add('finetune', 'succeeded');
    const recorded = jobs.add('finetune', 'succeeded', {
      [DYNAMICS_ARTIFACT]: Buffer.from(JSON.stringify(file)),
    });
    await assert.rejects(service.dynamics(alice, running, 'aum', 10), ConflictError);
    await assert.rejects(service.dynamics(alice, plain, 'aum', 10), NotFoundError);
    const d = await service.dynamics(alice, recorded, 'aum', 2);
    assert.deepEqual(
      [d.dataset, d.split, d.samples, d.epochs, d.method],
      ['d1', 'train', 3, 3, 'aum'],
    );
    assert.match(d.methodDescription, /Pleiss/);
    assert.deepEqual(
      d.suspects.map((s) => s.id),
      ['flipped', 'late'],
    );
  });
});
