import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { makeAlgorithm, type AlgorithmSettings } from './algorithms';
import type { SiteShare } from './federated-algorithm';
import { normalizedAverage } from './fednova';
import { averageBySamples } from './model-averaging';

const f = (...v: number[]) => Float32Array.from(v);
const close = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tolerance ${tol})`);

describe('FedNova: x - tau_eff sum_i p_i (x - x_i) / tau_i (Wang et al., NeurIPS 2020, eq. 7)', () => {
  test('hand-computed: two sites of 1 and 3 examples, 2 and 6 steps', () => {
    // p = (1/4, 3/4), tau_eff = 2/4 + 18/4 = 5; changes x_i - x: a +4, b +12;
    // x' = 0 + 5 * (1/4 * 4/2 + 3/4 * 12/6) = 5 * (0.5 + 1.5) = 10
    const shares: SiteShare[] = [
      { site: 'a', samples: 1, localSteps: 2, weights: [f(4)] },
      { site: 'b', samples: 3, localSteps: 6, weights: [f(12)] },
    ];
    assert.deepEqual([...normalizedAverage(shares, [f(0)])[0]], [10]);
    // FedAvg would give 1/4 * 4 + 3/4 * 12 = 10 here too: steps proportional to samples and the
    // changes proportional to steps are the case where the two agree; now b's change is smaller.
    const slower = [shares[0], { ...shares[1], weights: [f(6)] }];
    // x' = 5 * (1/4 * 4/2 + 3/4 * 6/6) = 5 * 1.25 = 6.25; FedAvg 1 + 4.5 = 5.5
    close(normalizedAverage(slower, [f(0)])[0][0], 6.25, 1e-6);
  });

  test('with equal local steps it is FedAvg', () => {
    const shares: SiteShare[] = [
      { site: 'a', samples: 2, localSteps: 5, weights: [f(1, -2), f(3)] },
      { site: 'b', samples: 3, localSteps: 5, weights: [f(4, 0), f(-1)] },
      { site: 'c', samples: 5, localSteps: 5, weights: [f(-3, 7), f(2)] },
    ];
    const nova = normalizedAverage(shares, [f(0.5, 0.5), f(0)]);
    const avg = averageBySamples(shares);
    assert.equal(avg.kind, 'weights');
    if (avg.kind !== 'weights') return;
    nova.forEach((t, i) => t.forEach((v, j) => close(v, avg.weights[i][j], 1e-6)));
  });

  test('without localSteps a site counts steps by its samples', () => {
    const a = normalizedAverage([{ site: 'a', samples: 2, weights: [f(3)] }], [f(1)]);
    assert.deepEqual([...a[0]], [3]);
  });

  test("the paper's quadratic case (section 3): FedAvg settles at sum p_i tau_i e_i / sum p_i tau_i, FedNova at sum p_i e_i", () => {
    // F_i(x) = (x - e_i)^2 / 2; tau_i steps of gradient descent at rate eta from x give
    // x_i = e_i + (1 - eta)^tau_i (x - e_i). Sites of equal size with 1, 10 and 50 local steps.
    const e = [-1, 2, 5];
    const tau = [1, 10, 50];
    const eta = 0.001;
    const run = (aggregate: (shares: SiteShare[], x: number) => number) => {
      let x = 0;
      for (let round = 0; round < 20_000; round++) {
        const shares = e.map((ei, i) => ({
          site: `s${i}`,
          samples: 1,
          localSteps: tau[i],
          weights: [f(ei + Math.pow(1 - eta, tau[i]) * (x - ei))],
        }));
        x = aggregate(shares, x);
      }
      return x;
    };
    const fedAvg = run((shares) => {
      const a = averageBySamples(shares);
      return a.kind === 'weights' ? a.weights[0][0] : NaN;
    });
    const fedNova = run((shares, x) => normalizedAverage(shares, [f(x)])[0][0]);
    const trueOptimum = (e[0] + e[1] + e[2]) / 3; // 2
    const stepWeighted = (1 * -1 + 10 * 2 + 50 * 5) / 61; // 4.38: the surrogate FedAvg solves
    close(fedAvg, stepWeighted, 0.05);
    close(fedNova, trueOptimum, 0.05);
  });

  test('esp-clr with normalizedAveraging aggregates with it; bad shares are ValidationErrors', () => {
    const settings: AlgorithmSettings = {
      algorithm: 'esp-clr',
      localEpochs: 4,
      learningRate: 0.01,
      period: 2,
      minLr: 0.0002,
      mixupAlpha: 0.2,
      temperature: 2,
      distillationWeight: 0.5,
      numClasses: 2,
      normalizedAveraging: true,
    };
    const shares: SiteShare[] = [
      { site: 'a', samples: 1, localSteps: 2, weights: [f(4)] },
      { site: 'b', samples: 3, localSteps: 6, weights: [f(6)] },
    ];
    const agg = makeAlgorithm(settings).aggregate(shares, [f(0)]);
    assert.equal(agg.kind, 'weights');
    if (agg.kind === 'weights') close(agg.weights[0][0], 6.25, 1e-6);
    assert.throws(
      () => normalizedAverage([{ site: 'a', samples: 1, weights: [f(1, 2)] }], [f(0)]),
      ValidationError,
    );
    assert.throws(
      () => normalizedAverage([{ site: 'a', samples: 1, localSteps: 0, weights: [f(1)] }], [f(0)]),
      /local steps/,
    );
  });
});
