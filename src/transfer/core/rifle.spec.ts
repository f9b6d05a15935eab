import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSFER_DEFAULTS } from './finetune-config';
import { Rng } from '../../platform/core/rng';
import { assertNoLeaks, tensorCount } from '../../../test/support/tensors';
import { cyclicHeadLr, RifleHeadResetter, reinitializeLayer, rifleReinitPoints } from './rifle';

before(async () => {
  await tf.setBackend('cpu');
});

describe('RIFLE schedule (Li et al. ICML 2020: K re-inits over the first part, then plain fine-tuning)', () => {
  test('30 steps, K = 3, fraction 2/3: re-init after steps 7, 13 and 20 (round(k * 20 / 3))', () => {
    assert.deepEqual(rifleReinitPoints({ total: 30, periods: 3, fraction: 2 / 3 }), [7, 13, 20]);
    assert.deepEqual(rifleReinitPoints({ total: 10, periods: 0, fraction: 0.5 }), []);
  });

  test("the default schedule is the authors': K = 3 over 3/4 of training, re-init at 25/50/75%", () => {
    assert.deepEqual(
      rifleReinitPoints({ total: 400, ...TRANSFER_DEFAULTS.rifle }),
      [100, 200, 300],
    );
  });

  test('property: K strictly increasing points, the last closing the first floor(fraction * total) steps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (total, periods, fraction) => {
          const phase = Math.floor(fraction * total);
          fc.pre(periods <= phase);
          const points = rifleReinitPoints({ total, periods, fraction });
          assert.equal(points.length, periods);
          points.forEach((p, i) => assert.ok(p >= 1 && (i === 0 || p > points[i - 1])));
          if (periods > 0) assert.equal(points[periods - 1], phase);
          assert.ok(points.every((p) => p <= fraction * total));
        },
      ),
    );
  });

  test('arguments are checked and named', () => {
    assert.throws(
      () => rifleReinitPoints({ total: 10, periods: 2, fraction: 1 }),
      /fraction must be in \(0, 1\), got 1/,
    );
    assert.throws(
      () => rifleReinitPoints({ total: 10, periods: 6, fraction: 0.5 }),
      /periods \(6\) exceeds/,
    );
    assert.throws(
      () => rifleReinitPoints({ total: 0, periods: 1, fraction: 0.5 }),
      /total must be/,
    );
  });

  test('in a 30-step loop the head is re-initialised exactly after the scheduled steps, never in the final third', () => {
    const start = tensorCount();
    const head = tf.layers.dense({ units: 3 });
    head.apply(tf.input({ shape: [4] }));
    const resetter = new RifleHeadResetter(
      [head],
      { total: 30, periods: 3, fraction: 2 / 3 },
      new Rng(1),
    );
    const marker = (): void =>
      tf.tidy(() => head.setWeights([tf.fill([4, 3], 7), tf.fill([3], 7)]));
    const reinitAt: number[] = [];
    for (let step = 1; step <= 30; step++) {
      marker(); // stands for the optimizer step: the head holds 7s afterwards
      const said = resetter.afterStep(step);
      const [kernel, bias] = head.getWeights();
      const changed = !(kernel.dataSync() as Float32Array).every((v) => v === 7);
      assert.equal(said, changed, `step ${step}`);
      if (changed) {
        // Glorot-uniform kernel within sqrt(6 / (4 + 3)), zero bias.
        const limit = Math.sqrt(6 / 7);
        assert.ok((kernel.dataSync() as Float32Array).every((v) => Math.abs(v) <= limit));
        assert.ok((bias.dataSync() as Float32Array).every((v) => v === 0));
        reinitAt.push(step);
      }
    }
    assert.deepEqual(reinitAt, [7, 13, 20]);
    head.dispose();
    assertNoLeaks(start);
  });

  test('re-initialisation is deterministic in the seed (same Rng seed, same head)', () => {
    const start = tensorCount();
    const draw = (seed: number): number[] => {
      const layer = tf.layers.dense({ units: 2 });
      layer.apply(tf.input({ shape: [3] }));
      reinitializeLayer(layer, new Rng(seed));
      const values = Array.from(layer.getWeights()[0].dataSync());
      layer.dispose();
      return values;
    };
    assert.deepEqual(draw(5), draw(5));
    assert.notDeepEqual(draw(5), draw(6));
    assertNoLeaks(start);
  });
});

describe("RIFLE's cyclic head learning rate (lixingjian/RIFLE train.py, fc_lr_util=cyclic)", () => {
  // The authors' formula per period of u units: 0.5 * lr * (1 + cos(pi * (t mod u) / u)).
  const authors = (t: number, u: number, lr: number): number =>
    0.5 * lr * (1 + Math.cos((Math.PI * (t % u)) / u));

  test("equal periods: the same rates as the authors' code, restarting at each re-init", () => {
    // 40 units, K = 3 re-inits every 10 units, then a last period of 10: their 4 periods.
    const s = cyclicHeadLr([10, 20, 30], 40, 0.01);
    for (let t = 0; t < 40; t++)
      assert.ok(Math.abs(s.at(t) - authors(t, 10, 0.01)) < 1e-12, `t=${t}`);
    assert.equal(s.at(10), 0.01);
    assert.equal(s.at(30), 0.01);
  });

  test('unequal segments: each decays from lr to near 0 over its own length; no re-init = one cosine', () => {
    const s = cyclicHeadLr([7, 13, 20], 30, 0.1);
    assert.ok(Math.abs(s.at(7 + 3) - 0.5 * 0.1 * (1 + Math.cos(Math.PI / 2))) < 1e-12);
    assert.ok(Math.abs(s.at(25) - 0.5 * 0.1 * (1 + Math.cos((Math.PI * 5) / 10))) < 1e-12);
    const one = cyclicHeadLr([], 50, 0.1);
    for (const t of [0, 10, 25, 49]) assert.ok(Math.abs(one.at(t) - authors(t, 50, 0.1)) < 1e-12);
  });
});
