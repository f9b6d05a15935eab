import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { makeAlgorithm, type AlgorithmSettings } from './algorithms';
import { FedAvg } from './fedavg';
import { DEFAULT_SCREENING, median, screenUpdates } from './robust-aggregation';
import { weightBytes, weightedAverage } from './weights';

const f = (...v: number[]) => Float32Array.from(v);
const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('FedAvg: w = sum_k n_k / n * w_k (McMahan et al. 2017, Algorithm 1)', () => {
  test('hand-computed weighted average of two sites of 1 and 3 examples', () => {
    // (1 * [1, 2] + 3 * [3, 6]) / 4 = [2.5, 5]; second tensor (1 * 0 + 3 * 4) / 4 = 3
    const agg = new FedAvg({ localEpochs: 1, learningRate: 0.1 }).aggregate([
      { site: 'a', samples: 1, weights: [f(1, 2), f(0)] },
      { site: 'b', samples: 3, weights: [f(3, 6), f(4)] },
    ]);
    assert.equal(agg.kind, 'weights');
    if (agg.kind !== 'weights') return;
    assert.deepEqual([...agg.weights[0]], [2.5, 5]);
    assert.deepEqual([...agg.weights[1]], [3]);
  });

  test('three sites 2, 3, 5 examples: 0.2 a + 0.3 b + 0.5 c', () => {
    const avg = weightedAverage([[f(10)], [f(20)], [f(-4)]], [2, 3, 5]);
    close(avg[0][0], 0.2 * 10 + 0.3 * 20 + 0.5 * -4); // 6
  });

  test('bad inputs are ValidationErrors naming the field', () => {
    assert.throws(() => weightedAverage([[f(1)], [f(1, 2)]], [1, 1]), ValidationError);
    assert.throws(() => weightedAverage([[f(1)]], [0]), /coefficients/);
    assert.throws(() => new FedAvg({ localEpochs: 0, learningRate: 0.1 }), /localEpochs/);
  });

  test('bytes on the wire: 4 per float32 parameter', () => {
    assert.equal(weightBytes([new Float32Array(10), new Float32Array(3)]), 52);
  });

  test('one local epoch per round: 12 epochs are 12 synchronisations', () => {
    const fedavg = new FedAvg({ localEpochs: 1, learningRate: 0.05 });
    assert.equal(fedavg.rounds(12), 12);
    assert.deepEqual(fedavg.localPlan(3).schedule, { kind: 'constant' });
  });
});

