import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrateRequestPath,
  shiftedExponentialFloor,
  unionOf,
  type CalibrationTrace,
} from './request-path-calibration';

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

// The measure of a union of intervals on a line (Klee's measure problem in one dimension): sort
// by start, merge overlapping or touching ones, add the merged lengths.
test('request path calibration: the union of intervals by hand (disjoint, nested, overlapping, touching, empty)', () => {
  assert.deepEqual(unionOf([]), { length: 0, pieces: 0 });
  const u = unionOf([
    [5, 6],
    [0, 2],
    [1, 3], // overlaps [0, 2] -> [0, 3]
    [0.5, 1], // nested
    [3, 4], // touches -> [0, 4]
    [7, 7], // empty: ignored
    [5.5, 5.8], // nested in [5, 6]
  ]);
  close(u.length, 5, 'length');
  assert.equal(u.pieces, 2);
});

// Hand traces (ms). A and B arrive in one loop turn at 1.0: the loop runs A's middleware and
// handler to 1.6, then B's to 2.0 (B's middleware interval 1.0 -> 1.9 holds A's work); one batch
// of 2 ends at 4.6, both handlers resume in the turn that reads the reply (to 5.0), A's answer is
// written at 5.1 and B's at 5.2. C comes alone later, batch of 1.
const A: CalibrationTrace = {
  scheduled: 0,
  sent: 0.2,
  arrived: 1.0,
  handler: 1.5,
  enqueued: 1.6,
  queueMs: 2,
  serviceMs: 1,
  computeMs: 0.8,
  resolved: 5.0,
  written: 5.1,
  received: 5.5,
  recorded: 5.6,
  batchSize: 2,
};
const B: CalibrationTrace = {
  scheduled: 0.1,
  sent: 0.3,
  arrived: 1.0,
  handler: 1.9,
  enqueued: 2.0,
  queueMs: 1.6,
  serviceMs: 1,
  computeMs: 0.8,
  resolved: 5.0,
  written: 5.2,
  received: 5.7,
  recorded: 5.8,
  batchSize: 2,
};
const C: CalibrationTrace = {
  scheduled: 10,
  sent: 10.1,
  arrived: 10.5,
  handler: 10.8,
  enqueued: 10.9,
  queueMs: 0,
  serviceMs: 1,
  computeMs: 0.9,
  resolved: 12.1,
  written: 12.2,
  received: 12.6,
  recorded: 12.7,
  batchSize: 1,
};

test('request path calibration: one turn of two requests counts the loop once, not the wait as service', () => {
  const c = calibrateRequestPath([A, B]);
  assert.ok(c);
  // Loop on the path: [1.0, 2.0] and [4.6, 5.2] = 1.6 ms for 2 requests. The segments' sum would
  // be (0.6 + 0.5) + (1.0 + 0.6) = 2.7 ms: B's wait behind A counted as B's service.
  close(c.eventLoopMs, 0.8, 'eventLoopMs');
  // One batch of 2: the reply turn [4.6, 5.0].
  close(c.perBatchMs, 0.4, 'perBatchMs');
  close(c.batchSize, 2, 'batchSize');
  assert.equal(c.turns, 2);
  close(c.msPerTurn, 0.8, 'msPerTurn');
  // Outside the API: A 1.0 + 0.5, B 0.9 + 0.6.
  close(c.hopMs, 1.5, 'hopMs');
  close(c.hopMinMs, 1.5, 'hopMinMs'); // no spread: a constant hop
  assert.equal(c.requests, 2);
});

test('request path calibration: a lone request adds its own intervals, batches weigh per batch', () => {
  const c = calibrateRequestPath([C, B, A]);
  assert.ok(c);
  // 1.6 + C's [10.5, 10.9] and [11.9, 12.2] = 2.3 ms over 3 requests.
  close(c.eventLoopMs, 2.3 / 3, 'eventLoopMs');
  // Replies 0.4 + 0.2 over 2 batches (1/2 + 1/2 + 1).
  close(c.perBatchMs, 0.3, 'perBatchMs');
  close(c.batchSize, 1.5, 'batchSize');
  assert.equal(c.turns, 4);
  close(c.requestsPerTurn, 0.75, 'requestsPerTurn');
  close(c.hopMs, 4 / 3, 'hopMs');
});

test('request path calibration: a batch end after the handler resumed is clamped; no complete trace gives null', () => {
  // The runtime's figures put the end 0.3 ms after the resume (rounding of two clocks): the reply
  // interval is empty, the answer's [resolved, written] stays.
  const late = calibrateRequestPath([{ ...C, serviceMs: 1.5 }]);
  assert.ok(late);
  close(late.perBatchMs, 0, 'perBatchMs');
  close(late.eventLoopMs, 0.4 + 0.1, 'eventLoopMs');
  assert.equal(calibrateRequestPath([]), null);
  assert.equal(calibrateRequestPath([{ ...A, enqueued: Number.NaN }]), null);
});

// The shifted exponential m + Exp(mean - m) has median m + (mean - m) ln 2 (the exponential's
// quantile -scale ln(1 - q)): the fit inverts it.
test('request path calibration: the hop floor inverts the shifted exponential median; bounds', () => {
  close(shiftedExponentialFloor(5, 2 + 3 * Math.LN2), 2, 'floor 2, mean 5');
  close(shiftedExponentialFloor(4, 4 * Math.LN2), 0, 'plain exponential');
  close(shiftedExponentialFloor(4, 1), 0, 'skewed beyond an exponential: floor 0');
  close(shiftedExponentialFloor(4, 4), 4, 'median = mean: a constant');
  close(shiftedExponentialFloor(4, 5), 4, 'skewed left: a constant');
  close(shiftedExponentialFloor(0, 0), 0, 'no hop');
});

test('request path calibration: a right-skewed hop gets the floor of its mean and median', () => {
  // Five of C, 100 ms apart, each scheduled so that its hop (scheduled -> headers parsed, plus
  // C's 0.5 ms answer written -> recorded) is h: mean 4, median 3.
  const hops = [3, 3, 3, 4, 7];
  const traces = hops.map((h, i): CalibrationTrace => {
    const at = (x: number) => x + 100 * i;
    return {
      ...C,
      scheduled: at(C.arrived + 0.5 - h),
      sent: at(C.arrived + 0.5 - h),
      arrived: at(C.arrived),
      handler: at(C.handler),
      enqueued: at(C.enqueued),
      resolved: at(C.resolved),
      written: at(C.written),
      received: at(C.received),
      recorded: at(C.recorded),
    };
  });
  const c = calibrateRequestPath(traces);
  assert.ok(c);
  close(c.hopMs, 4, 'hopMs');
  close(c.hopMinMs, (3 - 4 * Math.LN2) / (1 - Math.LN2), 'hopMinMs');
  assert.equal(c.turns, 10);
});
