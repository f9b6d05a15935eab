/**
 * Studies over REST on the real app: command-runner studies run by real worker processes (the
 * `study` driver job and its `trial-command` child jobs), ask/tell from the test as an external
 * program, the validate endpoint, stop, importance, tenant isolation and idempotency.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JobBody, startTestApp, TestApp } from '../support/app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

interface Trial {
  number: number;
  state: string;
  params: Record<string, number | string>;
  values: number[] | null;
  intermediate: { step: number; values: number[] }[];
  userAttrs: Record<string, string>;
}

// The trial command: a quadratic with its minimum at x = 2, y = -1; x arrives through `${x}` in
// argv, y through AUTODL_TRIAL_PARAMS (both halves of the protocol).
const QUADRATIC = [
  process.execPath,
  '-e',
  `const x = Number(process.argv[1].split('=')[1]);
   const y = JSON.parse(process.env.AUTODL_TRIAL_PARAMS).y;
   console.log('starting trial ' + process.env.AUTODL_TRIAL_NUMBER);
   console.log('loss=' + ((x - 2) ** 2 + (y + 1) ** 2) + ' other=7');`,
  'x=${x}',
];
// The CLI from source (bin/autodl.js prefers a possibly stale dist/ build).
const CLI = ['-r', sourceLoader(), path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts')];
const SPACE = { x: { type: 'float', low: -5, high: 5 }, y: { type: 'float', low: -5, high: 5 } };

describe('search service e2e (real app, real PostgreSQL, real worker processes)', () => {
  let app: TestApp;
  before(async () => {
    // One compute worker: the study drivers run on the coordinator worker (JobLane), so their
    // trials still get the compute slot (a driver holding it would wait for them forever).
    app = await startTestApp({ workers: 1, coordinators: 1 });
  });
  after(async () => {
    await app?.close();
  });

  const trialsOf = async (id: string): Promise<Trial[]> =>
    (await app.get(`/v1/studies/${id}/trials`).expect(200)).body.items;

  test('POST /v1/studies:validate names the offending parameters and settings', async () => {
    const bad = await app
      .post('/v1/studies:validate', {
        name: 'v',
        space: {
          lr: { type: 'float', low: 0, high: 1, log: true },
          momentum: { type: 'float', low: 0, high: 1, when: { optimizer: 'sgd' } },
        },
        sampler: { name: 'tpe', settings: { nStartupTrials: -1 } },
        pruner: { name: 'warp' },
        budget: { parallelism: 2 },
        runner: { type: 'command', command: [] },
      })
      .expect(200);
    assert.equal(bad.body.valid, false);
    const fields = bad.body.problems.map((p: { field: string }) => p.field);
    for (const f of [
      'space.lr.low',
      'space.momentum.when.optimizer',
      'sampler.settings.nStartupTrials',
      'pruner.name',
      'runner.command',
    ])
      assert.ok(fields.includes(f), `${f} in ${JSON.stringify(bad.body.problems)}`);
    const good = await app
      .post('/v1/studies:validate', { name: 'v', space: SPACE, sampler: { name: 'cmaes' } })
      .expect(200);
    assert.deepEqual(good.body, { valid: true, problems: [] });
    // The colon route is not swallowed by /v1/studies/:id; an unknown field is one more problem
    // of the one study schema (it was a 400 of the class-validator DTO before the schema).
    const unknownField = await app
      .post('/v1/studies:validate', { name: 'v', space: SPACE, x: 1 })
      .expect(200);
    assert.deepEqual(
      unknownField.body.problems.map((p: { field: string }) => p.field),
      ['x'],
    );
    assert.match(
      unknownField.body.problems[0].message,
      /^unknown field; allowed: name, seed, space/,
    );
    // Creating with the same problems is a 400 naming them.
    const create = await app
      .post('/v1/studies', { name: 'v', space: { lr: { type: 'float', low: 2, high: 1 } } })
      .expect(400);
    assert.ok(create.body.errors.some((e: { field: string }) => e.field.startsWith('space.lr')));
  });

  test('a command-runner study runs its trials as child jobs and finds the minimum', async () => {
    const created = await app
      .post('/v1/studies', {
        name: 'quadratic',
        space: SPACE,
        metrics: ['loss'],
        sampler: { name: 'tpe', settings: { seed: 3, nStartupTrials: 4 } },
        budget: { nTrials: 8, parallelism: 2 },
        runner: { type: 'command', command: QUADRATIC },
      })
      .set('Idempotency-Key', 'quad-1')
      .expect(202);
    const study = created.body;
    assert.equal(study.status, 'running');
    assert.ok(study.jobId);
    // Idempotency: the same key and body answers the same study; another body is a 409.
    const again = await app
      .post('/v1/studies', {
        name: 'quadratic',
        space: SPACE,
        metrics: ['loss'],
        sampler: { name: 'tpe', settings: { seed: 3, nStartupTrials: 4 } },
        budget: { nTrials: 8, parallelism: 2 },
        runner: { type: 'command', command: QUADRATIC },
      })
      .set('Idempotency-Key', 'quad-1')
      .expect(202);
    assert.equal(again.body.id, study.id);
    await app
      .post('/v1/studies', { name: 'other', space: SPACE })
      .set('Idempotency-Key', 'quad-1')
      .expect(409);

    const driver = await app.waitForJob(study.jobId, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(driver.status, 'succeeded', JSON.stringify(driver));
    const got = (await app.get(`/v1/studies/${study.id}`).expect(200)).body;
    assert.equal(got.status, 'completed');
    const trials = await trialsOf(study.id);
    assert.deepEqual(
      got.counts,
      { running: 0, complete: 8, pruned: 0, failed: 0 },
      JSON.stringify(trials[0]),
    );
    assert.deepEqual(
      trials.map((t) => t.number),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    for (const t of trials) {
      const x = t.params.x as number;
      const y = t.params.y as number;
      // The stored value is the command's own output for exactly these parameters.
      assert.ok(Math.abs((t.values as number[])[0] - ((x - 2) ** 2 + (y + 1) ** 2)) < 1e-9);
    }
    const best = Math.min(...trials.map((t) => (t.values as number[])[0]));
    assert.equal(got.bestTrial.values[0], best);
    assert.equal(got.paretoFront[0].number, got.bestTrial.number);
    assert.equal((driver.result as { bestValues: number[] }).bestValues[0], best);
    // Every trial ran as a trial-command child job of the driver.
    const children = (await app.get(`/v1/jobs?kind=trial-command&limit=200`).expect(200)).body
      .items as JobBody[];
    const mine = children.filter((j) => j.parentId === study.jobId);
    assert.equal(mine.length, 8);
    assert.ok(mine.every((j) => j.status === 'succeeded'));

    const imp = (await app.get(`/v1/studies/${study.id}/importance`).expect(200)).body;
    assert.deepEqual(Object.keys(imp.importance).sort(), ['x', 'y']);
    const list = (await app.get('/v1/studies?status=completed').expect(200)).body;
    assert.ok(list.items.some((s: { id: string }) => s.id === study.id));

    // Another project sees none of it.
    const other = await app.createKey('search-other');
    await app.get(`/v1/studies/${study.id}`, other).expect(404);
    await app.get(`/v1/studies/${study.id}/trials`, other).expect(404);
    await app.post(`/v1/studies/${study.id}/stop`, undefined, other).expect(404);
    assert.equal((await app.get('/v1/studies', other).expect(200)).body.total, 0);
    // A command-driven study is not asked over REST.
    await app.post(`/v1/studies/${study.id}/ask`).expect(409);
  });

  test('a failing command fails its trial and keeps the stderr tail', async () => {
    const created = await app
      .post('/v1/studies', {
        name: 'broken',
        space: SPACE,
        metrics: ['loss'],
        sampler: { name: 'random', settings: { seed: 1 } },
        budget: { nTrials: 2, parallelism: 1 },
        runner: {
          type: 'command',
          command: [
            process.execPath,
            '-e',
            `console.log('loss=1'); console.error('Traceback: lr ' + process.env.AUTODL_TRIAL_NUMBER + ' diverged'); process.exit(3);`,
          ],
        },
      })
      .expect(202);
    await app.waitForJob(created.body.jobId, (j) => j.status === 'succeeded');
    const trials = await trialsOf(created.body.id);
    assert.deepEqual(
      trials.map((t) => t.state),
      ['failed', 'failed'],
    );
    for (const t of trials) {
      assert.equal(t.userAttrs.error, 'exited with code 3');
      assert.match(t.userAttrs.stderrTail, new RegExp(`Traceback: lr ${t.number} diverged`));
    }
    const got = (await app.get(`/v1/studies/${created.body.id}`).expect(200)).body;
    assert.equal(got.bestTrial, null);
    assert.deepEqual(got.counts, { running: 0, complete: 0, pruned: 0, failed: 2 });
  });

  test('step= lines are intermediate values; the median pruner kills a bad trial', async () => {
    // Trial 0 learns well (loss 1 at every step), later trials badly (loss 10): by the median
    // rule (Optuna MedianPruner) a later trial is pruned at its first step, long before its
    // 40 steps x 50 ms end.
    const script = `const bad = process.env.AUTODL_TRIAL_NUMBER !== '0';
      let s = 0;
      const t = setInterval(() => {
        console.log('step=' + s + ' loss=' + (bad ? 10 : 1));
        if (++s === 40) { clearInterval(t); console.log('loss=' + (bad ? 10 : 1)); }
      }, 50);`;
    const created = await app
      .post('/v1/studies', {
        name: 'pruned',
        space: SPACE,
        metrics: ['loss'],
        sampler: { name: 'random' },
        pruner: { name: 'median', settings: { nStartupTrials: 1 } },
        budget: { nTrials: 2, parallelism: 1 },
        runner: { type: 'command', command: [process.execPath, '-e', script] },
      })
      .expect(202);
    await app.waitForJob(created.body.jobId, (j) => j.status === 'succeeded');
    const [first, second] = await trialsOf(created.body.id);
    assert.equal(first.state, 'complete');
    assert.equal(first.intermediate.length, 40);
    assert.equal(second.state, 'pruned');
    assert.ok(second.intermediate.length < 40, `${second.intermediate.length} steps ran`);
    assert.deepEqual(second.intermediate[0], { step: 0, values: [10] });
  });

  test('ask/tell over REST drives an external study; a second tell is refused', async () => {
    const created = await app
      .post('/v1/studies', {
        name: 'external',
        space: {
          x: { type: 'float', low: -3, high: 3 },
          opt: { type: 'categorical', choices: ['a', 'b'] },
        },
        direction: 'minimize',
        sampler: { name: 'tpe', settings: { seed: 5, nStartupTrials: 3 } },
        pruner: { name: 'median', settings: { nStartupTrials: 1 } },
        budget: { nTrials: 6 },
      })
      .expect(202);
    const id = created.body.id;
    assert.equal(created.body.jobId, null);
    for (let i = 0; i < 5; i++) {
      const asked = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body;
      assert.equal(asked.number, i);
      const x = asked.params.x as number;
      assert.ok(x >= -3 && x <= 3 && ['a', 'b'].includes(asked.params.opt));
      await app.post(`/v1/studies/${id}/trials/${i}/tell`, { value: x * x }).expect(200);
    }
    const last = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body;
    const rep = await app
      .post(`/v1/studies/${id}/trials/${last.number}/report`, { step: 0, value: 1e6 })
      .expect(200);
    // Trials 0..4 reported nothing at step 0: the median rule has nothing to compare with, so even
    // a huge value is not pruned (Optuna's MedianPruner does the same).
    assert.equal(rep.body.shouldPrune, false);
    await app.post(`/v1/studies/${id}/trials/${last.number}/tell`, { state: 'pruned' }).expect(200);
    const second = await app.post(`/v1/studies/${id}/trials/0/tell`, { value: 0 });
    assert.equal(second.status, 409);
    // Budget of 6 used: no more asks, and the study completed with its last tell.
    await app.post(`/v1/studies/${id}/ask`).expect(409);
    const got = (await app.get(`/v1/studies/${id}`).expect(200)).body;
    assert.equal(got.status, 'completed');
    assert.deepEqual(got.counts, { running: 0, complete: 5, pruned: 1, failed: 0 });
    const values = (await trialsOf(id)).filter((t) => t.state === 'complete');
    assert.equal(
      got.bestTrial.values[0],
      Math.min(...values.map((t) => (t.values as number[])[0])),
    );
    // Malformed tells are 400s naming the field; unknown trials 404.
    const bad = await app.post(`/v1/studies/${id}/trials/1/tell`, { values: 'x' }).expect(400);
    assert.equal(bad.body.errors[0].field, 'values');
    await app.post(`/v1/studies/${id}/trials/99/tell`, { value: 1 }).expect(404);
    await app.post(`/v1/studies/${id}/trials/abc/tell`, { value: 1 }).expect(400);
  });

  test('a study without a seed gets a random one, recorded; the same seed gives the same trials', async () => {
    const create = async (seed?: number) =>
      (
        await app
          .post('/v1/studies', {
            name: 'seeded',
            space: SPACE,
            sampler: { name: 'tpe', settings: { nStartupTrials: 2 } },
            ...(seed !== undefined && { seed }),
          })
          .expect(202)
      ).body as { id: string; seed: number; config: { sampler: { settings: { seed: number } } } };
    /** The study's first three trials (told a fixed objective, so TPE's third draw is modelled). */
    const firstTrials = async (id: string) => {
      const params: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const asked = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body;
        params.push(asked.params);
        const { x, y } = asked.params as { x: number; y: number };
        await app.post(`/v1/studies/${id}/trials/${i}/tell`, { value: x * x + y * y }).expect(200);
      }
      return params;
    };
    const a = await create();
    const b = await create();
    // Random default seeds (31 bits): two studies over one space propose different first trials.
    for (const s of [a, b]) {
      assert.ok(Number.isInteger(s.seed) && s.seed >= 0, `seed ${s.seed}`);
      assert.equal(s.config.sampler.settings.seed, s.seed);
      assert.equal((await app.get(`/v1/studies/${s.id}`).expect(200)).body.seed, s.seed);
    }
    assert.notEqual(a.seed, b.seed);
    const pa = await firstTrials(a.id);
    assert.notDeepEqual(pa, await firstTrials(b.id));
    // The recorded seed reproduces a default study; an explicit seed twice gives the same trials.
    const again = await create(a.seed);
    assert.equal(again.seed, a.seed);
    assert.deepEqual(await firstTrials(again.id), pa);
    const c = await create(12345);
    const d = await create(12345);
    assert.equal(c.seed, 12345);
    assert.deepEqual(await firstTrials(c.id), await firstTrials(d.id));
    // A seed given twice must agree; a bad one is a 400 naming the field.
    const clash = await app
      .post('/v1/studies', {
        name: 'clash',
        space: SPACE,
        seed: 1,
        sampler: { name: 'random', settings: { seed: 2 } },
      })
      .expect(400);
    assert.ok(JSON.stringify(clash.body.errors).includes('seed'), JSON.stringify(clash.body));
    await app.post('/v1/studies', { name: 'neg', space: SPACE, seed: -1 }).expect(400);
    // Idempotency is over the request, not the drawn seed: the same key returns the same study.
    const k1 = await app
      .post('/v1/studies', { name: 'idem', space: SPACE })
      .set('Idempotency-Key', 'seed-k')
      .expect(202);
    const k2 = await app
      .post('/v1/studies', { name: 'idem', space: SPACE })
      .set('Idempotency-Key', 'seed-k');
    assert.ok([200, 202].includes(k2.status), k2.text);
    assert.equal(k2.body.id, k1.body.id);
    assert.equal(k2.body.seed, k1.body.seed);
  });

  test('autodl search run --json -- <command> runs a study through the service', async () => {
    const spaceFile = path.join(app.home, 'space.json');
    fs.writeFileSync(spaceFile, JSON.stringify(SPACE));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        ...CLI,
        '--json',
        'search',
        'run',
        '--space',
        spaceFile,
        '--metric',
        'loss',
        '--sampler',
        'random',
        '--seed',
        '4',
        '--trials',
        '3',
        '--parallel',
        '2',
        '--',
        ...QUADRATIC,
      ],
      { env: { ...process.env, AUTODL_URL: app.url, AUTODL_API_KEY: app.key }, timeout: 600_000 },
    );
    const out = JSON.parse(stdout);
    assert.equal(out.status, 'completed');
    assert.equal(out.trials.length, 3);
    const values = out.trials.map((t: { values: number[] }) => t.values[0]);
    assert.equal(out.bestValue, Math.min(...values));
    const { x, y } = out.bestParams as { x: number; y: number };
    assert.ok(Math.abs(out.bestValue - ((x - 2) ** 2 + (y + 1) ** 2)) < 1e-9);
    const shown = await promisify(execFile)(
      process.execPath,
      [...CLI, 'search', 'show', out.studyId],
      { env: { ...process.env, AUTODL_URL: app.url, AUTODL_API_KEY: app.key }, timeout: 600_000 },
    );
    assert.match(shown.stdout, /completed: 3 complete/);
    assert.match(shown.stdout, /seed 4\b/);
    assert.equal(out.seed, 4);
  });

  test('report drives pruning over REST; stop ends an external study', async () => {
    const id = (
      await app
        .post('/v1/studies', {
          name: 'external-prune',
          space: { x: { type: 'float', low: 0, high: 1 } },
          sampler: { name: 'random', settings: { seed: 2 } },
          pruner: { name: 'median', settings: { nStartupTrials: 1 } },
        })
        .expect(202)
    ).body.id;
    const a = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body.number;
    for (let step = 0; step < 3; step++)
      await app.post(`/v1/studies/${id}/trials/${a}/report`, { step, value: 1 }).expect(200);
    await app.post(`/v1/studies/${id}/trials/${a}/tell`, { value: 1 }).expect(200);
    const b = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body.number;
    // Median of the finished trial at step 0 is 1; 5 is worse -> prune (Optuna MedianPruner).
    const worse = await app
      .post(`/v1/studies/${id}/trials/${b}/report`, { step: 0, value: 5 })
      .expect(200);
    assert.equal(worse.body.shouldPrune, true);
    const c = (await app.post(`/v1/studies/${id}/ask`).expect(201)).body.number;
    const better = await app
      .post(`/v1/studies/${id}/trials/${c}/report`, { step: 0, value: 0.5 })
      .expect(200);
    assert.equal(better.body.shouldPrune, false);
    const stopped = await app.post(`/v1/studies/${id}/stop`).expect(202);
    assert.equal(stopped.body.status, 'stopped');
    await app.post(`/v1/studies/${id}/ask`).expect(409);
    await app.post(`/v1/studies/${id}/stop`).expect(409);
    // Trials already asked can still be told after a stop.
    await app.post(`/v1/studies/${id}/trials/${b}/tell`, { state: 'pruned' }).expect(200);
  });
});
