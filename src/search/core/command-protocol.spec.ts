import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LineSplitter,
  MetricCollector,
  parseMetricLine,
  substituteArgs,
  tail,
} from './command-protocol';
import type { MetricLine } from './command-protocol';

/** Metric records have no prototype (names are user data); compare them as plain objects. */
const plain = (line: MetricLine | null) => line && { ...line, metrics: { ...line.metrics } };

describe('trial command protocol (Katib StdOut collector format)', () => {
  test('name=value pairs, several per line, Katib-style separators and exponents', () => {
    assert.deepEqual(plain(parseMetricLine('loss=0.25 accuracy=9.1e-1')), {
      metrics: { loss: 0.25, accuracy: 0.91 },
    });
    assert.deepEqual(plain(parseMetricLine('epoch 3: val/loss = -1.5, lr=.01')), {
      metrics: { 'val/loss': -1.5, lr: 0.01 },
    });
    assert.equal(parseMetricLine('Training started (step=3 is not a metric line)'), null);
    assert.equal(parseMetricLine('url=http://x/?a=b'), null);
  });

  test('step=N makes the line an intermediate report; inf and nan are kept', () => {
    assert.deepEqual(plain(parseMetricLine('step=4 loss=0.5')), {
      step: 4,
      metrics: { loss: 0.5 },
    });
    const diverged = parseMetricLine('step=7 loss=nan grad=-inf');
    assert.equal(diverged?.step, 7);
    assert.ok(Number.isNaN(diverged?.metrics.loss));
    assert.equal(diverged?.metrics.grad, -Infinity);
    // A negative or fractional step is no step (the pair is dropped, not a metric).
    assert.deepEqual(plain(parseMetricLine('step=1.5 loss=1')), { metrics: { loss: 1 } });
  });

  test('the last value of each metric is its result (hand-traced output)', () => {
    const split = new LineSplitter();
    const c = new MetricCollector();
    const out = ['step=0 loss=', '3\nstep=1 loss=2\nacc=0.', '5\nloss=1.25'];
    const lines = [...out.flatMap((chunk) => split.push(chunk)), ...split.end()];
    assert.deepEqual(lines, ['step=0 loss=3', 'step=1 loss=2', 'acc=0.5', 'loss=1.25']);
    for (const l of lines) {
      const m = parseMetricLine(l);
      if (m) c.add(m);
    }
    assert.deepEqual({ ...c.last }, { loss: 1.25, acc: 0.5 });
  });

  test('metric names are plain keys: __proto__ is kept, an unprinted toString is undefined', () => {
    const line = parseMetricLine('__proto__=1 constructor=2 loss=3');
    assert.deepEqual(Object.keys(line?.metrics ?? {}), ['__proto__', 'constructor', 'loss']);
    const c = new MetricCollector();
    if (line) c.add(line);
    assert.equal(c.last['__proto__'], 1);
    assert.equal(c.last['toString'], undefined);
  });

  test('${name} substitution in argv; unknown names and $${...} stay literal', () => {
    assert.deepEqual(
      substituteArgs(['train', '--lr=${lr}', '${opt}', '${momentum}', '$${lr}'], {
        lr: 0.01,
        opt: 'adam',
      }),
      ['train', '--lr=0.01', 'adam', '${momentum}', '${lr}'],
    );
  });

  test('tail keeps the last bytes from a line start', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const t = tail(text, 30);
    assert.ok(t.length <= 30);
    assert.ok(t.startsWith('line '));
    assert.ok(t.endsWith('line 99'));
  });
});
