import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadClock, LoadOutcome, runOpenLoop, systemClock } from './open-loop';
import { poissonSchedule } from './poisson-schedule';

/**
 * Virtual time: `sleep` advances the clock through every timer due on the way, one at a time,
 * letting the promise reactions of each run (a macrotask) before moving on, so a response is
 * recorded at exactly the virtual time its timer fired.
 */
class VirtualClock implements LoadClock {
  private t = 0;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  at(time: number, fn: () => void): void {
    this.timers.push({ at: time, fn });
    this.timers.sort((a, b) => a.at - b.at);
  }
  async sleep(ms: number): Promise<void> {
    // Reactions to what happened at the current instant run before time moves on.
    await new Promise((r) => setImmediate(r));
    const end = this.t + ms;
    while (this.timers.length > 0 && this.timers[0].at <= end) {
      const next = this.timers.shift() as { at: number; fn: () => void };
      this.t = Math.max(this.t, next.at);
      next.fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}

test('a stalled server does not slow the send schedule: every request goes out at its scheduled time', async () => {
  const clock = new VirtualClock();
  const schedule = poissonSchedule(200, 5, 3);
  const sentAt: number[] = [];
  // The server answers nothing until 2 s after the run ends.
  const target = {
    send: (): Promise<LoadOutcome> => {
      sentAt.push(clock.now());
      return new Promise((resolve) => clock.at(7000, () => resolve('ok')));
    },
  };
  const r = await runOpenLoop(schedule, target, clock, { drainTimeoutMs: 10_000 });
  assert.equal(sentAt.length, schedule.length);
  sentAt.forEach((t, i) => assert.equal(t, schedule[i], `request ${i}`));
  assert.equal(r.sendLagMs.max, 0);
  assert.equal(r.ok, schedule.length);
  // Each latency runs from the scheduled time to the one answer at 7 s.
  r.latencies.forEach((l, i) => assert.equal(l, 7000 - schedule[i]));
});

test('coordinated omission: a 500 ms stall in a 2 s run shows in the percentiles as the closed form says', async () => {
  // Requests arriving in the stall [500, 1000) ms are answered at 1000 ms, others at once. A
  // quarter of the requests then wait U(0, 500] ms: P(L > x) = 0.25 (500 - x) / 500, so
  // p90 = 300 ms and p99 = 480 ms. A closed-loop client would have recorded one slow request.
  const clock = new VirtualClock();
  const schedule = poissonSchedule(2000, 2, 11);
  const target = {
    send: (): Promise<LoadOutcome> => {
      const t = clock.now();
      if (t >= 500 && t < 1000)
        return new Promise((resolve) => clock.at(1000, () => resolve('ok')));
      return Promise.resolve('ok');
    },
  };
  const r = await runOpenLoop(schedule, target, clock);
  assert.equal(r.ok, schedule.length);
  assert.ok(Math.abs(r.latencyMs.p90 - 300) < 20, `p90 ${r.latencyMs.p90}`);
  assert.ok(Math.abs(r.latencyMs.p99 - 480) < 8, `p99 ${r.latencyMs.p99}`);
  assert.ok(r.latencyMs.p50 === 0, `p50 ${r.latencyMs.p50}`);
});

test('drops are counted by outcome; unanswered requests become no-response after the drain timeout', async () => {
  const clock = new VirtualClock();
  const schedule = poissonSchedule(100, 1, 5);
  const target = {
    send: (i: number): Promise<LoadOutcome> => {
      if (i % 10 === 0) return Promise.resolve('429');
      if (i % 10 === 1) return Promise.reject(new Error('connection reset'));
      if (i % 10 === 2) return new Promise<LoadOutcome>(() => undefined);
      return new Promise((resolve) => clock.at(clock.now() + 5, () => resolve('ok')));
    },
  };
  const r = await runOpenLoop(schedule, target, clock, { drainTimeoutMs: 1000 });
  const n = schedule.length;
  const tenth = (k: number): number => Math.floor((n - 1 - k) / 10) + 1;
  assert.deepEqual(r.dropped, { '429': tenth(0), error: tenth(1), 'no-response': tenth(2) });
  assert.equal(r.ok, n - tenth(0) - tenth(1) - tenth(2));
  assert.equal(r.latencyMs.p50, 5);
  assert.equal(r.latencyMs.max, 5);
  assert.ok(Math.abs(r.dropRate - 0.3) < 0.05);
});

test('on the real clock a server that never answers within the run leaves the send lag small', async () => {
  const schedule = poissonSchedule(500, 1, 2);
  const pending: (() => void)[] = [];
  const target = {
    send: (): Promise<LoadOutcome> => new Promise((resolve) => pending.push(() => resolve('ok'))),
  };
  const run = runOpenLoop(schedule, target, systemClock, { drainTimeoutMs: 30_000 });
  // Answer everything only once the schedule is over.
  await new Promise((r) => setTimeout(r, 1100));
  pending.forEach((f) => f());
  const r = await run;
  assert.equal(r.sent, schedule.length);
  assert.equal(r.ok, schedule.length);
  // Generous for a loaded CI machine: timers are late by a few ms, never by the server's stall.
  assert.ok(r.sendLagMs.p99 < 100, `send lag p99 ${r.sendLagMs.p99} ms`);
  assert.ok(r.latencyMs.max >= 100, `max latency ${r.latencyMs.max}`);
});
