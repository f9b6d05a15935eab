import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EspClr } from './esp-clr';
import { ServerMomentum } from './server-momentum';

const f = (...v: number[]) => Float32Array.from(v);
const close = (a: ArrayLike<number>, b: number[]) =>
  b.forEach((x, i) => assert.ok(Math.abs(a[i] - x) < 1e-6, `${a[i]} vs ${x} at ${i}`));

describe('server momentum (FedAvgM, Hsu, Qi & Brown 2019, Algorithm 1)', () => {
  test('hand case: v <- beta v + (w - avg), w <- w - v over three rounds, beta = 0.5', () => {
    const m = new ServerMomentum(0.5);
    // round 1: w = (0, 0), avg = (1, 2): v = (-1, -2), w = (1, 2) -- the plain average.
    const w1 = m.step([f(0, 0)], [f(1, 2)]);
    close(w1[0], [1, 2]);
    // round 2: avg = (2, 2): delta = (-1, 0), v = 0.5 (-1, -2) + (-1, 0) = (-1.5, -1), w = (2.5, 3)
    const w2 = m.step(w1, [f(2, 2)]);
    close(w2[0], [2.5, 3]);
    // round 3: avg = w (no change proposed): v = 0.5 (-1.5, -1) = (-0.75, -0.5), w = (3.25, 3.5)
    close(m.step(w2, [f(2.5, 3)])[0], [3.25, 3.5]);
  });

  test('beta = 0 is plain averaging; esp-clr uses it only when asked; beta is checked', () => {
    const shares = [
      { site: 'a', samples: 1, weights: [f(1, 0)] },
      { site: 'b', samples: 3, weights: [f(5, 4)] },
    ];
    const plain = new EspClr({ period: 2, maxLr: 0.1, minLr: 0 });
    const avg = plain.aggregate(shares, [f(0, 0)]);
    assert.equal(avg.kind, 'weights');
    close(avg.kind === 'weights' ? avg.weights[0] : [], [4, 3]); // (1 + 15) / 4, 12 / 4
    const withMomentum = new EspClr({ period: 2, maxLr: 0.1, minLr: 0, serverMomentum: 0.9 });
    const first = withMomentum.aggregate(shares, [f(0, 0)]);
    close(first.kind === 'weights' ? first.weights[0] : [], [4, 3]); // first round: the average
    const second = withMomentum.aggregate(shares, [f(4, 3)]);
    // delta = 0, v = 0.9 (-4, -3): the global keeps moving to (7.6, 5.7)
    close(second.kind === 'weights' ? second.weights[0] : [], [7.6, 5.7]);
    assert.throws(() => new ServerMomentum(1), /serverMomentum/);
    assert.throws(() => new ServerMomentum(-0.1), /serverMomentum/);
  });
});
