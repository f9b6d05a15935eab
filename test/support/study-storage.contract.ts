/**
 * The StudyStorage contract as a reusable node:test suite (Optuna runs one storage test suite
 * against every backend). Run it against the in-memory storage here and against PostgreSQL in
 * the medium tests: `describeStudyStorageContract('postgres', () => makePgStorage())`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
} from '../../src/platform/errors/domain-error';
import { floatDistribution, categoricalDistribution } from '../../src/search/core/distributions';
import { StudyStorage } from '../../src/search/core/storage';

export function describeStudyStorageContract(
  name: string,
  makeStorage: () => StudyStorage | Promise<StudyStorage>,
): void {
  describe(`StudyStorage contract: ${name}`, () => {
    const fresh = async () => {
      const storage = await makeStorage();
      const study = await storage.createStudy({
        name: `contract-${Math.random().toString(36).slice(2)}`,
        directions: ['minimize'],
      });
      return { storage, study };
    };

    test('creates and reads back a study; unknown ids are NotFoundError', async () => {
      const storage = await makeStorage();
      const s = await storage.createStudy({
        name: 'two',
        directions: ['minimize', 'maximize'],
        userAttrs: { owner: 'x' },
      });
      const got = await storage.getStudy(s.id);
      assert.deepEqual(got.directions, ['minimize', 'maximize']);
      assert.equal(got.name, 'two');
      assert.deepEqual(got.userAttrs, { owner: 'x' });
      await assert.rejects(storage.getStudy('no-such-study'), NotFoundError);
    });

    test('50 concurrent createTrial calls get the unique numbers 0..49', async () => {
      const { storage, study } = await fresh();
      const trials = await Promise.all(
        Array.from({ length: 50 }, () => storage.createTrial(study.id)),
      );
      assert.deepEqual(
        trials.map((t) => t.number).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i),
      );
      assert.ok(trials.every((t) => t.state === 'running'));
      const listed = await storage.listTrials(study.id);
      assert.deepEqual(
        listed.map((t) => t.number),
        Array.from({ length: 50 }, (_, i) => i),
      );
    });

    test('params round-trip with their distributions; a different value for a set name is a conflict', async () => {
      const { storage, study } = await fresh();
      const t = await storage.createTrial(study.id);
      const lr = floatDistribution(1e-5, 1, { log: true });
      const opt = categoricalDistribution(['sgd', 'adam']);
      await storage.setTrialParam(study.id, t.number, 'lr', 0.01, lr);
      await storage.setTrialParam(study.id, t.number, 'opt', 'adam', opt);
      await storage.setTrialParam(study.id, t.number, 'lr', 0.01, lr);
      await assert.rejects(
        storage.setTrialParam(study.id, t.number, 'lr', 0.02, lr),
        ConflictError,
      );
      const got = await storage.getTrial(study.id, t.number);
      assert.deepEqual(got.params, { lr: 0.01, opt: 'adam' });
      assert.deepEqual(got.distributions.lr, lr);
      assert.deepEqual(got.distributions.opt, opt);
    });

    test('intermediate values are kept per step, sorted, a repeated step overwrites', async () => {
      const { storage, study } = await fresh();
      const t = await storage.createTrial(study.id);
      await storage.reportIntermediate(study.id, t.number, 2, [0.5]);
      await storage.reportIntermediate(study.id, t.number, 0, [0.9]);
      await storage.reportIntermediate(study.id, t.number, 2, [0.4]);
      const got = await storage.getTrial(study.id, t.number);
      assert.deepEqual(got.intermediate, [
        { step: 0, values: [0.9] },
        { step: 2, values: [0.4] },
      ]);
    });

    test('finishing stores values and constraints; a second finish is refused', async () => {
      const { storage, study } = await fresh();
      const t = await storage.createTrial(study.id);
      const done = await storage.finishTrial(study.id, t.number, {
        state: 'complete',
        values: [1.5],
        constraints: [-1, 0.5],
      });
      assert.equal(done.state, 'complete');
      assert.deepEqual(done.values, [1.5]);
      assert.deepEqual(done.constraints, [-1, 0.5]);
      assert.ok(done.finishedAt !== undefined);
      await assert.rejects(
        storage.finishTrial(study.id, t.number, { state: 'complete', values: [0] }),
        ConflictError,
      );
      await assert.rejects(
        storage.finishTrial(study.id, t.number, { state: 'failed' }),
        ConflictError,
      );
      await assert.rejects(storage.reportIntermediate(study.id, t.number, 1, [0]), ConflictError);
      await assert.rejects(
        storage.setTrialParam(study.id, t.number, 'x', 0.5, floatDistribution(0, 1)),
        ConflictError,
      );
      assert.deepEqual((await storage.getTrial(study.id, t.number)).values, [1.5]);
    });

    test('racing tells on one trial: exactly one wins', async () => {
      const { storage, study } = await fresh();
      const t = await storage.createTrial(study.id);
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((v) =>
          storage.finishTrial(study.id, t.number, { state: 'complete', values: [v] }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results)
        if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
    });

    test('concurrent ask/tell on 40 trials loses no tell', async () => {
      const { storage, study } = await fresh();
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const t = await storage.createTrial(study.id);
          await storage.setTrialParam(study.id, t.number, 'x', i / 40, floatDistribution(0, 1));
          await storage.finishTrial(study.id, t.number, {
            state: i % 5 === 0 ? 'pruned' : 'complete',
            values: [t.number * 10],
          });
        }),
      );
      const all = await storage.listTrials(study.id);
      assert.equal(all.length, 40);
      for (const t of all) {
        assert.notEqual(t.state, 'running');
        assert.deepEqual(t.values, [t.number * 10]);
      }
      assert.equal((await storage.listTrials(study.id, ['pruned'])).length, 8);
      assert.equal((await storage.listTrials(study.id, ['complete'])).length, 32);
    });

    test('a complete trial needs one value per objective', async () => {
      const storage = await makeStorage();
      const s = await storage.createStudy({ name: 'mo', directions: ['minimize', 'minimize'] });
      const t = await storage.createTrial(s.id);
      await assert.rejects(
        storage.finishTrial(s.id, t.number, { state: 'complete', values: [1] }),
        ValidationError,
      );
      await storage.finishTrial(s.id, t.number, { state: 'complete', values: [1, 2] });
    });

    test('system and user attributes round-trip; unknown trials are NotFoundError', async () => {
      const { storage, study } = await fresh();
      const t = await storage.createTrial(study.id, { 'grid:id': 3 });
      await storage.setTrialSystemAttr(study.id, t.number, 'asha:rung_0', 0.25);
      await storage.setTrialUserAttr(study.id, t.number, 'note', { a: [1, 'b'] });
      const got = await storage.getTrial(study.id, t.number);
      assert.deepEqual(got.systemAttrs, { 'grid:id': 3, 'asha:rung_0': 0.25 });
      assert.deepEqual(got.userAttrs, { note: { a: [1, 'b'] } });
      await assert.rejects(storage.getTrial(study.id, 999), NotFoundError);
    });

    test('snapshots handed out do not change under later writes', async () => {
      const { storage, study } = await fresh();
      const t = await storage.createTrial(study.id);
      const before = await storage.listTrials(study.id);
      await storage.finishTrial(study.id, t.number, { state: 'complete', values: [1] });
      assert.equal(before[0].state, 'running');
    });
  });
}
