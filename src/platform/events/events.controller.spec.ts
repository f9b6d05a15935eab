import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import type { Principal } from '../auth/projects.service';
import type { JobsRepository } from '../jobs/jobs.repository';
import type { JobsService } from '../jobs/jobs.service';
import { EventsController, HEARTBEAT_MS } from './events.controller';
import type { JobEventsHub } from './job-events.hub';

/** The response as the controller uses it; `writes` records what reached the client. */
class FakeResponse extends EventEmitter {
  writes: string[] = [];
  writableEnded = false;
  destroyed = false;
  readonly req = { socket: { destroyed: false } };
  status(): this {
    return this;
  }
  setHeader(): void {}
  flushHeaders(): void {}
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
}

test('a client gone while the listener is being set up: its stream is torn down, no heartbeat is left behind', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  const res = new FakeResponse();
  let subscribers = 0;
  let listenerUp: () => void = () => undefined;
  const hub = {
    // LISTEN takes a while on a loaded machine; the browser leaves meanwhile.
    subscribe: async () => {
      subscribers++;
      await new Promise<void>((resolve) => (listenerUp = resolve));
      return () => void subscribers--;
    },
  } as unknown as JobEventsHub;
  const controller = new EventsController(hub, {} as JobsRepository, {} as JobsService);
  const principal = { projectId: 'p' } as Principal;
  const streaming = controller.stream(principal, {}, undefined, res as unknown as Response);
  await new Promise((r) => setImmediate(r));
  res.emit('close');
  listenerUp();
  await streaming;
  assert.equal(subscribers, 0, 'unsubscribed from the hub');
  mock.timers.tick(3 * HEARTBEAT_MS);
  assert.deepEqual(
    res.writes.filter((w) => w.includes('ping')),
    [],
    'no heartbeat for a closed stream',
  );
});

test('a client gone before the handler ran (its close already fired): no subscription, no stream', async () => {
  const res = new FakeResponse();
  res.destroyed = true;
  res.req.socket.destroyed = true;
  let subscribed = false;
  const hub = {
    subscribe: async () => {
      subscribed = true;
      return () => undefined;
    },
  } as unknown as JobEventsHub;
  const controller = new EventsController(hub, {} as JobsRepository, {} as JobsService);
  await controller.stream(
    { projectId: 'p' } as Principal,
    {},
    undefined,
    res as unknown as Response,
  );
  assert.equal(subscribed, false, 'the hub was not asked to listen for a gone client');
  assert.deepEqual(res.writes, []);
});
