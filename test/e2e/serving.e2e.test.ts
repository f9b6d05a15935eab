import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProjectsService } from '../../src/platform/auth/projects.service';
import { startTestApp, TestApp } from '../support/app';

/** Issue 17: deployments through REST on a real database (docs/serving.md). */

const pixels = (k: number) => Array.from({ length: 64 }, (_, i) => ((i * 7 + k * 13) % 17) / 17);

describe('deployments (real app, PostgreSQL, worker-thread instances)', () => {
  let app: TestApp;
  let id: string;

  before(async () => {
    app = await startTestApp({ workers: 0, coordinators: 0 });
    await app
      .post('/v1/models', {
        name: 'serve-base',
        architecture: 'small-cnn',
        inputShape: [8, 8, 1],
        classNames: ['a', 'b', 'c'],
        seed: 3,
      })
      .expect(201);
  });
  after(async () => {
    await app?.close();
  });

  const patch = (route: string, body: unknown) =>
    app.http
      .patch(route)
      .set('Authorization', `Bearer ${app.key}`)
      .send(body as object);
  const del = (route: string) => app.http.delete(route).set('Authorization', `Bearer ${app.key}`);

  test('a body with an unknown or out-of-range field is a 400 naming it', async () => {
    const typo = await app
      .post('/v1/deployments', { model: 'serve-base', bacth: { maxSize: 4 } })
      .expect(400);
    assert.equal(typo.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.match(JSON.stringify(typo.body.errors), /bacth/);
    const range = await app
      .post('/v1/deployments', { model: 'serve-base', batch: { maxSize: 0 } })
      .expect(400);
    assert.match(JSON.stringify(range.body.errors), /batch\.maxSize/);
    await app.post('/v1/deployments', { model: 'no-such-model' }).expect(404);
  });

  test('create, predict in batches, reject a wrong shape', async () => {
    const res = await app
      .post('/v1/deployments', {
        model: 'serve-base',
        name: 'cnn',
        instances: 1,
        batch: { maxSize: 8, maxDelayMs: 50 },
        queue: { capacity: 64, timeoutMs: 30_000 },
      })
      .expect(201);
    id = res.body.id;
    assert.equal(res.body.status.state, 'running');
    assert.deepEqual(res.body.batch, { maxSize: 8, maxDelayMs: 50 });
    assert.equal(res.body.endpoints.serve, '/v1/serve/cnn/predict');

    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        app.post('/v1/serve/cnn/predict', { instance: pixels(k) }).expect(200),
      ),
    );
    for (const a of answers) {
      assert.ok(['a', 'b', 'c'].includes(a.body.prediction.label));
      assert.equal(a.body.output.length, 3);
    }
    // Eight requests sent at once wait at most 50 ms for each other: some share a batch.
    assert.ok(Math.max(...answers.map((a) => a.body.batchSize)) >= 2);
    const same = await app
      .post(`/v1/deployments/${id}/predict`, { instance: pixels(0) })
      .expect(200);
    assert.deepEqual(same.body.output, answers[0].body.output);

    const wrong = await app.post('/v1/serve/cnn/predict', { instance: [1, 2, 3] }).expect(400);
    assert.equal(wrong.body.errors[0].field, 'instance');
    assert.match(wrong.body.detail, /\[8, 8, 1\].*3 values/);
    await app.post('/v1/serve/cnn/predict', {}).expect(400);
  });

  test('a binary body of float32 rows round-trips; a wrong length is a 400 naming the row size', async () => {
    const rows = Buffer.alloc(2 * 64 * 4);
    [pixels(0), pixels(1)].forEach((row, r) =>
      row.forEach((v, j) => rows.writeFloatLE(v, 4 * (r * 64 + j))),
    );
    const binary = (body: Buffer, accept = 'application/octet-stream') =>
      app.http
        .post('/v1/serve/cnn/predict')
        .set('Authorization', `Bearer ${app.key}`)
        .set('Content-Type', 'application/octet-stream')
        .set('Accept', accept)
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .send(body);
    const json = await Promise.all(
      [0, 1].map((k) => app.post('/v1/serve/cnn/predict', { instance: pixels(k) }).expect(200)),
    );
    const res = await binary(rows).expect(200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['x-rows'], '2');
    assert.equal(res.headers['x-output-size'], '3');
    const out = res.body as Buffer;
    assert.equal(out.length, 2 * 3 * 4);
    for (const r of [0, 1]) {
      for (let j = 0; j < 3; j++) {
        // Same model, same input: the JSON answer's probability to float32 precision.
        assert.ok(Math.abs(out.readFloatLE(4 * (3 * r + j)) - json[r].body.output[j]) < 1e-6);
      }
    }
    const asJson = await app.http
      .post('/v1/serve/cnn/predict')
      .set('Authorization', `Bearer ${app.key}`)
      .set('Content-Type', 'application/octet-stream')
      .send(rows)
      .expect(200);
    assert.equal(asJson.body.items.length, 2);
    assert.equal(asJson.body.items[1].prediction.label, json[1].body.prediction.label);

    const wrong = await binary(rows.subarray(0, 100), 'application/json').expect(400);
    assert.equal(wrong.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = JSON.parse((wrong.body as Buffer).toString('utf8'));
    assert.equal(problem.errors[0].field, 'body');
    assert.match(problem.detail, /float32 rows of 64 values.*multiple of 256 bytes; got 100 bytes/);
  });

  test('binary predicts (the data-plane route) answer errors, ids, refusals and metrics as every route does', async () => {
    const row = Buffer.alloc(64 * 4);
    pixels(3).forEach((v, j) => row.writeFloatLE(v, 4 * j));
    const rows = (route: string, key: string | null, body: Buffer = row) => {
      const r = app.http.post(route).set('Content-Type', 'application/octet-stream');
      return (key === null ? r : r.set('Authorization', `Bearer ${key}`)).send(body);
    };
    const problemOf = (res: { headers: Record<string, string>; body: unknown; text: string }) => {
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      return JSON.parse(res.text) as { status: number; detail: string; instance: string };
    };

    // The route is on the server, in front of Express (which is no longer its request listener).
    const nest = app.running.app;
    const listeners = nest.getHttpServer().listeners('request');
    assert.ok(!listeners.includes(nest.getHttpAdapter().getInstance()));
    // The caller's request id is echoed, and a new one is made when there is none.
    const given = await rows('/v1/serve/cnn/predict', app.key)
      .set('X-Request-Id', 'trace-42')
      .expect(200);
    assert.equal(given.headers['x-request-id'], 'trace-42');
    assert.equal(given.body.items.length, 1);
    const made = await rows(`/v1/deployments/${id}/predict`, app.key).expect(200);
    assert.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/);

    // Refusals are the guard's: no key 401, a viewer's key 403 (and audited), a bad key 401.
    problemOf(await rows('/v1/serve/cnn/predict', null).expect(401));
    problemOf(await rows('/v1/serve/cnn/predict', 'adl_not-a-key').expect(401));
    const viewer = await app.running.app
      .get(ProjectsService)
      .createKey('default', 'dp-viewer', { role: 'viewer' });
    const refused = problemOf(await rows('/v1/serve/cnn/predict', viewer.key).expect(403));
    assert.match(refused.detail, /viewer key can only read/);

    // An unknown deployment, a bad deadline, a body over the limit: problem+json naming the path.
    const missing = await rows('/v1/serve/no-such/predict', app.key).expect(404);
    assert.equal(problemOf(missing).instance, '/v1/serve/no-such/predict');
    assert.equal(JSON.parse(missing.text).requestId, missing.headers['x-request-id']);
    const deadline = await rows('/v1/serve/cnn/predict?deadlineMs=soon', app.key).expect(400);
    assert.match(problemOf(deadline).detail, /deadlineMs/);
    const tooBig = await rows('/v1/serve/cnn/predict', app.key, Buffer.alloc(2 * 1024 * 1024));
    assert.equal(tooBig.status, 413);
    problemOf(tooBig);
    // The input guard and the parsers hold on this route too: a NUL in the path, a reserved key,
    // JSON that does not parse, a media type no route takes.
    const nul = await rows('/v1/serve/cn%00n/predict', app.key).expect(400);
    assert.match(problemOf(nul).detail, /^path: /);
    const json = (text: string, type = 'application/json') =>
      app.http
        .post('/v1/serve/cnn/predict')
        .set('Authorization', `Bearer ${app.key}`)
        .set('Content-Type', type)
        .send(text);
    const proto = await json('{"instance": [1], "__proto__": {"x": 1}}').expect(400);
    assert.match(problemOf(proto).detail, /__proto__/);
    problemOf(await json('{"instance": [').expect(400));
    problemOf(await json('1,2,3', 'text/csv').expect(415));
    const jsonId = await json(JSON.stringify({ instance: pixels(3) }))
      .set('X-Request-Id', 'json-7')
      .expect(200);
    assert.equal(jsonId.headers['x-request-id'], 'json-7');
    assert.equal(jsonId.body.prediction.classIndex, given.body.items[0].prediction.classIndex);
    // A path that is not the canonical form still reaches the deployment through Nest.
    await rows('/v1/serve/cnn/predict/', app.key).expect(200);

    const metrics = (await app.http.get('/metrics').expect(200)).text;
    assert.match(
      metrics,
      /autodl_http_request_duration_seconds_count\{method="POST",route="\/v1\/serve\/:name\/predict",status="200"\} [1-9]/,
    );
    assert.match(
      metrics,
      /autodl_http_request_duration_seconds_count\{method="POST",route="\/v1\/deployments\/:id\/predict",status="200"\} [1-9]/,
    );
    const audit = async () =>
      (
        (await app.get('/v1/audit?project=default&limit=200').expect(200)).body.items as {
          route: string;
          status: number;
        }[]
      ).filter((r) => r.route.endsWith('/predict') && r.status === 403);
    const until = Date.now() + 30_000;
    while ((await audit()).length === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    assert.equal((await audit()).length, 1);
  });

  test('predictions leave no audit row (data plane); the control-plane calls around them do', async () => {
    await app.post('/v1/serve/cnn/predict', { instance: pixels(2) }).expect(200);
    // A later mutating request: once its row is there, any predict row would be there too.
    await app.post('/v1/deployments', { model: 'serve-base', instances: 0 }).expect(400);
    type Row = { route: string; status: number };
    let rows: Row[] = [];
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      rows = (await app.get('/v1/audit?project=default&limit=200').expect(200)).body.items;
      if (rows.some((r) => r.route === '/v1/deployments' && r.status === 400)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(rows.some((r) => r.route === '/v1/deployments' && r.status === 201));
    assert.ok(rows.some((r) => r.route === '/v1/deployments' && r.status === 400));
    // (Refusals of predicts are audited: the test above left one 403.)
    assert.deepEqual(
      rows.filter((r) => r.route.endsWith('/predict') && r.status < 400),
      [],
    );
  });

  test('PATCH scales while requests are in flight; none is dropped', async () => {
    const inFlight = Array.from({ length: 24 }, (_, k) =>
      app.post(`/v1/deployments/${id}/predict`, { instance: pixels(k) }),
    );
    const scaled = patch(`/v1/deployments/${id}`, { instances: 2, batch: { maxDelayMs: 5 } });
    const [s, ...answers] = await Promise.all([scaled, ...inFlight]);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(24).fill(200),
    );
    const got = (await app.get(`/v1/deployments/${id}`).expect(200)).body;
    assert.equal(got.instances, 2);
    assert.equal(got.generation, 2);
    assert.equal(got.status.metrics.instances, 2);
    assert.equal(got.status.metrics.config.batch.maxDelayMs, 5);
    assert.equal(got.status.metrics.requests.dropped, 0);
    const down = await patch(`/v1/deployments/cnn`, { instances: 1 }).expect(200);
    assert.equal(down.body.status.metrics.config.instances, 1);
  });

  test('a full queue sheds with 429 and Retry-After; /metrics has the series', async () => {
    await patch(`/v1/deployments/${id}`, {
      batch: { maxSize: 1, maxDelayMs: 0 },
      queue: { capacity: 1 },
    }).expect(200);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, k) =>
        app.post('/v1/serve/cnn/predict', { instance: pixels(k) }),
      ),
    );
    const shed = answers.filter((a) => a.status === 429);
    assert.ok(shed.length > 0, `statuses ${answers.map((a) => a.status)}`);
    assert.ok(Number(shed[0].headers['retry-after']) >= 1);
    assert.equal(shed[0].body.reason, 'queue_full');
    assert.equal(shed[0].body.status, 429);
    assert.ok(answers.every((a) => a.status === 200 || a.status === 429));
    // Binary rows (the data-plane route) are shed the same way.
    const row = Buffer.alloc(64 * 4);
    const binary = await Promise.all(
      Array.from({ length: 40 }, () =>
        app.http
          .post('/v1/serve/cnn/predict')
          .set('Authorization', `Bearer ${app.key}`)
          .set('Content-Type', 'application/octet-stream')
          .send(row),
      ),
    );
    const shedRows = binary.filter((a) => a.status === 429);
    assert.ok(shedRows.length > 0, `statuses ${binary.map((a) => a.status)}`);
    assert.ok(Number(shedRows[0].headers['retry-after']) >= 1);
    assert.equal(JSON.parse(shedRows[0].text).reason, 'queue_full');
    assert.ok(binary.every((a) => a.status === 200 || a.status === 429));

    const metrics = (await app.http.get('/metrics').expect(200)).text;
    const labels = `deployment="${id}",name="cnn"`;
    assert.match(metrics, new RegExp(`autodl_serving_batch_size_bucket\\{le="8",${labels}\\}`));
    assert.match(
      metrics,
      new RegExp(`autodl_serving_request_duration_seconds_count\\{${labels}\\} \\d+`),
    );
    assert.match(
      metrics,
      /autodl_serving_batch_service_seconds_bucket\{le="[^"]+",deployment="[^"]+",name="cnn",batch_size="1"\}/,
    );
    assert.match(
      metrics,
      new RegExp(
        `autodl_serving_dropped_requests_total\\{${labels},reason="queue_full"\\} ${shed.length + shedRows.length}`,
      ),
    );
    assert.match(metrics, new RegExp(`autodl_serving_queue_length\\{${labels}\\} \\d+`));
  });

  test('a deployment is restored when the service starts again, and DELETE removes it', async () => {
    const reuse = { databaseUrl: app.databaseUrl, home: app.home, key: app.key };
    await app.stop();
    app = await startTestApp({
      workers: 0,
      coordinators: 0,
      reuse: { ...reuse, drop: async () => undefined },
    });
    // The restore runs at start; requests wait for it (a 503 only if it failed).
    let ok = false;
    for (let i = 0; i < 120 && !ok; i++) {
      const r = await app.post('/v1/serve/cnn/predict', { instance: pixels(1) });
      ok = r.status === 200;
      if (!ok) await new Promise((res) => setTimeout(res, 250));
    }
    assert.ok(ok, 'the restored deployment answers');
    const list = (await app.get('/v1/deployments').expect(200)).body.items;
    assert.deepEqual(
      list.map((d: { name: string; instances: number }) => [d.name, d.instances]),
      [['cnn', 1]],
    );
    await del(`/v1/deployments/${id}`).expect(204);
    await app.get(`/v1/deployments/${id}`).expect(404);
    await app.post('/v1/serve/cnn/predict', { instance: pixels(1) }).expect(404);
  });
});
