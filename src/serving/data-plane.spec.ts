import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import express from 'express';
import { Histogram, Registry } from 'prom-client';
import request from 'supertest';
import type { Principal } from '../platform/auth/projects.service';
import { QueueFullError } from './core/serving-errors';
import { installDataPlane } from './data-plane';
import type {
  DeploymentsService,
  ServePrediction,
  ServeRowsPrediction,
} from './deployments.service';

/**
 * Which requests the data-plane route (on the node:http server, ahead of Express) answers and which it leaves to the Nest routes (the
 * e2e test in test/e2e/serving.e2e.test.ts holds the answers against the real app). The
 * control plane here is one handler after it that says it was reached, and what body it read:
 * a request passed on must reach it with its body unread.
 */
const principals: Record<string, Principal> = {
  member: { projectId: 'p1', projectName: 'default', keyId: 'k1', role: 'member' },
  admin: { projectId: 'p1', projectName: 'default', keyId: 'k2', role: 'admin' },
  viewer: { projectId: 'p1', projectName: 'default', keyId: 'k3', role: 'viewer' },
  site: { projectId: 'p1', projectName: 'default', keyId: 'k4', role: 'site' },
};

function appWith(opts: { shed?: boolean; databaseDown?: boolean } = {}) {
  const calls: { ref: string; role: string; kind: 'rows' | 'json' }[] = [];
  const answer = { deployment: 'd1', model: 'm1', queueMs: 1, serviceMs: 2, batchSize: 1 };
  const prediction = { label: 'a', classIndex: 0, probabilities: { a: 1 } };
  // Only the three methods sendPrediction calls; the rest of the service is not reached.
  const deployments = {
    predict: async (p: Principal, ref: string): Promise<ServePrediction> => {
      calls.push({ ref, role: p.role, kind: 'json' });
      if (opts.shed) throw new QueueFullError(8, 3);
      return { ...answer, prediction, output: [1] };
    },
    predictRows: async (p: Principal, ref: string): Promise<ServeRowsPrediction> => {
      calls.push({ ref, role: p.role, kind: 'rows' });
      if (opts.shed) throw new QueueFullError(8, 3);
      return { deployment: 'd1', model: 'm1', items: [{ ...answer, prediction, output: [1] }] };
    },
    servedPath: () => undefined,
  } as unknown as DeploymentsService;
  // The control plane: an Express app that says it was reached, and how much body it read.
  const controlPlane = express();
  controlPlane.use(express.raw({ type: () => true }), (req, res) => {
    res
      .status(299)
      .json({ passedOn: true, bodyBytes: Buffer.isBuffer(req.body) ? req.body.length : 0 });
  });
  const app = http.createServer(controlPlane);
  installDataPlane(app, controlPlane, {
    deployments,
    projects: {
      authenticate: async (key: string) => {
        if (opts.databaseDown) throw new Error('connection refused');
        return principals[key] ?? null;
      },
    },
    metrics: {
      httpDuration: new Histogram({
        name: 'd',
        help: 'd',
        labelNames: ['method', 'route', 'status'],
        registers: [new Registry()],
      }),
    },
    log: () => undefined,
    bodyLimit: '1kb',
  });
  return { app, calls };
}

const rows = Buffer.alloc(16);
const post = (app: http.Server, path: string, key?: string, type = 'application/octet-stream') => {
  const r = request(app).post(path).set('Content-Type', type);
  return key === undefined ? r : r.set('Authorization', `Bearer ${key}`);
};

describe('the data-plane predict route', () => {
  test('answers a member or admin key, binary rows or JSON, on either path', async () => {
    const { app, calls } = appWith();
    const a = await post(app, '/v1/serve/cnn/predict', 'member').send(rows).expect(200);
    assert.equal(a.body.items.length, 1);
    await post(app, '/v1/deployments/d%2D1/predict', 'admin', 'application/json')
      .send({ instance: [1] })
      .expect(200);
    await post(app, '/v1/serve/cnn/predict?deadlineMs=5', 'member', 'application/vnd.x+json')
      .send('{"instance": [1]}')
      .expect(200);
    assert.deepEqual(calls, [
      { ref: 'cnn', role: 'member', kind: 'rows' },
      { ref: 'd-1', role: 'admin', kind: 'json' },
      { ref: 'cnn', role: 'member', kind: 'json' },
    ]);
  });

  test('passes on, body unread, whatever the Nest routes must answer', async () => {
    const { app, calls } = appWith();
    const passedOn = async (r: request.Test) => {
      const res = await r.send(rows);
      assert.equal(res.status, 299, `${res.status} ${res.text}`);
      assert.equal(res.body.bodyBytes, rows.length);
    };
    await passedOn(post(app, '/v1/serve/cnn/predict'));
    await passedOn(post(app, '/v1/serve/cnn/predict', 'unknown'));
    await passedOn(post(app, '/v1/serve/cnn/predict', 'viewer'));
    await passedOn(post(app, '/v1/serve/cnn/predict', 'site'));
    await passedOn(post(app, '/v1/serve/cnn/predict', 'member', 'text/plain'));
    await passedOn(post(app, '/v1/serve/cnn/predict/', 'member'));
    await passedOn(post(app, '/v1/serve/a/b/predict', 'member'));
    await passedOn(post(app, '/v1/serve/%E0%A4%A/predict', 'member'));
    await passedOn(post(app, '/v1/models/m1/predict', 'member'));
    await passedOn(post(appWith({ databaseDown: true }).app, '/v1/serve/cnn/predict', 'member'));
    const get = await request(app)
      .get('/v1/serve/cnn/predict')
      .set('Authorization', 'Bearer member');
    assert.equal(get.status, 299);
    assert.deepEqual(calls, []);
  });

  test('a shed request is a 429 with Retry-After; a body over the limit a 413, as problem+json', async () => {
    const { app } = appWith({ shed: true });
    const shed = await post(app, '/v1/serve/cnn/predict', 'member').send(rows).expect(429);
    assert.equal(shed.headers['retry-after'], '3');
    assert.equal(shed.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(JSON.parse(shed.text).reason, 'queue_full');
    assert.match(shed.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    const big = await post(app, '/v1/serve/cnn/predict', 'member')
      .send(Buffer.alloc(2048))
      .expect(413);
    assert.equal(JSON.parse(big.text).status, 413);
  });
});
