/**
 * StudiesRepository on a real database: the `kind` column's migration backfills NAS studies from
 * `config.nas`; the studies list pages and filters by effective status in SQL and leaves NAS
 * studies out, and a single study's effective status follows the same rule; lookups are scoped to the project and the kind; the driver's counters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { openDataSource } from '../../src/platform/database/data-source';
import { runMigrations } from '../../src/platform/database/database.module';
import { StudiesRepository } from '../../src/search/storage/studies.repository';
import { createTestDatabase } from '../support/database';

const MIGRATION = 'StudyKind1764300000000';

let ds: DataSource;
let drop: () => Promise<void>;
let projectId: string;
let otherProject: string;
let repo: StudiesRepository;

async function project(name: string): Promise<string> {
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO projects (name) VALUES ($1) RETURNING id`,
    [name],
  );
  return rows[0].id;
}

async function job(status: string): Promise<string> {
  const rows: { id: string }[] = await ds.query(
    `INSERT INTO jobs (project_id, kind, spec, status) VALUES ($1, 'study', '{}', $2) RETURNING id`,
    [projectId, status],
  );
  return rows[0].id;
}

const hyperparameter = (name: string) => ({
  projectId,
  name,
  directions: ['minimize' as const],
  config: { directions: ['minimize'] },
  maxTrials: null,
  idempotencyKey: null,
  requestHash: 'h',
});

before(async () => {
  const db = await createTestDatabase();
  drop = db.drop;
  ds = await openDataSource(db.url, 4);
  await runMigrations(ds);
  projectId = await project('studies-repo');
  otherProject = await project('studies-repo-other');
  repo = new StudiesRepository(ds);
});

after(async () => {
  await ds?.destroy();
  await drop?.();
});

describe('StudiesRepository', () => {
  test('the kind migration backfills NAS studies from config.nas', async () => {
    const applied = async () =>
      (await ds.query(`SELECT name FROM migrations`)).map((r: { name: string }) => r.name);
    // Revert down to (and including) the kind migration, insert rows of the old shape, re-apply.
    while ((await applied()).includes(MIGRATION))
      await ds.undoLastMigration({ transaction: 'each' });
    await ds.query(
      `INSERT INTO studies (project_id, name, directions, config) VALUES
         ($1, 'old-hp', '["minimize"]', '{"directions": ["minimize"]}'),
         ($1, 'old-nas', '["maximize"]', '{"nas": {"spec": {}, "space": "mlp"}}')`,
      [projectId],
    );
    await runMigrations(ds);
    const rows: { name: string; kind: string }[] = await ds.query(
      `SELECT name, kind FROM studies WHERE name LIKE 'old-%' ORDER BY name`,
    );
    assert.deepEqual(rows, [
      { name: 'old-hp', kind: 'hyperparameter' },
      { name: 'old-nas', kind: 'nas' },
    ]);
    await assert.rejects(
      ds.query(`UPDATE studies SET kind = 'other' WHERE name = 'old-hp'`),
      /CHK_studies_kind/,
    );
    await ds.query(`DELETE FROM studies WHERE name LIKE 'old-%'`);
  });

  test('the list pages newest first in SQL, filters by effective status, leaves NAS out', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await repo.insertHyperparameter(hyperparameter(`s${i}`)));
    // The driver of s1 failed, that of s2 was cancelled: running studies show it.
    await repo.setDriverJob(ids[1], await job('failed'));
    await repo.setDriverJob(ids[2], await job('cancelled'));
    await repo.setDriverJob(ids[3], await job('running'));
    await repo.insertNas({
      projectId,
      name: 'nas-x',
      directions: ['maximize'],
      config: { nas: {} },
      maxTrials: 3,
      jobId: await job('running'),
    });
    const all = await repo.listHyperparameter(projectId, { limit: 2, offset: 1 });
    assert.equal(all.total, 5);
    assert.deepEqual(
      all.rows.map((r) => r.name),
      ['s3', 's2'],
    );
    assert.deepEqual(all.rows[1].directions, ['minimize']);
    const failed = await repo.listHyperparameter(projectId, {
      status: 'failed',
      limit: 10,
      offset: 0,
    });
    assert.deepEqual(
      failed.rows.map((r) => [r.name, r.status]),
      [['s1', 'failed']],
    );
    assert.equal(failed.total, 1);
    const stopped = await repo.listHyperparameter(projectId, {
      status: 'stopped',
      limit: 10,
      offset: 0,
    });
    assert.deepEqual(
      stopped.rows.map((r) => r.name),
      ['s2'],
    );
    const running = await repo.listHyperparameter(projectId, {
      status: 'running',
      limit: 10,
      offset: 0,
    });
    assert.deepEqual(
      running.rows.map((r) => r.name),
      ['s4', 's3', 's0'],
    );
    // One rule for the list and a single study's read.
    for (const r of (await repo.listHyperparameter(projectId, { limit: 10, offset: 0 })).rows)
      assert.equal(await repo.effectiveStatus(r.id), r.status, r.name);
    assert.equal(await repo.effectiveStatus(ids[1]), 'failed');
    assert.equal(await repo.effectiveStatus(ids[2]), 'stopped');
    assert.equal(await repo.effectiveStatus('00000000-0000-0000-0000-000000000000'), undefined);
    const beyond = await repo.listHyperparameter(projectId, { limit: 10, offset: 50 });
    assert.deepEqual(beyond, { rows: [], total: 5 });
    assert.equal((await repo.listHyperparameter(otherProject, { limit: 10, offset: 0 })).total, 0);
  });

  test('lookups are scoped to project and kind', async () => {
    const hp = await repo.insertHyperparameter(hyperparameter('scoped'));
    const driver = await job('running');
    const nas = await repo.insertNas({
      projectId,
      name: 'nas-scoped',
      directions: ['maximize', 'minimize'],
      config: { nas: { spec: { seed: 4 } } },
      maxTrials: 5,
      jobId: driver,
    });
    assert.equal((await repo.find(projectId, hp, 'hyperparameter'))?.name, 'scoped');
    assert.equal(await repo.find(projectId, hp, 'nas'), undefined);
    assert.equal(await repo.find(otherProject, hp, 'hyperparameter'), undefined);
    assert.equal(await repo.find(projectId, nas.id, 'hyperparameter'), undefined);
    const byJob = await repo.findByJob<{ nas: { spec: { seed: number } } }>(
      projectId,
      driver,
      'nas',
    );
    assert.equal(byJob?.id, nas.id);
    assert.equal(byJob?.config.nas.spec.seed, 4);
    assert.equal(byJob?.max_trials, 5);
    assert.equal(await repo.findByJob(otherProject, driver, 'nas'), undefined);
    assert.equal(await repo.inProject(nas.id, projectId), true);
    assert.equal(await repo.inProject(nas.id, otherProject), false);
    await repo.delete(nas.id);
    assert.equal(await repo.findByJob(projectId, driver, 'nas'), undefined);
  });

  test("the driver's counters, trial jobs and the end of a driven study", async () => {
    const id = await repo.insertHyperparameter(hyperparameter('driven'));
    const storage = repo.storage(projectId);
    for (let i = 0; i < 3; i++) await storage.createTrial(id);
    await storage.finishTrial(id, 0, { state: 'complete', values: [1] });
    await storage.finishTrial(id, 1, { state: 'pruned' });
    const trialJob = await job('running');
    await repo.setTrialJob(id, 2, trialJob);
    assert.equal(await repo.askedCount(id), 3);
    assert.deepEqual(await repo.trialCounts(id), { complete: 1, pruned: 1, failed: 0 });
    assert.deepEqual(await repo.runningTrials(id), [{ number: 2, jobId: trialJob }]);
    assert.equal(await repo.trialJobId(id, 2), trialJob);
    assert.equal(await repo.trialJobId(id, 0), null);
    assert.equal(await repo.stopRunning(projectId, id, 'stopping'), true);
    assert.equal(await repo.stopRunning(projectId, id, 'stopping'), false);
    await repo.endDriven(id, 'stopped');
    assert.equal(await repo.status(id), 'stopped');
    await repo.endDriven(id, 'completed'); // already ended: kept
    assert.equal(await repo.status(id), 'stopped');
  });

  test('a transaction rolls back the study with what failed after it', async () => {
    await assert.rejects(
      repo.transaction(async (tx) => {
        await tx.insertHyperparameter(hyperparameter('rolled-back'));
        throw new Error('after the insert');
      }),
      /after the insert/,
    );
    const rows: unknown[] = await ds.query(`SELECT 1 FROM studies WHERE name = 'rolled-back'`);
    assert.equal(rows.length, 0);
  });
});
