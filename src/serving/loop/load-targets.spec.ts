import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRowsTarget, httpTarget, type ClientTrace, type ServedFigures } from './load-targets';

/**
 * A stand-in for the predict endpoint: answers 200 with the runtime's figures in X-* headers (or
 * a JSON body for JSON requests), 429 for the path /busy, never for /hang; echoes a trace header
 * when asked. Counts the sockets it saw and the bodies' sizes.
 */
async function server(): Promise<{
  url: string;
  sockets: () => number;
  bodies: number[];
  close: () => Promise<void>;
}> {
  let sockets = 0;
  const bodies: number[] = [];
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).length);
      if (req.url === '/hang') return;
      if (req.url === '/busy') {
        res.writeHead(429, { 'retry-after': '1' }).end();
        return;
      }
      const headers: Record<string, string> = {};
      if (req.headers['x-autodl-trace'] !== undefined)
        headers['x-autodl-trace'] = '100.5,101,101.5,0.7,103,103.2,4,12.5,30,20';
      if (req.headers.accept === 'application/octet-stream') {
        res
          .writeHead(200, {
            ...headers,
            'content-type': 'application/octet-stream',
            'x-queue-ms': '1.5,1.5',
            'x-service-ms': '2.25,2.25',
            'x-batch-size': '3,3',
          })
          .end(Buffer.alloc(40));
      } else {
        res
          .writeHead(200, { ...headers, 'content-type': 'application/json' })
          .end(JSON.stringify({ items: [{ queueMs: 1, serviceMs: 2, batchSize: 4 }] }));
      }
    });
  });
  s.on('connection', () => sockets++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sockets: () => sockets,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

test('httpRowsTarget: binary rows out, the figures from the X-* headers, the trace joined, keep-alive sockets', async () => {
  const srv = await server();
  try {
    const figures: ServedFigures[] = [];
    const traces: ClientTrace[] = [];
    const target = httpRowsTarget(`${srv.url}/v1/serve/x/predict`, new Float32Array(784), {
      onServed: (_, f) => figures.push(f),
      onTrace: (_, t) => traces.push(t),
    });
    // Sequential requests reuse one socket (the agent keeps it alive).
    for (let i = 0; i < 3; i++) assert.equal(await target.send(i), 'ok');
    assert.equal(srv.sockets(), 1);
    assert.deepEqual(srv.bodies, [3136, 3136, 3136]);
    assert.deepEqual(figures[0], { queueMs: 1.5, serviceMs: 2.25, batchSize: 3 });
    // Every request traced (traceEvery 1): the client's stamps in order, the server's parsed.
    assert.equal(traces.length, 3);
    const t = traces[0];
    assert.ok(t.sent <= t.headers && t.headers <= t.received);
    // The socket is assigned and the bytes handed to the kernel between send() and the answer;
    // the first request opened the socket, the next ones reused it.
    assert.ok(t.socketAt !== undefined && t.flushed !== undefined);
    assert.ok(t.sent <= t.socketAt && t.socketAt <= t.flushed && t.flushed <= t.headers);
    assert.deepEqual(
      traces.map((x) => x.reusedSocket),
      [false, true, true],
    );
    assert.equal(t.server?.arrived, 100.5);
    assert.equal(t.server?.gcCount, 4);
    assert.equal(t.server?.gcMs, 12.5);
    // Concurrent requests each get a socket of their own (no queueing behind a slow one).
    const many = await Promise.all(Array.from({ length: 5 }, (_, i) => target.send(10 + i)));
    assert.deepEqual(many, ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.ok(srv.sockets() >= 5, `sockets ${srv.sockets()}`);
  } finally {
    await srv.close();
  }
});

test('httpTarget: JSON bodies and answers; a non-2xx is its status, no answer in time `timeout`, a refused connection `error`', async () => {
  const srv = await server();
  try {
    const figures: ServedFigures[] = [];
    const ok = httpTarget(
      `${srv.url}/p`,
      { inputs: [[1, 2]] },
      { onServed: (_, f) => figures.push(f) },
    );
    assert.equal(await ok.send(0), 'ok');
    assert.deepEqual(figures, [{ queueMs: 1, serviceMs: 2, batchSize: 4 }]);
    assert.equal(await httpTarget(`${srv.url}/busy`, {}).send(0), '429');
    assert.equal(await httpTarget(`${srv.url}/hang`, {}, { timeoutMs: 100 }).send(0), 'timeout');
  } finally {
    await srv.close();
  }
  assert.equal(await httpTarget(`${srv.url}/p`, {}).send(0), 'error');
});
