import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../platform/errors/domain-error';
import {
  type BatcherClock,
  type BatcherConfig,
  type DropReason,
  DynamicBatcher,
  type QueuedRequest,
} from './batcher';
import { quantileSorted, ServingStats } from './serving-stats';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements BatcherClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

interface Log {
  batches: { instance: number; ids: string[]; at: number; waiting: number }[];
  drops: { id: string; reason: DropReason; at: number }[];
  retired: number[];
}

function setup(config: BatcherConfig, instances = 1) {
  const clock = new FakeClock();
  const log: Log = { batches: [], drops: [], retired: [] };
  const b = new DynamicBatcher<string>(config, clock, {
    dispatch: (instance, batch: QueuedRequest<string>[], at, waiting) =>
      log.batches.push({ instance, ids: batch.map((r) => r.payload), at, waiting }),
    drop: (r, reason, at) => log.drops.push({ id: r.payload, reason, at }),
    retired: (i) => log.retired.push(i),
  });
  for (let i = 0; i < instances; i++) b.addInstance(i);
  return { clock, log, b };
}

const cfg = (
  maxSize: number,
  maxDelayMs: number,
  capacity = 100,
  timeoutMs = 1000,
  preferredSizes?: number[],
): BatcherConfig => ({
  batch: { maxSize, maxDelayMs, ...(preferredSizes ? { preferredSizes } : {}) },
  queue: { capacity, timeoutMs },
});

