import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startTestApp, type TestApp } from '../support/app';
import { EventStreamParser, type StreamEvent } from '../../console/src/api/events';

/**
 * GET /v1/events/stream (issue 13): Server-Sent Events fed by the job_events/progress/metric
 * triggers over LISTEN/NOTIFY, scoped to the key's project, resumable with Last-Event-ID.
 */
interface Stream {
  events: StreamEvent[];
  status: number;
  contentType: string;
  /** Resolves with the first event (from the start) that satisfies `predicate`. */
  until(predicate: (e: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
}

function openStream(app: TestApp, key: string, path: string, lastEventId?: string) {
  return new Promise<Stream>((resolve, reject) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${key}`,
      accept: 'text/event-stream',
    };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const req = http.get(`${app.url}${path}`, { headers }, (res) => {
      const parser = new EventStreamParser();
      const events: StreamEvent[] = [];
      const waiters = new Set<() => void>();
      let connected = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        events.push(...parser.push(chunk));
        for (const w of waiters) w();
        if (!connected && chunk.includes(': connected')) {
          connected = true;
          resolve(stream);
        }
      });
      const stream: Stream = {
        events,
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type']),
        until: (predicate, timeoutMs = 60_000) =>
          new Promise((ok, fail) => {
            const check = () => {
              const hit = events.find(predicate);
              if (!hit) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok(hit);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no such event in ${timeoutMs} ms; got ${JSON.stringify(events)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      };
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ ...stream, events: [{ event: 'error', data: body }] }));
      }
    });
    req.on('error', reject);
  });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const data = (e: StreamEvent) => JSON.parse(e.data) as Record<string, unknown>;

describe('live events over SSE', () => {
  let app: TestApp;
  let otherKey: string;
  before(async () => {
    app = await startTestApp({
      workers: 1,
      coordinators: 0,
      // The tests here are about the events of ONE run of a job: a lease lost to a starved
      // heartbeat (3 s, the harness's default, outrun at load 27 in a clean clone's tier) re-queues
      // it, which is right (jobs.e2e tests it) and adds a second queued/running pair here.
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '30000' },
    });
    otherKey = await app.createKey('other-team');
  });
  after(async () => app?.close());

  test('a sleep job: its progress in order up to 1, log lines, metrics and the final status; another project sees none of it', async () => {
    const mine = await openStream(app, app.key, '/v1/events/stream');
    const theirs = await openStream(app, otherKey, '/v1/events/stream');
    assert.equal(mine.status, 200);
    assert.match(mine.contentType, /^text\/event-stream/);
    try {
      const res = await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 5, stepMs: 250 } });
      assert.equal(res.status, 202);
      const jobId = res.body.id as string;
      const ofJob = (e: StreamEvent) => data(e).jobId === jobId;
      const final = await mine.until(
        (e) => e.event === 'status' && ofJob(e) && data(e).status === 'succeeded',
      );
      assert.equal(data(final).jobStatus, 'succeeded');
      assert.ok(final.id && /^\d+$/.test(final.id), 'status events carry the job_events id');

      const progress = mine.events
        .filter((e) => e.event === 'progress' && ofJob(e))
        .map((e) => data(e).progress as number);
      assert.deepEqual(progress, [0.2, 0.4, 0.6, 0.8, 1], 'every step, in order');
      const statuses = mine.events
        .filter((e) => e.event === 'status' && ofJob(e))
        .map((e) => data(e).status);
      assert.deepEqual(statuses, ['queued', 'running', 'succeeded']);
      const logs = mine.events.filter((e) => e.event === 'log' && ofJob(e));
      assert.deepEqual(
        logs.map((e) => data(e).message),
        ['step 0', 'step 1', 'step 2', 'step 3', 'step 4'],
      );
      const ids = mine.events.filter((e) => e.id).map((e) => BigInt(e.id!));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => (a < b ? -1 : 1)),
        'ids increase',
      );
      const metrics = mine.events.filter((e) => e.event === 'metric' && ofJob(e));
      assert.deepEqual(
        metrics.map((e) => [data(e).name, data(e).step, data(e).value]),
        [0, 1, 2, 3, 4].map((s) => ['step', s, s]),
      );
      assert.equal(
        theirs.events.length,
        0,
        `the other project saw ${JSON.stringify(theirs.events)}`,
      );

      // Resume: the events after the first one are replayed, in order, nothing else.
      const first = mine.events.find((e) => e.id && ofJob(e))!;
      const resumed = await openStream(app, app.key, `/v1/events/stream?job=${jobId}`, first.id);
      try {
        await resumed.until((e) => e.event === 'status' && data(e).status === 'succeeded');
        const expected = mine.events.filter((e) => e.id && ofJob(e)).slice(1);
        assert.deepEqual(
          resumed.events.map((e) => e.id),
          expected.map((e) => e.id),
        );
      } finally {
        resumed.close();
      }
    } finally {
      mine.close();
      theirs.close();
    }
  });

  test('filters: job= of another project is a 404, a bad job id or Last-Event-ID a 400', async () => {
    const res = await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 1, stepMs: 0 } });
    const foreign = await openStream(app, otherKey, `/v1/events/stream?job=${res.body.id}`);
    assert.equal(foreign.status, 404);
    const bad = await openStream(app, app.key, '/v1/events/stream?job=nope');
    assert.equal(bad.status, 400);
    const badId = await openStream(app, app.key, '/v1/events/stream', 'abc');
    assert.equal(badId.status, 400);
  });

  test('kind= filter: only jobs of that kind', async () => {
    const stream = await openStream(app, app.key, '/v1/events/stream?kind=noop');
    try {
      const sleep = await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 1, stepMs: 0 } });
      const noop = await app.post('/v1/jobs', { kind: 'noop' });
      await stream.until((e) => data(e).jobId === noop.body.id && data(e).status === 'succeeded');
      await app.waitForJob(sleep.body.id as string, (j) => j.status === 'succeeded');
      assert.ok(stream.events.every((e) => data(e).kind === 'noop'));
    } finally {
      stream.close();
    }
  });

  test("study= : an ask/tell study's trials started and finished, and its status; nothing else, no other study", async () => {
    const create = (name: string) =>
      app
        .post('/v1/studies', {
          name,
          space: { x: { type: 'float', low: -1, high: 1 } },
          budget: { nTrials: 2 },
        })
        .expect(202)
        .then((r) => r.body.id as string);
    const id = await create('live');
    const other = await create('quiet');
    const stream = await openStream(app, app.key, `/v1/events/stream?study=${id}`);
    const foreign = await openStream(app, otherKey, `/v1/events/stream?study=${id}`);
    const jobs = await openStream(app, app.key, '/v1/events/stream');
    try {
      assert.equal(stream.status, 200);
      await app.post(`/v1/studies/${other}/ask`).expect(201);
      await app.post(`/v1/studies/${id}/ask`).expect(201);
      await stream.until((e) => e.event === 'trials');
      const before = stream.events.length;
      await app.post(`/v1/studies/${id}/trials/0/tell`, { value: 0.5 }).expect(200);
      await stream.until((e) => e.event === 'trials' && stream.events.indexOf(e) >= before);
      // The second trial uses the budget: its tell completes the study.
      await app.post(`/v1/studies/${id}/ask`).expect(201);
      await app.post(`/v1/studies/${id}/trials/1/tell`, { value: 0.1 }).expect(200);
      const done = await stream.until((e) => e.event === 'study');
      assert.deepEqual(data(done), { type: 'study', studyId: id, status: 'completed' });
      for (const e of stream.events) {
        assert.ok(['trials', 'study'].includes(e.event), e.event);
        assert.equal(data(e).studyId, id, 'only the study asked for');
        assert.equal(e.id, undefined, 'study events are not resumable');
      }
      assert.ok(stream.events.filter((e) => e.event === 'trials').length >= 3);
      assert.deepEqual(foreign.events, [], 'another project does not see the study');
      assert.ok(
        jobs.events.every((e) => e.event !== 'trials' && e.event !== 'study'),
        'job streams do not carry study events',
      );
      const bad = await openStream(app, app.key, '/v1/events/stream?study=nope');
      assert.equal(bad.status, 400);
    } finally {
      stream.close();
      foreign.close();
      jobs.close();
    }
  });

  test('a stream the client drops while it is being opened is let go (no heartbeat left, no subscriber)', async () => {
    const { JobEventsHub } = await import('../../src/platform/events/job-events.hub');
    const hub = app.running.app.get(JobEventsHub);
    // Dropped at different moments of the opening, the hub's LISTEN connection included.
    for (const delayMs of [0, 2, 5, 10, 20, 40, 80]) {
      await waitFor(() => !hub.listening, `the hub stops listening before try ${delayMs}`);
      const req = http.get(`${app.url}/v1/events/stream`, {
        headers: { authorization: `Bearer ${app.key}`, accept: 'text/event-stream' },
      });
      req.on('error', () => undefined);
      await new Promise((r) => setTimeout(r, delayMs));
      req.destroy();
      await new Promise((r) => setTimeout(r, 200));
    }
    // A subscriber left behind would keep the hub listening after the last real stream closes.
    const stream = await openStream(app, app.key, '/v1/events/stream');
    assert.ok(hub.listening);
    stream.close();
    await waitFor(() => !hub.listening, 'the hub stops listening: no stream is left open');
  });

  test('GET /v1/whoami: project, role and name of the key', async () => {
    const me = await app.get('/v1/whoami').expect(200);
    assert.equal(me.body.project, 'default');
    assert.equal(me.body.role, 'admin');
    assert.equal(me.body.keyName, 'admin');
    assert.match(me.body.keyId, /^[0-9a-f-]{36}$/);
    const other = await app.get('/v1/whoami', otherKey).expect(200);
    assert.deepEqual(
      { project: other.body.project, role: other.body.role },
      { project: 'other-team', role: 'member' },
    );
    const viewer = await app.post('/v1/keys', { name: 'watcher', role: 'viewer' }).expect(201);
    const seen = await app.get('/v1/whoami', viewer.body.key).expect(200);
    assert.deepEqual(seen.body, {
      project: 'default',
      role: 'viewer',
      keyId: viewer.body.id,
      keyName: 'watcher',
    });
    await app.get('/v1/admin/queue', viewer.body.key).expect(403);
    await app.http.get('/v1/whoami').expect(401);
  });

  test('GET /v1/admin/queue: counts by kind and status for admins, 403 for others', async () => {
    const q = await app.get('/v1/admin/queue').expect(200);
    const succeededSleep = q.body.counts.find(
      (c: { kind: string; status: string }) => c.kind === 'sleep' && c.status === 'succeeded',
    );
    assert.ok(succeededSleep.count >= 2);
    assert.equal(q.body.totals.succeeded >= 3, true);
    assert.deepEqual(q.body.pool, { workers: 1, coordinators: 0 });
    assert.ok(Array.isArray(q.body.workers));
    const denied = await app.get('/v1/admin/queue', otherKey).expect(403);
    assert.match(denied.headers['content-type'], /problem\+json/);
  });
});
