import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { Client } from 'pg';
import { createTestDatabase } from '../../../test/support/database';
import { openDataSource } from './data-source';
import { isDatabaseUnavailable } from './connection-errors';

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

test('connection failures of the real driver are "unavailable"; query errors are not', async () => {
  const db = await createTestDatabase();
  const ds = await openDataSource(db.url, 2);
  try {
    // ECONNREFUSED from node-postgres.
    const port = await closedPort();
    const refused = await errorOf(async () => {
      const c = new Client({ host: '127.0.0.1', port, user: 'x', database: 'x' });
      await c.connect();
    });
    assert.equal(isDatabaseUnavailable(refused), true, String(refused));

    // A wrong query, a constraint violation: the request's fault or a bug, not an outage.
    assert.equal(isDatabaseUnavailable(await errorOf(() => ds.query(`SELEC 1`))), false);
    const violation = await errorOf(() =>
      ds.query(`INSERT INTO projects (id, name) VALUES ('not-a-uuid', 'x')`),
    );
    assert.equal(isDatabaseUnavailable(violation), false);
    // 57P01 admin_shutdown (the server terminated the session). A plain client: TypeORM may
    // release its query runner on the connection's error event before the next query runs,
    // which would test TypeORM's bookkeeping instead of the driver's error.
    const victim = new Client({ connectionString: db.url });
    victim.on('error', () => undefined); // the terminated socket also emits an error event
    await victim.connect();
    const {
      rows: [{ pid }],
    } = await victim.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
    await ds.query(`SELECT pg_terminate_backend($1)`, [pid]);
    const terminated = await errorOf(() => victim.query(`SELECT 1`));
    await victim.end().catch(() => undefined);
    assert.equal(isDatabaseUnavailable(terminated), true, String(terminated));

    assert.equal(isDatabaseUnavailable(new Error('boom')), false);
    assert.equal(isDatabaseUnavailable({ code: '57P03' }), true, 'cannot_connect_now');
    assert.equal(
      isDatabaseUnavailable(new Error('timeout exceeded when trying to connect')),
      true,
      'pool timeout',
    );
  } finally {
    await ds.destroy();
    await db.drop();
  }
});
