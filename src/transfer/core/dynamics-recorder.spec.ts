import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dynamicsRecords } from './dynamics-recorder';

test('records from softmax outputs: loss = -ln p_y, logits as log-probabilities (hand-computed)', () => {
  const [r] = dynamicsRecords([[0.7, 0.2, 0.1]], [1], 3);
  assert.equal(r.epoch, 3);
  assert.ok(Math.abs(r.loss - 1.6094379) < 1e-5, `-ln 0.2 = 1.60944, got ${r.loss}`);
  assert.ok(Math.abs(r.assignedLogit - Math.log(0.2)) < 1e-5);
  assert.ok(Math.abs(r.largestOtherLogit - Math.log(0.7)) < 1e-5);
  assert.equal(r.correct, false);
  assert.deepEqual([r.label, r.predicted], [1, 0]);
});

test('the margin equals the logit margin (softmax log-ratio invariance, Pleiss et al. 2020 AUM)', () => {
  const z = [2, -1, 0.5];
  const e = z.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  const [r] = dynamicsRecords([e.map((v) => v / s)], [0], 0);
  // AUM margin with logits: z_y - max_{k != y} z_k = 2 - 0.5.
  assert.ok(Math.abs(r.assignedLogit - r.largestOtherLogit - 1.5) < 1e-5);
  assert.equal(r.correct, true);
});

test('the recorder stores one record per example per epoch from the model outputs; no tensor leak', async () => {
  const tf = await import('@tensorflow/tfjs');
  const { DynamicsRecorder } = await import('./dynamics-recorder');
  const { assertNoLeaks, tensorCount } = await import('../../../test/support/tensors');
  await tf.setBackend('cpu');
  // Softmax over logits z = x W with W = identity (2x2): for x = [ln 3, 0], p = [0.75, 0.25].
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 2,
        inputShape: [2],
        useBias: false,
        activation: 'softmax',
        kernelInitializer: 'identity',
      }),
    ],
  });
  const x = tf.tensor2d([
    [Math.log(3), 0],
    [0, 0],
  ]);
  const before = tensorCount();
  const recorder = new DynamicsRecorder(x, [1, 0], ['7', '9']);
  recorder.record(model, 0);
  recorder.record(model, 1);
  assertNoLeaks(before);
  assert.deepEqual(
    recorder.samples.map((s) => [s.id, s.epochs.length]),
    [
      ['7', 2],
      ['9', 2],
    ],
  );
  const r = recorder.samples[0].epochs[1];
  assert.equal(r.epoch, 1);
  assert.ok(Math.abs(r.loss + Math.log(0.25)) < 1e-4, `-ln 0.25, got ${r.loss}`);
  assert.equal(r.correct, false);
  // Example 2 has equal probabilities: the margin is 0 (ln 0.5 - ln 0.5).
  const tie = recorder.samples[1].epochs[0];
  assert.ok(Math.abs(tie.assignedLogit - tie.largestOtherLogit) < 1e-6);
  x.dispose();
  model.dispose();
});
