/**
 * DatasetsRepository and ModelsRepository on a real PostgreSQL after the migrations: every query
 * is scoped to its project, the unique (project, name) index turns a second insert into null,
 * jsonb user data survives as stored, and the reference rule works over both.
 */
import * as crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { SERVICE_ENTITIES } from '../../src/capability-entities';
import { resolveReference } from '../../src/datasets/core/references';
import { DatasetsRepository, NewDatasetRow } from '../../src/datasets/datasets.repository';
import { openDataSource } from '../../src/platform/database/data-source';
import { runMigrations } from '../../src/platform/database/database.module';
import { ConflictError, NotFoundError } from '../../src/platform/errors/domain-error';
import { ModelsRepository, NewModelRow } from '../../src/registry/models.repository';
import { createTestDatabase } from '../support/database';

let ds: DataSource;
let drop: () => Promise<void>;
let project: string;
let other: string;

async function newProject(name: string): Promise<string> {
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO projects (name) VALUES ($1) RETURNING id`,
    [name],
  );
  return rows[0].id;
}

function datasetRow(projectId: string, name: string): NewDatasetRow {
  return {
    id: crypto.randomUUID(),
    projectId,
    name,
    kind: 'tabular',
    source: 'upload',
    options: { file: `${name}.csv` },
    stats: {
      kind: 'tabular',
      size: 3,
      numClasses: 2,
      classNames: ['a', '__proto__'],
      // A class named __proto__ (user data) as an own key: not a literal, which sets the prototype.
      countsPerClass: Object.fromEntries([
        ['a', 2],
        ['__proto__', 1],
      ]),
      featureCount: 4,
    },
    trainSize: 2,
    validationSize: 0,
    testSize: 1,
    filePath: `${projectId}/datasets/${name}.ads`,
    fileSize: '123',
  };
}

function modelRow(projectId: string, name: string, extra: Partial<NewModelRow> = {}): NewModelRow {
  return {
    id: crypto.randomUUID(),
    projectId,
    name,
    architecture: 'mlp',
    summary: [],
    params: '10',
    flops: 20,
    inputKind: 'tabular',
    inputShape: [2],
    classNames: ['a', 'b'],
    featureNames: ['x', 'y'],
    preprocessing: {},
    vocabularyPath: null,
    baseModelId: null,
    datasetId: null,
    method: 'init',
    jobId: null,
    modelJsonPath: `${projectId}/models/${name}/model.json`,
    weightsPath: `${projectId}/models/${name}/weights.bin`,
    metrics: {},
    evaluation: null,
    ...extra,
  };
}

before(async () => {
  const db = await createTestDatabase();
  drop = db.drop;
  ds = await openDataSource(db.url, 4, SERVICE_ENTITIES);
  await runMigrations(ds);
  project = await newProject('registry-repositories');
  other = await newProject('registry-repositories-other');
});
after(async () => {
  await ds?.destroy();
  await drop?.();
});

describe('DatasetsRepository', () => {
  test('insert returns the row with its jsonb as given (a class named __proto__ kept); a second row of the name is null', async () => {
    const repo = new DatasetsRepository(ds);
    const row = datasetRow(project, 'iris');
    const inserted = await repo.insert(row);
    assert.ok(inserted);
    assert.equal(inserted.id, row.id);
    assert.ok(inserted.createdAt instanceof Date);
    assert.deepEqual(Object.keys(inserted.stats.countsPerClass), ['a', '__proto__']);
    assert.equal(await repo.insert(datasetRow(project, 'iris')), null);
    // The same name in another project is another data set.
    assert.ok(await repo.insert(datasetRow(other, 'iris')));
    assert.equal(await repo.nameTaken(project, 'iris'), true);
    assert.equal(await repo.nameTaken(project, 'wine'), false);
  });

  test("lookups see only the project's rows; case-folded names in name order, at most `limit`", async () => {
    const repo = new DatasetsRepository(ds);
    const mine = await repo.insert(datasetRow(project, 'Digits'));
    await repo.insert(datasetRow(project, 'digits'));
    await repo.insert(datasetRow(other, 'DIGITS'));
    assert.ok(mine);
    assert.equal((await repo.findById(project, mine.id))?.name, 'Digits');
    assert.equal(await repo.findById(other, mine.id), null);
    assert.equal((await repo.findByName(project, 'digits'))?.name, 'digits');
    assert.equal(await repo.findByName(project, 'DIGITS'), null);
    const folded = await repo.findByNameIgnoringCase(project, 'DIGITS', 10);
    assert.deepEqual(
      folded.map((r) => r.name),
      ['Digits', 'digits'],
    );
    assert.equal((await repo.findByNameIgnoringCase(project, 'DIGITS', 1)).length, 1);
  });

  test('page: newest first with the total of the project', async () => {
    const repo = new DatasetsRepository(ds);
    const p = await newProject('datasets-page');
    for (const name of ['first', 'second', 'third']) await repo.insert(datasetRow(p, name));
    const { items, total } = await repo.page(p, 2, 0);
    assert.equal(total, 3);
    assert.deepEqual(
      items.map((r) => r.name),
      ['third', 'second'],
    );
    assert.deepEqual(
      (await repo.page(p, 2, 2)).items.map((r) => r.name),
      ['first'],
    );
  });

  test('the reference rule over the repository: exact, folded, ambiguous (409), unknown (404)', async () => {
    const repo = new DatasetsRepository(ds);
    const p = await newProject('datasets-references');
    const wine = await repo.insert(datasetRow(p, 'Wine'));
    await repo.insert(datasetRow(p, 'Spam'));
    await repo.insert(datasetRow(p, 'spam'));
    assert.ok(wine);
    assert.equal((await resolveReference(repo, 'dataset', p, 'WINE')).id, wine.id);
    assert.equal((await resolveReference(repo, 'dataset', p, wine.id.toUpperCase())).id, wine.id);
    await assert.rejects(resolveReference(repo, 'dataset', p, 'SPAM'), ConflictError);
    await assert.rejects(resolveReference(repo, 'dataset', p, 'nope'), NotFoundError);
    await assert.rejects(resolveReference(repo, 'dataset', other, 'Wine'), NotFoundError);
  });
});

describe('ModelsRepository', () => {
  test('insert returns the row; a second row of the name is null; lineage columns kept', async () => {
    const repo = new ModelsRepository(ds);
    const base = await repo.insert(modelRow(project, 'base'));
    assert.ok(base);
    const child = await repo.insert(modelRow(project, 'child', { baseModelId: base.id }));
    assert.equal(child?.baseModelId, base.id);
    assert.equal(child?.params, '10');
    assert.equal(await repo.insert(modelRow(project, 'base')), null);
    assert.equal(await repo.nameTaken(project, 'base'), true);
    assert.equal(await repo.nameTaken(other, 'base'), false);
  });

  test('findByJob: the model a job registered, or the one of a name among several', async () => {
    const repo = new ModelsRepository(ds);
    const jobs: { id: string }[] = await ds.query(
      `INSERT INTO jobs (project_id, kind, spec) VALUES ($1, 'prune', '{}') RETURNING id`,
      [project],
    );
    const job = jobs[0].id;
    assert.equal(await repo.findByJob(project, job), null);
    await repo.insert(modelRow(project, 'pruned-50', { jobId: job }));
    await repo.insert(modelRow(project, 'pruned-25', { jobId: job }));
    assert.ok(await repo.findByJob(project, job));
    assert.equal((await repo.findByJob(project, job, 'pruned-25'))?.name, 'pruned-25');
    assert.equal(await repo.findByJob(project, job, 'pruned-10'), null);
    assert.equal(await repo.findByJob(other, job), null);
  });

  test('lookups and pages are scoped to the project', async () => {
    const repo = new ModelsRepository(ds);
    const p = await newProject('models-page');
    const a = await repo.insert(modelRow(p, 'Alpha'));
    await repo.insert(modelRow(p, 'beta'));
    assert.ok(a);
    assert.equal((await repo.findById(p, a.id))?.name, 'Alpha');
    assert.equal(await repo.findById(other, a.id), null);
    assert.deepEqual(
      (await repo.findByNameIgnoringCase(p, 'ALPHA', 10)).map((r) => r.id),
      [a.id],
    );
    const { items, total } = await repo.page(p, 10, 0);
    assert.equal(total, 2);
    assert.deepEqual(
      items.map((r) => r.name),
      ['beta', 'Alpha'],
    );
  });
});
