import * as tf from '@tensorflow/tfjs';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, tensorCount } from '../../../test/support/tensors';
import { GroupedOptimizer } from './param-groups';
import { ConstantLr } from './schedules';

before(async () => {
  await tf.setBackend('cpu');
});

describe('parameter groups (torch.optim param_groups): each group at its own learning rate', () => {
  test('plain SGD: w <- w - lr_group * g for grouped variables, w - lr * g for the rest', () => {
    const a = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), true, 'pg_a'));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([3, 4]), true, 'pg_b'));
    const opt = new GroupedOptimizer({ name: 'sgd' }, 0.1, new ConstantLr(0.1), [
      { variables: ['pg_b'], schedule: { at: (step) => 0.5 * (step + 1) } },
    ]);
    const grads = { pg_a: tf.tensor1d([1, 1]), pg_b: tf.tensor1d([2, -2]) };
    opt.apply(grads, 0); // b's rate 0.5
    opt.apply(grads, 1); // b's rate 1.0
    const close = (actual: tf.Tensor, expected: number[]): void =>
      Array.from(actual.dataSync()).forEach((v, i) =>
        assert.ok(Math.abs(v - expected[i]) < 1e-6, `${v} vs ${expected[i]}`),
      );
    close(a, [1 - 0.2, 2 - 0.2]);
    close(b, [3 - 2 * 1.5, 4 + 2 * 1.5]);
    assert.equal(opt.learningRate, 0.1);
    opt.dispose();
    tf.dispose([a, b, ...Object.values(grads)]);
  });

  test('momentum: a group keeps its own velocity; no tensors leak', () => {
    const before = tensorCount();
    {
      const w = tf.tidy(() => tf.variable(tf.scalar(0), true, 'pg_m'));
      const opt = new GroupedOptimizer({ name: 'momentum', momentum: 0.9 }, 1, new ConstantLr(1), [
        { variables: ['pg_m'], schedule: new ConstantLr(0.1) },
      ]);
      const g = { pg_m: tf.scalar(1) };
      opt.apply(g, 0); // v = 1, w = -0.1
      opt.apply(g, 1); // v = 1.9, w = -0.29 (tf.train.momentum: v = m v + g; w -= lr v)
      assert.ok(Math.abs(w.dataSync()[0] + 0.29) < 1e-6);
      opt.dispose();
      tf.dispose([w, g.pg_m]);
    }
    assertNoLeaks(before);
  });
});
