import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EspClr } from './esp-clr';
import { FedAvg } from './fedavg';
import { checkProximalMu, proximalTerm } from './fedprox';

const f = (...v: number[]) => Float32Array.from(v);

describe('FedProx proximal term (Li et al., MLSys 2020, eq. 2)', () => {
  test('hand case: (mu/2)||w - w0||^2 and its gradient mu (w - w0)', () => {
    // d = (1, 1 | 2): ||d||^2 = 6, mu = 0.5 -> value 1.5, gradient (0.5, 0.5 | 1)
    const { value, gradient } = proximalTerm([f(1, 2), f(3)], [f(0, 1), f(1)], 0.5);
    assert.equal(value, 1.5);
    assert.deepEqual([...gradient[0], ...gradient[1]], [0.5, 0.5, 1]);
    assert.equal(proximalTerm([f(1, 2)], [f(0, 1)], 0).value, 0); // mu = 0: plain local loss
  });

  test('gradient descent on F + prox reaches the closed-form minimiser (a c + mu w0) / (a + mu)', () => {
    // F(w) = (a/2)(w - c)^2, a site's optimum c far from the global w0: the term pulls the local
    // solution towards w0, by exactly the paper's trade-off.
    const a = 2;
    const c = 5;
    const w0 = [f(1)];
    const mu = 1;
    let w = f(1);
    for (let i = 0; i < 500; i++) {
      const prox = proximalTerm([w], w0, mu).gradient[0][0];
      w = f(w[0] - 0.1 * (a * (w[0] - c) + prox));
    }
    const expected = (a * c + mu * w0[0][0]) / (a + mu); // 11 / 3
    assert.ok(Math.abs(w[0] - expected) < 1e-5, `${w[0]} vs ${expected}`);
  });

  test('the plans carry mu only when set; mu is checked', () => {
    assert.equal(
      new EspClr({ period: 2, maxLr: 0.1, minLr: 0 }).localPlan(0).proximalMu,
      undefined,
    );
    const esp = new EspClr({ period: 2, maxLr: 0.1, minLr: 0, proximalMu: 0.01 });
    assert.equal(esp.localPlan(3).proximalMu, 0.01);
    const fedavg = new FedAvg({ localEpochs: 1, learningRate: 0.1, proximalMu: 0.1 });
    assert.equal(fedavg.localPlan(0).proximalMu, 0.1);
    assert.throws(() => checkProximalMu(-1), /proximalMu/);
    assert.throws(
      () => new EspClr({ period: 2, maxLr: 0.1, minLr: 0, proximalMu: NaN }),
      /proximalMu/,
    );
    assert.throws(() => proximalTerm([f(1)], [f(1, 2)], 1), /shape/);
  });
});
