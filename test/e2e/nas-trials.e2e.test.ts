import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JobBody, startTestApp, TestApp } from '../support/app';
import { shapesZip } from '../fixtures/data/shapes';

/** Two 8x8 gray classes separable by mean intensity, 12 images each. */
const zip = shapesZip(12);

const SPACE = { type: 'cell-cnn', minBlocks: 1, maxBlocks: 2, baseWidth: 4, denseUnits: 8 };
const FLOPS_MAX = 200_000;

/**
 * NAS candidates as `nas-trial` child jobs of the `nas` driver (docs/nas.md "How a NAS job
 * runs"): parallel trials, resume of a killed driver, cancel. Real app, PostgreSQL and workers.
 */
describe('NAS trials as jobs (driver + nas-trial jobs, parallel, resumable)', () => {
  let app: TestApp;
  let datasetId: string;

  before(async () => {
    // Two trials at once on two compute workers; the driver runs on the coordinator worker.
    app = await startTestApp({
      workers: 2,
      coordinators: 1,
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    const res = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25' },
      zip,
      'shapes.zip',
    );
    assert.equal(res.status, 201, res.text);
    datasetId = res.body.id;
  });
  after(async () => {
    await app?.close();
  });

  function body(
    budget: Record<string, unknown>,
    strategy = 'regularized-evolution',
    maxFlops = FLOPS_MAX,
  ) {
    return {
      dataset: datasetId,
      space: SPACE,
      strategy,
      objective: { kind: 'multi', costs: ['flops'] },
      constraints: [{ metric: 'flops', max: maxFlops }],
      budget: { batchSize: 4, learningRate: 0.01, ...budget },
      seed: 5,
    };
  }

  /** The run's child jobs, as `GET /v1/jobs?parent=` lists them (every one a nas-trial of it). */
  async function trialJobs(nasId: string): Promise<JobBody[]> {
    const res = await app.get(`/v1/jobs?parent=${nasId}&limit=200`).expect(200);
    const items = res.body.items as JobBody[];
    for (const j of items) assert.deepEqual([j.kind, j.parentId], ['nas-trial', nasId]);
    return items;
  }

  function assertFeasible(nas: Record<string, unknown>): void {
    const reported = [
      nas.best,
      ...(nas.leaderboard as unknown[]),
      ...(nas.paretoFront as unknown[]),
    ];
    for (const t of reported as { number: number; flops: number }[])
      assert.ok(t.flops <= FLOPS_MAX, `trial ${t.number}: ${t.flops} FLOPs over the budget`);
  }

  test('budget.parallelism is validated (1..32) and named in the 400', async () => {
    const res = await app
      .post('/v1/nas', body({ trials: 2, epochsPerTrial: 1, parallelism: 33 }))
      .expect(400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    assert.deepEqual(fields, ['budget.parallelism']);
  });

  test('parallelism 2: every candidate is a nas-trial child job, two at a time; GET shows trials while running', async () => {
    const created = await app
      .post('/v1/nas', body({ trials: 6, epochsPerTrial: 8, parallelism: 2 }))
      .expect(202);
    const id = created.body.id as string;
    let liveSeen = false;
    for (;;) {
      const nas = (await app.get(`/v1/nas/${id}`).expect(200)).body;
      if (nas.status !== 'running' && nas.status !== 'queued') break;
      if (nas.status === 'running' && nas.trials >= 1 && nas.trials < 6) {
        liveSeen = true;
        assert.ok(Array.isArray(nas.leaderboard));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const job = await app.waitForJob(id, (j) => j.status !== 'running');
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.ok(liveSeen, 'GET /v1/nas/:id showed finished trials while the search ran');
    const nas = (await app.get(`/v1/nas/${id}`).expect(200)).body;
    assert.equal(nas.trials, 6);
    assert.ok(nas.leaderboard.length >= 1, 'a leaderboard');
    assertFeasible(nas);
    const children = await trialJobs(id);
    assert.equal(children.length, 6, 'one nas-trial job per candidate');
    assert.deepEqual(
      children.map((j) => (j.spec as { trial: number }).trial).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
    for (const c of children) assert.equal(c.status, 'succeeded', c.error ?? '');
    // Two in flight: some pair of trial jobs ran at the same time.
    const spans = children.map((c) => [
      Date.parse(String(c.startedAt)),
      Date.parse(String(c.finishedAt)),
    ]);
    const overlap = spans.some(([s1, e1], i) =>
      spans.some(([s2], k) => k !== i && s2 > s1 && s2 < e1),
    );
    assert.ok(overlap, 'trial jobs overlapped in time');
    // The top-level list has the run and none of its trials; parent and topLevel exclude each
    // other, and a parent is a job id.
    const top = (await app.get('/v1/jobs?topLevel=true&limit=200').expect(200)).body
      .items as JobBody[];
    assert.ok(top.some((j) => j.id === id));
    assert.ok(top.every((j) => j.parentId === null));
    await app.get(`/v1/jobs?parent=${id}&topLevel=true`).expect(400);
    await app.get('/v1/jobs?parent=nope').expect(400);
    await app.get('/v1/jobs?topLevel=yes').expect(400);
    // Evolution children start from their parent's weights, read from the parent trial job's
    // artifact weights.bin: the stem at least is always inherited (docs/nas.md).
    const byTrial = new Map(children.map((c) => [(c.spec as { trial: number }).trial, c]));
    let inherited = 0;
    for (const c of children) {
      const r = c.result as { parent?: number; inheritedLayers: string[]; accuracy: number | null };
      const parent = r.parent === undefined ? undefined : byTrial.get(r.parent);
      if (!parent || r.accuracy === null) continue;
      const files = (await app.get(`/v1/jobs/${parent.id}/artifacts`).expect(200)).body;
      if (!JSON.stringify(files).includes('weights.bin')) continue;
      assert.ok(r.inheritedLayers.length > 0, `trial job ${c.id} inherited nothing`);
      inherited++;
    }
    process.stdout.write(`# ${inherited} children inherited weights across jobs\n`);
  });

  test('a driver killed with SIGKILL is re-queued and resumes: no finished trial runs again', async () => {
    const created = await app
      .post('/v1/nas', body({ trials: 4, epochsPerTrial: 8, parallelism: 1 }, 'random'))
      .expect(202);
    const id = created.body.id as string;
    const running = await app.waitForJob(id, (j) => j.status === 'running' && j.progress >= 0.25);
    app.killWorker(running);
    const done = await app.waitForJob(id, (j) => ['succeeded', 'failed'].includes(j.status));
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.attempts, 2, 'the driver ran twice');
    const children = await trialJobs(id);
    const numbers = children.map((j) => (j.spec as { trial: number }).trial);
    assert.equal(new Set(numbers).size, numbers.length, `one job per trial: ${numbers.join(',')}`);
    assert.ok(children.length <= 4, `${children.length} trial jobs for a budget of 4`);
    for (const c of children) assert.equal(c.attempts, 1, `trial job ${c.id} ran once`);
    const nas = (await app.get(`/v1/nas/${id}`).expect(200)).body;
    assert.equal(nas.trials, 4);
    assertFeasible(nas);
    const events = await app.get(`/v1/jobs/${id}/events?limit=1000`).expect(200);
    assert.ok(
      (events.body as { message: string }[]).some((e) => /resuming study/.test(e.message)),
      'the second attempt resumed the study',
    );
  });

  test('a nas-trial killed with SIGKILL mid-training resumes from its last checkpointed epoch', async () => {
    // A larger set than the suite's (24 training images at batch size 1): epochs long enough
    // that the kill lands between the second reported epoch and the end of the fourth.
    const big = shapesZip(24, 12);
    const upload = await app.uploadDataset(
      { name: 'shapes-resume', split: '0.5,0.25,0.25' },
      big,
      'shapes-resume.zip',
    );
    assert.equal(upload.status, 201, upload.text);
    const epochs = 4;
    const created = await app
      .post('/v1/nas', {
        dataset: upload.body.id,
        space: { ...SPACE, minBlocks: 2 },
        strategy: 'random',
        budget: { trials: 1, epochsPerTrial: epochs, parallelism: 1, batchSize: 1 },
        seed: 3,
      })
      .expect(202);
    const id = created.body.id as string;
    // Wait for two reported epochs: the report of epoch e comes before its checkpoint, so two
    // reports mean the checkpoint after epoch 1 is stored.
    const t0 = Date.now();
    let trialJob: JobBody | undefined;
    let killedAfter = 0;
    while (Date.now() - t0 < 300_000 && killedAfter === 0) {
      trialJob = (await trialJobs(id))[0];
      if (trialJob?.status === 'running') {
        const { studyId, trial } = trialJob.spec as { studyId: string; trial: number };
        const trials = (await app.get(`/v1/studies/${studyId}/trials`).expect(200)).body.items as {
          number: number;
          intermediate: unknown[];
        }[];
        const reported = trials.find((t) => t.number === trial)?.intermediate.length ?? 0;
        if (reported >= 2) {
          assert.ok(reported < epochs, `trial still training when killed (${reported} epochs)`);
          app.killWorker(trialJob);
          killedAfter = reported;
        }
      }
      // Two requests a look; the window is two epochs of 24 steps, which a look every 100 ms finds.
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(trialJob && killedAfter >= 2, 'the trial job reported two epochs');
    const done = await app.waitForJob(trialJob.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.attempts, 2, 'the trial job was re-queued once');
    const resumedFrom = done.result?.resumedFromEpoch as number;
    assert.ok(resumedFrom >= 1 && resumedFrom <= killedAfter, `resumed from epoch ${resumedFrom}`);
    const events = (await app.get(`/v1/jobs/${trialJob.id}/events?limit=1000`).expect(200))
      .body as { message: string }[];
    assert.ok(
      events.some((e) =>
        new RegExp(`resuming trial \\d+ from the checkpoint after epoch ${resumedFrom} `).test(
          e.message,
        ),
      ),
      `a resume event: ${events.map((e) => e.message).join(' | ')}`,
    );
    // One intermediate value per epoch, none lost and none doubled across the two attempts. The
    // kill usually lands between an epoch's report and its checkpoint, so the second attempt
    // reports that epoch again: the study keeps one value per step.
    const { studyId, trial } = trialJob.spec as { studyId: string; trial: number };
    const trials = (await app.get(`/v1/studies/${studyId}/trials`).expect(200)).body.items as {
      number: number;
      state: string;
      intermediate: { step: number }[];
    }[];
    const told = trials.find((t) => t.number === trial);
    assert.equal(told?.state, 'complete');
    assert.deepEqual(
      told?.intermediate.map((v) => v.step),
      [0, 1, 2, 3],
    );
    const nas = await app.waitForJob(id, (j) => j.status !== 'running' && j.status !== 'queued');
    assert.equal(nas.status, 'succeeded', nas.error ?? '');
  });

  test('cancel of the nas job cancels its trial jobs in flight', async () => {
    const created = await app
      // No candidate is skipped by the constraint, and each trains for minutes: 1000 epochs of 12
      // steps at batch size 1 (four times the steps at the suite's batch size 4), so no trial
      // ends before the cancel reaches it, however long that takes on a loaded machine.
      .post(
        '/v1/nas',
        body({ trials: 8, epochsPerTrial: 1000, parallelism: 2, batchSize: 1 }, 'random', 1e12),
      )
      .expect(202);
    const id = created.body.id as string;
    const t0 = Date.now();
    let inFlight: JobBody[] = [];
    while (Date.now() - t0 < 300_000) {
      inFlight = (await trialJobs(id)).filter((j) => j.status === 'running');
      if (inFlight.length >= 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(inFlight.length >= 1, 'a trial job is running');
    await app.post(`/v1/jobs/${id}/cancel`).expect(202);
    await app.waitForJob(id, (j) => j.status === 'cancelled');
    // Every child, including one claimed in the instant of the cancel, ends cancelled (a running
    // one at its next heartbeat, so wait for it rather than look once).
    for (const c of await trialJobs(id)) {
      const ended = await app.waitForJob(
        c.id,
        (j) => j.status !== 'running' && j.status !== 'queued',
      );
      assert.equal(
        ended.status,
        'cancelled',
        `trial job ${c.id}: ${ended.error ?? ''} ${JSON.stringify(ended.result)} started ${String(ended.startedAt)} ended ${String(ended.finishedAt)}`,
      );
    }
  });
});
