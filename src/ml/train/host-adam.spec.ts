import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { HostAdam } from './host-adam';

before(async () => {
  await selectBackend('cpu');
});

test('HostAdam = tf.train.adam (same formula, defaults, learning-rate change) to 1e-5 over 6 steps (float32 ops vs a float64 loop)', () => {
  const rng = new Rng(4);
  // [300, 300] is above HOST_ADAM_MAX_ELEMENTS: the large-variable path runs beside the host one.
  const shapes = [[3, 4], [5], [2, 2, 3], [300, 300]];
  const initial = shapes.map((s) =>
    Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => rng.normal(0, 1)),
  );
  const make = (tag: string) =>
    shapes.map((s, i) => tf.variable(tf.tensor(initial[i], s), true, `hostadam_${tag}_${i}`));
  const ours = make('ours');
  const theirs = make('theirs');
  const host = new HostAdam(0.05);
  const reference = tf.train.adam(0.05);
  for (let step = 0; step < 6; step++) {
    if (step === 3) {
      host.learningRate = 0.01;
      (reference as unknown as { learningRate: number }).learningRate = 0.01;
    }
    const grads = shapes.map((s) =>
      tf.tensor(
        Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => rng.normal(0, 2)),
        s,
      ),
    );
    host.applyGradients(Object.fromEntries(ours.map((v, i) => [v.name, grads[i]])));
    reference.applyGradients(
      Object.fromEntries(theirs.map((v, i) => [v.name, grads[i]])) as unknown as Parameters<
        tf.AdamOptimizer['applyGradients']
      >[0],
    );
    tf.dispose(grads);
  }
  ours.forEach((v, i) => {
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(v, theirs[i]))).dataSync()[0]);
    assert.ok(diff < 1e-5, `variable ${i}: ${diff}`);
  });
  const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(ours[0], tf.tensor(initial[0], [3, 4])))));
  assert.ok(moved.dataSync()[0] > 0.05, 'the steps moved the weights');
  tf.dispose([...ours, ...theirs, moved]);
  host.dispose();
  reference.dispose();
});
