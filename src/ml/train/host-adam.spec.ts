import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { HostAdam } from './host-adam';

before(async () => {
  await selectBackend('cpu');
});

/** Normal(0, std) draws for a tensor of `shape`, flat. */
const normals = (rng: Rng, shape: number[], std: number): number[] =>
  Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.normal(0, std));

test('HostAdam = tf.train.adam (same formula, defaults, learning-rate change) to 1e-5 over 6 steps (float32 ops vs a float64 loop)', () => {
  const rng = new Rng(4);
  // [300, 300] is above HOST_ADAM_MAX_ELEMENTS: the large-variable path runs beside the host one.
  const shapes = [[3, 4], [5], [2, 2, 3], [300, 300]];
  const initial = shapes.map((s) => normals(rng, s, 1));
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
    const grads = shapes.map((s) => tf.tensor(normals(rng, s, 2), s));
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

test("HostAdam's state moves by position to an optimizer of other variables: the next step is the same", () => {
  const shapes = [[2, 3], [4]];
  const rng = new Rng(9);
  const values = shapes.map((s) => normals(rng, s, 1));
  const grads = (n: number) =>
    Array.from({ length: n }, () => shapes.map((s) => tf.tensor(normals(rng, s, 1), s)));
  const vars = (tag: string) =>
    shapes.map((s, i) => tf.variable(tf.tensor(values[i], s), true, `state_${tag}_${i}`));
  const a = vars('a');
  const b = vars('b');
  const optA = new HostAdam(0.1);
  const optB = new HostAdam(0.1);
  const step = (opt: HostAdam, v: tf.Variable[], g: tf.Tensor[]) =>
    opt.applyGradients(Object.fromEntries(v.map((x, i) => [x.name, g[i]])));
  for (const g of grads(3)) step(optA, a, g);
  // B has taken one step of its own (its variables are known to it), then gets A's state and
  // A's weights; one more identical step must land both in the same place.
  const [own] = grads(1);
  step(optB, b, own);
  assert.equal(optB.importState(optA.exportState()), true);
  b.forEach((v, i) => v.assign(a[i]));
  const [next] = grads(1);
  step(optA, a, next);
  step(optB, b, next);
  a.forEach((v, i) => {
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(v, b[i]))).dataSync()[0]);
    assert.ok(diff < 1e-7, `variable ${i}: ${diff}`);
  });
  // A state of another shape does not fit: refused, nothing set.
  assert.equal(optB.importState({ t: 1, moments: [] }), false);
  optA.dispose();
  optB.dispose();
  tf.dispose([...a, ...b, ...own, ...next]);
});
