import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  epochNow,
  installRequestTrace,
  parseTraceHeader,
  TRACE_HEADER,
  traceHeaderValue,
  traceOf,
} from './request-trace';

test('request trace: only with AUTODL_SERVING_TRACE=1 and only for requests that ask; the header round-trips', async () => {
  const seen: { traced: boolean; arrived?: number }[] = [];
  const server = createServer((req, res) => {
    const t = traceOf(req);
    seen.push({ traced: t !== undefined, arrived: t?.arrived });
    if (t) {
      t.handler = epochNow();
      t.computeMs = 0.25;
      t.sent = epochNow();
      res.setHeader(TRACE_HEADER, traceHeaderValue(t));
    }
    res.end('ok');
  });
  installRequestTrace(server, {}); // off: no listener
  installRequestTrace(server, { AUTODL_SERVING_TRACE: '1' });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const before = epochNow();
    const plain = await fetch(url);
    await plain.text();
    assert.equal(plain.headers.get(TRACE_HEADER), null);
    const traced = await fetch(url, { headers: { [TRACE_HEADER]: '1' } });
    await traced.text();
    const after = epochNow();
    assert.deepEqual(
      seen.map((s) => s.traced),
      [false, true],
    );
    const header = traced.headers.get(TRACE_HEADER);
    assert.ok(header);
    const t = parseTraceHeader(header);
    // The stamps are this host's wall clock, in order, within the request's span.
    assert.ok(t.arrived >= before - 1 && t.arrived <= t.handler && t.handler <= t.sent);
    assert.ok(t.sent <= after + 1);
    assert.equal(t.computeMs, 0.25);
    assert.ok(Number.isNaN(t.enqueued) && Number.isNaN(t.resolved)); // not stamped here
    assert.ok(t.gcCount >= 0 && t.eldCount >= 0);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