describe('DynamicBatcher (Triton dynamic-batcher rules, fake clock)', () => {
  test('a batch goes as soon as maxSize requests wait', () => {
    const { b, log } = setup(cfg(3, 10));
    b.submit('a');
    b.submit('b');
    assert.equal(log.batches.length, 0);
    b.submit('c');
    assert.deepEqual(log.batches, [{ instance: 0, ids: ['a', 'b', 'c'], at: 0, waiting: 3 }]);
  });

  test('otherwise when the oldest request has waited maxDelayMs', () => {
    const { b, log, clock } = setup(cfg(8, 10));
    b.submit('a');
    clock.advance(4);
    b.submit('b');
    clock.advance(5.9);
    assert.equal(log.batches.length, 0);
    clock.advance(0.1);
    // 'a' arrived at 0: the batch leaves at exactly 10 with both.
    assert.deepEqual(log.batches, [{ instance: 0, ids: ['a', 'b'], at: 10, waiting: 2 }]);
  });

  test('maxDelayMs 0 sends each request at once while an instance is idle', () => {
    const { b, log } = setup(cfg(8, 0), 2);
    b.submit('a');
    b.submit('b');
    b.submit('c');
    assert.deepEqual(
      log.batches.map((x) => [x.instance, x.ids]),
      [
        [0, ['a']],
        [1, ['b']],
      ],
    );
  });

  test('requests that queued while every instance was busy leave together on completion', () => {
    const { b, log, clock } = setup(cfg(4, 0));
    b.submit('a');
    for (const id of ['b', 'c', 'd', 'e', 'f']) b.submit(id);
    clock.advance(7);
    b.complete(0);
    assert.deepEqual(
      log.batches.map((x) => x.ids),
      [['a'], ['b', 'c', 'd', 'e']],
    );
    assert.equal(log.batches[1].waiting, 5);
    b.complete(0);
    assert.deepEqual(log.batches[2].ids, ['f']);
  });

  test('a preferred size is sent without waiting for the delay', () => {
    const { b, log, clock } = setup(cfg(8, 100, 100, 1000, [2, 4]));
    b.submit('a');
    assert.equal(log.batches.length, 0);
    b.submit('b');
    assert.deepEqual(log.batches[0].ids, ['a', 'b']);
    b.complete(0);
    for (const id of ['c', 'd', 'e']) b.submit(id);
    // 'c' alone waits; with 'd' a preferred 2 forms; 'e' waits for the delay.
    assert.deepEqual(log.batches[1].ids, ['c', 'd']);
    b.complete(0);
    clock.advance(99);
    assert.equal(log.batches.length, 2);
    clock.advance(1);
    assert.deepEqual(log.batches[2].ids, ['e']);
  });

  test('dispatch is fair: the longest-idle instance gets the next batch', () => {
    const { b, log } = setup(cfg(1, 0), 3);
    for (const id of ['a', 'b', 'c']) b.submit(id);
    b.complete(1);
    b.complete(0);
    b.complete(2);
    for (const id of ['d', 'e', 'f']) b.submit(id);
    assert.deepEqual(
      log.batches.map((x) => x.instance),
      [0, 1, 2, 1, 0, 2],
    );
  });

  test('a full queue sheds the newcomer, not the waiting', () => {
    const { b, log } = setup(cfg(1, 0, 2));
    b.submit('run');
    b.submit('w1');
    b.submit('w2');
    assert.equal(b.submit('x'), false);
    assert.deepEqual(log.drops, [{ id: 'x', reason: 'queue_full', at: 0 }]);
    assert.equal(b.queueLength, 2);
  });

  test('queue timeout and deadline drop a waiting request at its expiry, before inference', () => {
    const { b, log, clock } = setup(cfg(1, 0, 10, 50));
    b.submit('run');
    b.submit('slow');
    b.submit('hurry', 20);
    clock.advance(19.9);
    assert.equal(log.drops.length, 0);
    clock.advance(0.1);
    assert.deepEqual(log.drops, [{ id: 'hurry', reason: 'deadline', at: 20 }]);
    clock.advance(30);
    assert.deepEqual(log.drops[1], { id: 'slow', reason: 'timeout', at: 50 });
    b.complete(0);
    // Neither reached an instance.
    assert.deepEqual(
      log.batches.map((x) => x.ids),
      [['run']],
    );
  });

  test('an expired request is not put into a batch even if its timer has not run yet', () => {
    const { b, log, clock } = setup(cfg(2, 0, 10, 1000));
    b.submit('run');
    b.submit('late', 5);
    b.submit('ok');
    clock.t = 6; // time moved on without timers firing (event loop busy)
    b.complete(0);
    assert.deepEqual(log.drops, [{ id: 'late', reason: 'deadline', at: 6 }]);
    assert.deepEqual(log.batches[1].ids, ['ok']);
  });

  test('retiring a busy instance lets its batch finish; an idle one leaves at once', () => {
    const { b, log } = setup(cfg(1, 0), 2);
    b.submit('a');
    b.retireInstance(0);
    b.retireInstance(1);
    assert.deepEqual(log.retired, [1]);
    b.submit('b');
    assert.equal(b.queueLength, 1);
    b.complete(0);
    assert.deepEqual(log.retired, [1, 0]);
    b.addInstance(2);
    assert.deepEqual(log.batches.at(-1), { instance: 2, ids: ['b'], at: 0, waiting: 1 });
  });

  test('reconfigure keeps the queue and applies the new delay to waiting requests', () => {
    const { b, log, clock } = setup(cfg(8, 100));
    b.submit('a');
    clock.advance(10);
    b.reconfigure({ batch: { maxDelayMs: 20 } });
    clock.advance(9);
    assert.equal(log.batches.length, 0);
    clock.advance(1);
    assert.deepEqual(log.batches[0], { instance: 0, ids: ['a'], at: 20, waiting: 1 });
    assert.throws(() => b.reconfigure({ batch: { maxSize: 0 } }), ValidationError);
    assert.equal(b.currentConfig.batch.maxSize, 8);
  });

  test('stop drops the waiting requests and refuses new ones', () => {
    const { b, log } = setup(cfg(1, 0));
    b.submit('a');
    b.submit('b');
    b.stop();
    b.submit('c');
    assert.deepEqual(
      log.drops.map((d) => [d.id, d.reason]),
      [
        ['b', 'stopped'],
        ['c', 'stopped'],
      ],
    );
  });

  test('invalid settings name the field', () => {
    assert.throws(() => setup(cfg(0, 1)), /batch\.maxSize/);
    assert.throws(() => setup(cfg(4, -1)), /batch\.maxDelayMs/);
    assert.throws(() => setup(cfg(4, 1, 0)), /queue\.capacity/);
    assert.throws(() => setup(cfg(4, 1, 1, 0)), /queue\.timeoutMs/);
    assert.throws(() => setup(cfg(4, 1, 1, 1, [5])), /batch\.preferredSizes\[0\]/);
  });
});

describe('ServingStats', () => {
  test('nearest-rank quantiles (Hyndman & Fan type 1) on a hand case', () => {
    const s = new ServingStats();
    for (let v = 1; v <= 100; v++) s.request(0, v);
    s.batch(4, 10);
    s.batch(4, 30);
    s.drop('queue_full');
    const snap = s.snapshot({ queueLength: 0, instances: 1, busyInstances: 0 });
    assert.deepEqual(
      [snap.latencyMs.p50, snap.latencyMs.p95, snap.latencyMs.p99, snap.latencyMs.max],
      [50, 95, 99, 100],
    );
    assert.equal(snap.latencyMs.mean, 50.5);
    assert.deepEqual(snap.batchSizes, { 4: 2 });
    assert.deepEqual(snap.serviceMsByBatchSize[4], {
      batches: 2,
      meanMs: 20,
      p50Ms: 10,
      p99Ms: 30,
    });
    assert.deepEqual(snap.requests, { served: 100, dropped: 1 });
    assert.equal(quantileSorted([], 0.5), 0);
  });
});
