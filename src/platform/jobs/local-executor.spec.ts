import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { busyElsewhere } from './local-executor';

describe('local executor: the pool load it tells its workers', () => {
  test('busy compute workers other than the one told; coordinators and idle workers do not count', () => {
    const slots = [
      { lane: 'compute' as const, jobId: 'a' },
      { lane: 'compute' as const, jobId: null },
      { lane: 'compute' as const, jobId: 'b' },
      { lane: 'coordinator' as const, jobId: 'study' },
    ];
    // The idle worker 1 would share the machine with jobs a and b.
    assert.equal(busyElsewhere(slots, 1), 2);
    // Worker 0 runs a: only b is elsewhere.
    assert.equal(busyElsewhere(slots, 0), 1);
    // A lone job on the pool (the others idle): nothing elsewhere, `auto` takes every core.
    assert.equal(busyElsewhere([slots[0], slots[1]], 0), 0);
  });
});