describe('robust aggregation: the screening rule of robust-aggregation.ts', () => {
  const global = [f(0, 0)];
  const rule = { ...DEFAULT_SCREENING, quorum: 3 };

  test('median of even and odd lists', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
  });

  test('a NaN update and an absurd one (norm > 10 x median) are left out; the rest average', () => {
    const s = screenUpdates(
      [
        { site: 'a', samples: 1, weights: [f(1, 0)] }, // norm 1
        { site: 'b', samples: 1, weights: [f(0, 1.2)] }, // 1.2
        { site: 'c', samples: 1, weights: [f(0.9, 0)] }, // 0.9
        { site: 'd', samples: 1, weights: [f(100, 0)] }, // 100 > 10 * median(1, 1.2, 0.9, 100) = 11
        { site: 'e', samples: 1, weights: [f(Number.NaN, 0)] },
        { site: 'f', samples: 1, weights: [f(1, 2, 3)] },
      ],
      { global },
      rule,
    );
    assert.deepEqual(
      s.accepted.map((a) => a.site),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      s.rejected.map((r) => [r.site, r.reason]),
      [
        ['e', 'non-finite'],
        ['f', 'shape'],
        ['d', 'norm'],
      ],
    );
    assert.equal(s.quorumMet, true);
    close(s.updateNorms.b, 1.2);
  });

  test('+-Infinity in any tensor is non-finite; a float32 overflow (3.5e38 -> Infinity) too', () => {
    const s = screenUpdates(
      [
        { site: 'a', samples: 1, weights: [f(1, 0)] },
        { site: 'b', samples: 1, weights: [f(0, Infinity)] },
        { site: 'c', samples: 1, weights: [f(-Infinity, 0)] },
        { site: 'd', samples: 1, weights: [f(3.5e38, 0)] }, // beyond float32's max, stored as Infinity
      ],
      { global },
      { ...rule, quorum: 1 },
    );
    assert.deepEqual(
      s.rejected.map((r) => [r.site, r.reason]),
      [
        ['b', 'non-finite'],
        ['c', 'non-finite'],
        ['d', 'non-finite'],
      ],
    );
    assert.deepEqual(
      s.accepted.map((a) => a.site),
      ['a'],
    );
  });

  test('a boosted (model-replacement) update is rejected, and a poisoned site cannot move the average', () => {
    // Bagdasaryan et al., "How To Backdoor Federated Learning" (AISTATS 2020): the attacker scales
    // its update by about n / eta so it survives averaging; here x50 the honest update's size.
    const honest = [f(1, 0), f(0.8, 0.4), f(1.1, -0.2)].map((w, i) => ({
      site: `h${i}`,
      samples: 10,
      weights: [w],
    }));
    const boosted = { site: 'x', samples: 10, weights: [f(-50, 0)] };
    const s = screenUpdates([...honest, boosted], { global }, rule);
    assert.deepEqual(s.rejected, [{ site: 'x', reason: 'norm', norm: 50 }]);
    const avg = weightedAverage(
      s.accepted.map((a) => a.weights as Float32Array[]),
      s.accepted.map((a) => a.samples),
    );
    // The mean of the three honest updates (hand-computed), as if x had never answered.
    close(avg[0][0], (1 + 0.8 + 1.1) / 3);
    close(avg[0][1], (0 + 0.4 - 0.2) / 3);
    // The rule's limit, stated: an update within 10x the median norm is averaged in.
    const mild = screenUpdates([...honest, { ...boosted, weights: [f(-5, 0)] }], { global }, rule);
    assert.deepEqual(mild.rejected, []);
  });

  test('two sites: the absolute cap (10 x max(||w_global||, 1)) still rejects a poisoned update', () => {
    const s = screenUpdates(
      [
        { site: 'a', samples: 5, weights: [f(0.5, 0)] },
        { site: 'b', samples: 5, weights: [f(1e6, 0)] },
      ],
      { global },
      { ...rule, quorum: 2 },
    );
    assert.deepEqual(
      s.accepted.map((a) => a.site),
      ['a'],
    );
    assert.equal(s.quorumMet, false);
  });

  test('an honest site rejoining after a missed round (update ~20x its converged peers’) is accepted', () => {
    // The pool e2e test's numbers: a model of norm ~12, converged sites' updates 0.13-0.23, the
    // rejoining site's 4.8. Old rule: 4.8 > 10 x median(0.13, 0.2, 0.23, 4.8) = 2.15 -> rejected.
    // The floor: the median rule never rejects below 1 x ||w_global|| = 12.
    const g = [f(12, 0)];
    const at = (d: number, site: string) => ({ site, samples: 36, weights: [f(12, d)] });
    const peers = [at(0.13, 'a'), at(0.2, 'b'), at(0.23, 'c')];
    const s = screenUpdates([...peers, at(4.8, 'rejoined')], { global: g }, rule);
    assert.deepEqual(s.rejected, []);
    close(s.updateNorms.rejoined, 4.8, 1e-5);
    const old = screenUpdates(
      [...peers, at(4.8, 'rejoined')],
      { global: g },
      { ...rule, minRelativeNorm: 0 },
    );
    assert.deepEqual(
      old.rejected.map((r) => r.site),
      ['rejoined'],
    );
    // Above the floor the median still judges: 13 > max(10 x 0.215, 12) is rejected, and x50
    // the rejoiner's honest update (240) is beyond the absolute cap 10 x 12 = 120 as well.
    const over = screenUpdates([...peers, at(13, 'x')], { global: g }, rule);
    assert.deepEqual(over.rejected, [{ site: 'x', reason: 'norm', norm: 13 }]);
    const boosted = screenUpdates([...peers, at(4.8 * 50, 'x')], { global: g }, rule);
    assert.deepEqual(
      boosted.rejected.map((r) => [r.site, r.reason]),
      [['x', 'norm']],
    );
    // a round of large honest updates keeps the median rule as before: 10 x median governs
    const big = [at(20, 'a'), at(25, 'b'), at(22, 'c'), at(110, 'd')];
    assert.deepEqual(screenUpdates(big, { global: g }, rule).rejected, []);
    const bigX = screenUpdates([...big.slice(0, 3), at(119, 'x')], { global: g }, rule);
    assert.deepEqual(bigX.rejected, []); // under both the median rule (220) and the cap (120)
    assert.equal(
      screenUpdates([...big.slice(0, 3), at(121, 'x')], { global: g }, rule).rejected[0]?.site,
      'x',
    );
  });

  test('predictions: wrong length and non-finite logits are rejected', () => {
    const s = screenUpdates(
      [
        { site: 'a', samples: 1, logits: f(1, 2) },
        { site: 'b', samples: 1, logits: f(1) },
        { site: 'c', samples: 1, logits: f(Infinity, 1) },
      ],
      { logitsLength: 2 },
      { ...rule, quorum: 1 },
    );
    assert.deepEqual(
      s.rejected.map((r) => r.reason),
      ['shape', 'non-finite'],
    );
  });
});

describe('algorithm registry', () => {
  test('every API name builds its algorithm', () => {
    const base: AlgorithmSettings = {
      algorithm: 'fedavg',
      localEpochs: 1,
      learningRate: 0.1,
      period: 4,
      minLr: 0.001,
      mixupAlpha: 0.4,
      temperature: 3,
      distillationWeight: 1,
      numClasses: 10,
    };
    for (const name of ['fedavg', 'esp-clr', 'mcl', 'codistill'] as const) {
      assert.equal(makeAlgorithm({ ...base, algorithm: name }).name, name);
    }
    assert.equal(makeAlgorithm({ ...base, algorithm: 'codistill' }).shares, 'predictions');
  });
});
