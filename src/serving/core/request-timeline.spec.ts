import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentsOf, summariseTimeline, type TimelineStamps } from './request-timeline';

// A hand trace (ms from an arbitrary epoch): scheduled at 0, sent 0.3 late, the server reads the
// headers at 0.8, runs the handler at 1.1, submits at 1.2, waits 2 ms, the batch takes 1.5 ms of
// which the instance computes 1.0, the handler resumes at 5.0, writes at 5.1, the client reads
// the body at 5.6 and records at 5.9.
const hand: TimelineStamps = {
  scheduled: 1000,
  sent: 1000.3,
  arrived: 1000.8,
  handler: 1001.1,
  enqueued: 1001.2,
  queueMs: 2,
  serviceMs: 1.5,
  computeMs: 1,
  resolved: 1005,
  written: 1005.1,
  received: 1005.6,
  recorded: 1005.9,
};

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

test('request timeline: the hand trace splits into its segments, which add up to the latency', () => {
  const s = segmentsOf(hand);
  const expected = {
    genLag: 0.3,
    toServer: 0.5,
    middleware: 0.3,
    handler: 0.1,
    queue: 2,
    handoff: 0.5,
    compute: 1,
    reply: 0.3, // 1005 - (1001.2 + 2 + 1.5)
    answer: 0.1,
    toClient: 0.5,
    settle: 0.3,
  };
  for (const [k, v] of Object.entries(expected)) {
    assert.ok(close(s[k as keyof typeof s], v), `${k}: ${s[k as keyof typeof s]} != ${v}`);
  }
  const sum = Object.values(s).reduce((a, x) => a + x, 0);
  assert.ok(close(sum, hand.recorded - hand.scheduled), `sum ${sum}`);
});

test('request timeline: the summary has every segment, the server part and the total, means adding up', () => {
  const later = { ...hand, queueMs: 4, resolved: hand.resolved + 2, written: hand.written + 2 };
  const rows = summariseTimeline([
    hand,
    {
      ...later,
      received: later.received + 2,
      recorded: later.recorded + 2,
    },
  ]);
  const by = new Map(rows.map((r) => [r.id, r]));
  assert.ok(close(by.get('queue')?.mean ?? NaN, 3));
  assert.ok(close(by.get('queue')?.p50 ?? NaN, 3)); // type-7 median of 2 and 4
  assert.ok(close(by.get('server')?.mean ?? NaN, (4.3 + 6.3) / 2));
  const total = by.get('total')?.mean ?? NaN;
  assert.ok(close(total, (5.9 + 7.9) / 2));
  const parts = rows.filter((r) => r.id !== 'total' && r.id !== 'server');
  assert.ok(
    close(
      parts.reduce((a, r) => a + r.mean, 0),
      total,
    ),
  );
});
