import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../platform/config/app-config';
import type { Principal } from '../platform/auth/projects.service';
import {
  ConflictError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import { InMemoryDatasetRows, scratchStore } from '../../test/support/registry-fakes';
import { DatasetsService } from './datasets.service';
import { UploadParserPool } from './uploads/upload-parser-pool';

const principal: Principal = { projectId: 'p1', projectName: 'p', keyId: 'k', role: 'admin' };
const csv = (rows: number): Buffer =>
  Buffer.from(
    [
      'x,y,label',
      ...Array.from({ length: rows }, (_, i) => `${i},${-i},${['a', 'b', 'c'][i % 3]}`),
    ].join('\n'),
  );

describe('DatasetsService (in-memory rows, scratch artifact store, one upload thread)', () => {
  const scratch = scratchStore();
  const pool = new UploadParserPool({ size: 1, idleMs: 200 });
  let rows: InMemoryDatasetRows;
  let service: DatasetsService;
  const files = (): string[] => {
    const dir = path.join(scratch.root, 'p1', 'datasets');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };

  before(() => {
    rows = new InMemoryDatasetRows();
    service = new DatasetsService(rows, scratch.store, pool, loadConfig({}));
  });
  after(async () => {
    await pool.close();
    scratch.remove();
  });

  test('an upload becomes one file and one row; it loads back with its split and by name', async () => {
    const created = await service.createFromUpload(
      principal,
      { originalname: 'points.csv', buffer: csv(30) },
      { name: 'points', split: '0.6,0.2,0.2', seed: '3' },
    );
    assert.equal(created.kind, 'tabular');
    assert.deepEqual([created.trainSize, created.validationSize, created.testSize], [18, 6, 6]);
    assert.deepEqual(created.options, {
      file: 'points.csv',
      split: { train: 0.6, validation: 0.2, test: 0.2 },
      seed: 3,
    });
    assert.deepEqual(files(), [`${created.id}.ads`]);
    const loaded = await service.load('p1', created.id);
    assert.equal(loaded.dataset.size, 30);
    assert.equal(loaded.split.test.length, 6);
    assert.equal((await service.get('p1', 'POINTS')).id, created.id);
    await assert.rejects(service.get('p2', 'points'), NotFoundError);
    await assert.rejects(service.getById('p1', 'points'), NotFoundError);
  });

  test('form problems and a taken name are refused before anything is parsed or stored', async () => {
    const before = files().length;
    await assert.rejects(
      service.createFromUpload(principal, { originalname: 'x.csv', buffer: csv(3) }, { nam: 'x' }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'nam',
    );
    await assert.rejects(
      service.createFromUpload(principal, undefined, { name: 'x' }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'file',
    );
    await assert.rejects(
      service.createFromUpload(
        principal,
        { originalname: 'x.csv', buffer: csv(3) },
        { name: 'points', kind: 'audio' },
      ),
      ConflictError,
    );
    await assert.rejects(
      service.createFromUpload(principal, { originalname: 'x.bin', buffer: csv(3) }, { name: 'y' }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'kind',
    );
    assert.equal(files().length, before);
  });

  test('a row that loses the race for its name leaves no file behind (409)', async () => {
    const before = files().length;
    rows.nameRace = true;
    await assert.rejects(
      service.createFromUpload(principal, { originalname: 'r.csv', buffer: csv(9) }, { name: 'r' }),
      /a data set named r already exists/,
    );
    assert.equal(files().length, before);
  });

  test('examples: features of tabular rows by class and split; an unknown class is a 404, a PNG of a row a 422', async () => {
    const { dataset, items } = await service.examples('p1', 'points', {
      className: 'b',
      split: undefined,
      limit: 2,
    });
    assert.equal(dataset.name, 'points');
    assert.equal(items.length, 2);
    for (const item of items) {
      assert.equal(item.className, 'b');
      assert.deepEqual(Object.keys(item.features ?? {}), ['x', 'y']);
    }
    await assert.rejects(
      service.examples('p1', 'points', { className: 'zebra', split: undefined, limit: 2 }),
      NotFoundError,
    );
    await assert.rejects(service.examplePng('p1', 'points', '0'), UnprocessableError);
    await assert.rejects(service.examplePng('p1', 'points', '30'), NotFoundError);
  });

  test('list: newest first, of the project only', async () => {
    const second = await service.createFromUpload(
      principal,
      { originalname: 'more.csv', buffer: csv(12) },
      { name: 'more' },
    );
    const { items, total } = await service.list(principal, 10, 0);
    assert.equal(total, 2);
    assert.deepEqual(items.map((d) => d.id)[0], second.id);
    assert.equal((await service.list({ ...principal, projectId: 'p2' }, 10, 0)).total, 0);
  });

  test('derived sets (a split into sites): all registered or none, no file left behind', async () => {
    const source = await service.createFromUpload(
      principal,
      { originalname: 's.csv', buffer: csv(12) },
      { name: 'source' },
    );
    const { dataset, split } = await service.load('p1', source.id);
    const sets = (names: string[]) =>
      names.map((name) => ({
        name,
        options: { derivedFrom: source.id },
        stored: { dataset, split },
      }));
    const before = files().length;
    const made = await service.createDerived(principal, sets(['source-1', 'source-2']));
    assert.deepEqual(
      made.map((d) => [d.name, d.source, d.trainSize]),
      [
        ['source-1', 'derived', source.trainSize],
        ['source-2', 'derived', source.trainSize],
      ],
    );
    assert.equal(files().length, before + 2);
    const count = (await service.list(principal, 100, 0)).total;
    // A taken name, a name twice, or a row losing the race: a 409 and nothing new, file or row.
    for (const attempt of [
      ['source-3', 'source-2'],
      ['twice', 'twice'],
    ])
      await assert.rejects(service.createDerived(principal, sets(attempt)), ConflictError);
    rows.nameRace = true;
    await assert.rejects(
      service.createDerived(principal, sets(['source-4', 'source-5'])),
      /registered meanwhile/,
    );
    assert.equal(files().length, before + 2);
    assert.equal((await service.list(principal, 100, 0)).total, count);
  });
});
