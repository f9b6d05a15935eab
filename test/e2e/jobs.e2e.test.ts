import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobBody, startTestApp, TestApp } from '../support/app';

describe('jobs API e2e (real app, real PostgreSQL, real worker processes)', () => {
  let app: TestApp;
  before(async () => {
    // A long cancellation grace: under load a cooperative cancel can take seconds, and the test
    // below checks the job stopped itself, not that the executor killed its worker.
    app = await startTestApp({
      workers: 2,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      // AUTODL_TEST_HOOKS: the crash tests let the worker SIGKILL itself (sleep's crashAtStep).
      // A 20 s heartbeat timeout: a starved worker (CI load) must not turn the cooperative cancel
      // under test into a lost-heartbeat cancel; killed workers are seen at once (child exit).
      env: {
        AUTODL_CANCEL_GRACE_MS: '60000',
        AUTODL_HEARTBEAT_TIMEOUT_MS: '20000',
        AUTODL_TEST_HOOKS: '1',
      },
    });
  });
  after(async () => {
    await app?.close();
  });

  test('every /v1 route needs a valid bearer key (401 problem+json)', async () => {
    const none = await app.http.get('/v1/jobs');
    assert.equal(none.status, 401);
    assert.match(none.headers['content-type'], /application\/problem\+json/);
    assert.match(none.body.detail, /missing API key/);
    const bad = await app.get('/v1/jobs', 'adl_' + 'x'.repeat(43));
    assert.equal(bad.status, 401);
    assert.equal((await app.http.get('/healthz')).status, 200);
  });

  test("a key sees only its own project: other projects' jobs are 404 and not listed", async () => {
    const created = await app.post('/v1/jobs', { kind: 'noop' }).expect(202);
    const otherKey = await app.createKey('other-team');
    const res = await app.get(`/v1/jobs/${created.body.id}`, otherKey);
    assert.equal(res.status, 404);
    assert.equal(res.body.status, 404);
    for (const route of ['events', 'metrics', 'artifacts']) {
      assert.equal((await app.get(`/v1/jobs/${created.body.id}/${route}`, otherKey)).status, 404);
    }
    assert.equal(
      (await app.post(`/v1/jobs/${created.body.id}/cancel`, undefined, otherKey)).status,
      404,
    );
    const list = await app.get('/v1/jobs', otherKey).expect(200);
    assert.equal(list.body.total, 0);
  });

  test('validation errors are 400 problems naming the fields', async () => {
    const unknown = await app.post('/v1/jobs', { kind: 'sleep', colour: 'red' }).expect(400);
    assert.deepEqual(
      unknown.body.errors.map((e: { field: string }) => e.field),
      ['colour'],
    );
    const wrongType = await app.post('/v1/jobs', { kind: 42 }).expect(400);
    assert.ok(wrongType.body.errors.some((e: { field: string }) => e.field === 'kind'));
    const badSpec = await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: -3 } }).expect(400);
    assert.equal(badSpec.body.errors[0].field, 'spec.steps');
    assert.match(badSpec.body.detail, /must be >= 0, got -3/);
    const unknownKind = await app.post('/v1/jobs', { kind: 'warp-drive' }).expect(400);
    assert.equal(unknownKind.body.errors[0].field, 'kind');
    const badJson = await app.http
      .post('/v1/jobs')
      .set('Authorization', `Bearer ${app.key}`)
      .set('Content-Type', 'application/json')
      .send('{"kind": ');
    assert.equal(badJson.status, 400);
    assert.match(badJson.body.detail, /not valid JSON/);
    const badId = await app.get('/v1/jobs/not-a-uuid').expect(400);
    assert.equal(badId.body.errors[0].field, 'id');
    await app.get('/v1/jobs/00000000-0000-4000-8000-000000000000').expect(404);
    const badQuery = await app.get('/v1/jobs?limit=0').expect(400);
    assert.equal(badQuery.body.errors[0].field, 'limit');
  });

  test('POST with an Idempotency-Key returns the same job; reuse with another body is 409', async () => {
    const body = { kind: 'sleep', spec: { steps: 1, stepMs: 1 } };
    const a = await app.post('/v1/jobs', body).set('Idempotency-Key', 'k-123').expect(202);
    const b = await app.post('/v1/jobs', body).set('Idempotency-Key', 'k-123').expect(202);
    assert.equal(a.body.id, b.body.id);
    const c = await app
      .post('/v1/jobs', { kind: 'sleep', spec: { steps: 2 } })
      .set('Idempotency-Key', 'k-123');
    assert.equal(c.status, 409);
    const listed = await app.get('/v1/jobs?kind=sleep&limit=200').expect(200);
    assert.equal(listed.body.items.filter((j: JobBody) => j.id === a.body.id).length, 1);
  });

  test('lifecycle queued -> running -> succeeded with progress, metrics and events', async () => {
    const created = await app
      .post('/v1/jobs', { kind: 'sleep', spec: { steps: 6, stepMs: 150 } })
      .expect(202);
    assert.equal(created.body.status, 'queued');
    const running = await app.waitForJob(
      created.body.id,
      (j) => j.status === 'running' && j.progress > 0,
    );
    assert.ok(running.progress > 0 && running.progress < 1);
    const done = await app.waitForJob(created.body.id, (j) => j.status === 'succeeded');
    assert.equal(done.progress, 1);
    assert.deepEqual(done.result, { steps: 6, resumedFrom: 0, attempt: 1 });
    const metrics = await app.get(`/v1/jobs/${created.body.id}/metrics?name=step`).expect(200);
    assert.deepEqual(
      metrics.body.map((m: { step: number }) => m.step),
      [0, 1, 2, 3, 4, 5],
    );
    const events = await app.get(`/v1/jobs/${created.body.id}/events`).expect(200);
    const statuses = events.body
      .filter((e: { type: string }) => e.type === 'status')
      .map((e: { message: string }) => e.message.split(' ')[0]);
    assert.deepEqual(statuses, ['queued', 'running', 'succeeded']);
  });

  test('a failing job ends failed with its error message; retry runs it again', async () => {
    const created = await app
      .post('/v1/jobs', { kind: 'sleep', spec: { steps: 3, stepMs: 10, failAtStep: 1 } })
      .expect(202);
    const failed = await app.waitForJob(created.body.id, (j) => j.status === 'failed');
    assert.equal(failed.error, 'failed at step 1 as requested by failAtStep');
    assert.equal((await app.post(`/v1/jobs/${created.body.id}/cancel`)).status, 409);
    const retried = await app.post(`/v1/jobs/${created.body.id}/retry`).expect(202);
    // A free worker may already have claimed it by the time the response is built.
    assert.ok(['queued', 'running'].includes(retried.body.status));
    assert.equal(retried.body.error, null);
    const again = await app.waitForJob(created.body.id, (j) => j.status === 'failed');
    assert.equal(again.attempts, 1, 'a retry starts with a fresh attempt budget');
    const events = await app.get(`/v1/jobs/${created.body.id}/events`).expect(200);
    const statuses = events.body
      .filter((e: { type: string }) => e.type === 'status')
      .map((e: { message: string }) => e.message.split(':')[0].split(' ')[0]);
    assert.deepEqual(statuses, ['queued', 'running', 'failed', 'queued', 'running', 'failed']);
  });

  test('cancel stops a running job within seconds; a cancelled job can be retried to success', async () => {
    const created = await app
      .post('/v1/jobs', { kind: 'sleep', spec: { steps: 100, stepMs: 100 } })
      .expect(202);
    await app.waitForJob(created.body.id, (j) => j.status === 'running' && j.progress >= 0.03);
    const t0 = Date.now();
    const res = await app.post(`/v1/jobs/${created.body.id}/cancel`).expect(202);
    assert.equal(res.body.cancelRequested, true);
    const cancelled = await app.waitForJob(created.body.id, (j) => j.status === 'cancelled');
    // The job stopped itself (its own "cancelled" status event, not "cancelled: <reason>" of a
    // killed worker), before its 10 s of steps ran out and well within the grace period.
    const ended = (await app.get(`/v1/jobs/${created.body.id}/events`).expect(200)).body.filter(
      (e: { type: string }) => e.type === 'status',
    );
    assert.deepEqual(
      ended.map((e: { message: string; level: string }) => [e.message, e.level]).at(-1),
      ['cancelled', 'info'],
    );
    assert.ok(Date.now() - t0 < 60_000, `cancel took ${Date.now() - t0} ms`);
    assert.ok(cancelled.progress < 1);
    // Long enough that the cancel always lands before the last step (a 0.5 s job could finish
    // first: a cancel that arrives after the last step leaves the job succeeded, by design).
    const second = await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 30, stepMs: 100 } });
    await app.post(`/v1/jobs/${second.body.id}/cancel`).expect(202);
    await app.waitForJob(second.body.id, (j) => j.status === 'cancelled');
    await app.post(`/v1/jobs/${second.body.id}/retry`).expect(202);
    const retried = await app.waitForJob(second.body.id, (j) => j.status === 'succeeded');
    assert.deepEqual(retried.result, { steps: 30, resumedFrom: 0, attempt: 1 });
  });

  test('a worker killed with SIGKILL mid-job: the job is re-queued and resumes from its checkpoint, nothing duplicated', async () => {
    // The kill must land before the last step: once the 4th step is seen, 36 steps (7 s) are
    // left, room for a poll and a kill on a loaded machine (12 steps of 150 ms left 1.2 s, which
    // a loaded machine's poll could outlast: the job then ended before the kill).
    const steps = 40;
    const created = await app
      .post('/v1/jobs', { kind: 'sleep', spec: { steps, stepMs: 200 } })
      .expect(202);
    const running = await app.waitForJob(
      created.body.id,
      (j) => j.status === 'running' && j.progress >= 4 / steps,
    );
    app.killWorker(running);
    const done = await app.waitForJob(created.body.id, (j) => j.status === 'succeeded');
    assert.equal(done.attempts, 2);
    const resumedFrom = done.result?.resumedFrom as number;
    assert.ok(resumedFrom >= 4 && resumedFrom < steps, `resumed from step ${resumedFrom}`);
    const metrics = await app.get(`/v1/jobs/${created.body.id}/metrics?name=step`).expect(200);
    assert.deepEqual(
      metrics.body.map((m: { step: number }) => m.step),
      [...Array(steps).keys()],
    );
    const events = await app.get(`/v1/jobs/${created.body.id}/events?limit=1000`).expect(200);
    const stepRuns = new Map<number, number>();
    for (const e of events.body as { type: string; message: string }[]) {
      const m = /^step (\d+)$/.exec(e.message);
      if (e.type === 'log' && m) stepRuns.set(Number(m[1]), (stepRuns.get(Number(m[1])) ?? 0) + 1);
    }
    for (let s = 0; s < steps; s++) {
      // Steps before the checkpoint ran once; only the interrupted step may have started twice.
      assert.equal(
        stepRuns.get(s),
        s === resumedFrom ? stepRuns.get(s) : 1,
        `step ${s} ran ${stepRuns.get(s)} times`,
      );
    }
    assert.ok((stepRuns.get(resumedFrom) ?? 0) <= 2);
    assert.ok(
      events.body.some((e: { message: string }) =>
        /queued: worker process \d+ exited \(SIGKILL\)/.test(e.message),
      ),
    );
  });

  test('a job that crashes its worker on every attempt fails after maxAttempts', async () => {
    const created = await app
      .post('/v1/jobs', {
        kind: 'sleep',
        spec: { steps: 3, stepMs: 10, crashAtStep: 1, crashOnAttempt: 5 },
        maxAttempts: 2,
      })
      .expect(202);
    const failed = await app.waitForJob(created.body.id, (j) => j.status === 'failed');
    assert.equal(failed.attempts, 2);
    assert.match(failed.error ?? '', /exited \(SIGKILL\) \(after 2 attempts\)/);
  });

  test('/readyz reports database and migrations; /metrics exposes jobs and HTTP latency', async () => {
    const ready = await app.http.get('/readyz').expect(200);
    assert.equal(ready.body.database, true);
    assert.equal(ready.body.migrations, true);
    assert.equal(ready.body.doctor, undefined, 'the doctor runs only when asked');
    // ?doctor=true: `autodl doctor` in the API process (the GPU overlay's readiness probe).
    const doctor = (await app.http.get('/readyz?doctor=true').expect(200)).body.doctor;
    assert.equal(
      doctor.backend,
      ready.body.tfBackend === 'not loaded' ? doctor.backend : ready.body.tfBackend,
    );
    assert.ok(doctor.conv.gflops > 0 && doctor.conv.iterations >= 1);
    assert.ok(Array.isArray(doctor.gpus) && Array.isArray(doctor.warnings));
    await app.http.get('/readyz?doctor=maybe').expect(400);
    await sleep(10);
    const metrics = await app.http.get('/metrics').expect(200);
    assert.match(metrics.text, /autodl_jobs\{status="succeeded"\} \d+/);
    assert.match(metrics.text, /autodl_queue_depth \d+/);
    assert.match(
      metrics.text,
      /autodl_http_request_duration_seconds_bucket\{.*route="\/v1\/jobs\/:id"/,
    );
  });
});
