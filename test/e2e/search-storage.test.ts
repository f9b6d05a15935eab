/**
 * The PostgreSQL StudyStorage on a real database: the shared storage contract (the one the
 * in-memory storage passes, Optuna-style), then several OS processes asking and telling on one
 * study at once. When SEARCH_STORAGE_CHILD is set this file is such a child process instead.
 */
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { openDataSource } from '../../src/platform/database/data-source';
import { runMigrations } from '../../src/platform/database/database.module';
import { describeStudyStorageContract } from '../support/study-storage.contract';
import { Study } from '../../src/search/core/study';
import { createSampler } from '../../src/search/core';
import { floatDistribution } from '../../src/search/core/distributions';
import { PgStudyStorage } from '../../src/search/storage/pg-study-storage';
import { createTestDatabase } from '../support/database';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

const CHILD = process.env.SEARCH_STORAGE_CHILD;

async function child(): Promise<void> {
  const [url, projectId, studyId, n, seed] = (CHILD as string).split('|');
  const ds = await openDataSource(url, 3);
  const storage = new PgStudyStorage(ds, projectId);
  const study = await Study.load(
    { storage, sampler: createSampler('random', { seed: Number(seed) }) },
    studyId,
  );
  // Two interleaved ask/tell loops per process, so asks race inside and across processes.
  await study.optimize(
    (trial) => {
      const x = trial.suggestFloat('x', -5, 5);
      return (x - 1) ** 2;
    },
    { nTrials: Number(n), concurrency: 2 },
  );
  await ds.destroy();
}

if (CHILD) {
  void child().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(String(e instanceof Error ? e.stack : e));
      process.exit(1);
    },
  );
} else {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let url: string;
  let projectId: string;

  before(async () => {
    const db = await createTestDatabase();
    url = db.url;
    drop = db.drop;
    ds = await openDataSource(db.url, 12);
    await runMigrations(ds);
    const rows: { id: string }[] = await ds.query(
      `INSERT INTO projects (name) VALUES ('search-storage') RETURNING id`,
    );
    projectId = rows[0].id;
  });
  after(async () => {
    await ds?.destroy();
    await drop?.();
  });

  describeStudyStorageContract('postgres', () => new PgStudyStorage(ds, projectId));

  describe('PgStudyStorage beyond the contract', () => {
    test('NaN constraints and the budget: asks beyond max_trials are a conflict', async () => {
      const storage = new PgStudyStorage(ds, projectId);
      const s = await storage.createStudy({ name: 'budget', directions: ['minimize'] });
      await ds.query(`UPDATE studies SET max_trials = 2 WHERE id = $1`, [s.id]);
      const a = await storage.createTrial(s.id);
      await storage.createTrial(s.id);
      await assert.rejects(storage.createTrial(s.id), /budget of 2 trials/);
      // A missing constraint metric is NaN (core/config/validate-study.ts constraintValues) and must survive.
      const done = await storage.finishTrial(s.id, a.number, {
        state: 'complete',
        values: [Infinity],
        constraints: [NaN, -1],
      });
      assert.deepEqual(done.values, [Infinity]);
      assert.ok(Number.isNaN(done.constraints?.[0]));
      await storage.setTrialParam(s.id, 1, 'x', 0.5, floatDistribution(0, 1));
      await assert.rejects(
        storage.setTrialParam(s.id, 1, 'y', 2, floatDistribution(0, 1)),
        /outside its distribution/,
      );
    });

    test("another project's storage cannot see the study (tenant isolation)", async () => {
      const mine = new PgStudyStorage(ds, projectId);
      const s = await mine.createStudy({ name: 'private', directions: ['minimize'] });
      await mine.createTrial(s.id);
      const [{ id: other }] = await ds.query(
        `INSERT INTO projects (name) VALUES ('other') RETURNING id`,
      );
      const theirs = new PgStudyStorage(ds, other as string);
      await assert.rejects(theirs.getStudy(s.id), /not found/);
      await assert.rejects(theirs.createTrial(s.id), /not found/);
      await assert.rejects(theirs.getTrial(s.id, 0), /not found/);
      await assert.rejects(
        theirs.finishTrial(s.id, 0, { state: 'complete', values: [1] }),
        /not found/,
      );
      await assert.rejects(theirs.setTrialUserAttr(s.id, 0, 'k', 1), /not found/);
      assert.equal((await mine.getTrial(s.id, 0)).state, 'running');
    });

    test('4 processes x 15 trials ask/tell on one study: numbers 0..59, no lost tell', async () => {
      const storage = new PgStudyStorage(ds, projectId);
      const s = await storage.createStudy({ name: 'processes', directions: ['minimize'] });
      const procs = 4;
      const each = 15;
      const codes = await Promise.all(
        Array.from({ length: procs }, (_, i) => {
          const p = spawn(process.execPath, ['-r', sourceLoader(), __filename], {
            env: {
              ...process.env,
              SEARCH_STORAGE_CHILD: [url, projectId, s.id, each, i + 1].join('|'),
            },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let err = '';
          p.stderr.on('data', (d: Buffer) => (err += d.toString()));
          return new Promise<string>((resolve) =>
            p.on('exit', (code) => resolve(code === 0 ? 'ok' : `exit ${code}: ${err}`)),
          );
        }),
      );
      assert.deepEqual(codes, Array(procs).fill('ok'));
      const trials = await storage.listTrials(s.id);
      assert.deepEqual(
        trials.map((t) => t.number),
        Array.from({ length: procs * each }, (_, i) => i),
      );
      for (const t of trials) {
        assert.equal(t.state, 'complete', `trial ${t.number}`);
        // Each told value is the objective of that trial's own stored parameter.
        assert.equal(t.values?.[0], ((t.params.x as number) - 1) ** 2);
      }
    });
  });
}
