import * as tf from '@tensorflow/tfjs';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, expectTensorsClose, tensorCount } from '../../../test/support/tensors';
import { DeltaPenalty } from './delta.penalty';
import { attentionFromScores, scoreChannels } from './delta-attention';

before(async () => {
  await tf.setBackend('cpu');
});

describe("DELTA feature-map distance (Li et al. ICLR 2019, eq. 4-5; authors' train.py reg_att_fea_map)", () => {
  // One hooked layer, n = 2, h = 1, w = 2, c = 2; source maps all zero, attention [0.5, 1.5]
  // (c * softmax: sums to c = 2, as the authors' channel_weights times c).
  // sample 0: channel 0 values (1, 2), channel 1 (0, 1); sample 1: channel 0 (0, 1), channel 1 (0, 1).
  const target = [
    [
      [
        [1, 0],
        [2, 1],
      ],
    ],
    [
      [
        [0, 0],
        [1, 1],
      ],
    ],
  ];

  test('alpha * 0.5 * sum_batch sum_j a_j ||FM_j^t - FM_j^s||^2 / (h*w) + beta/2 ||w_head||^2, hand-computed = 3.5', () => {
    const start = tensorCount();
    const penalty = new DeltaPenalty({ alpha: 2, beta: 0.2, attention: [[0.5, 1.5]] });
    const value = tf.tidy(() =>
      penalty.apply({
        backbone: [],
        head: [tf.tensor2d([[1, 2]])],
        targetFeatures: [tf.tensor4d(target)],
        sourceFeatures: [tf.zeros([2, 1, 2, 2])],
      }),
    );
    // sample 0: 0.5 * (1+4) + 1.5 * (0+1) = 4; sample 1: 0.5 * 1 + 1.5 * 1 = 2.
    // batch sum 6, / (h*w = 2) = 3, * 0.5 = 1.5, * alpha 2 = 3; head: 0.1 * (1+4) = 0.5. Total 3.5.
    expectTensorsClose(value, 3.5);
    value.dispose();
    penalty.dispose();
    assertNoLeaks(start);
  });

  test('gradient w.r.t. the target map is alpha a_c (t - s) / (h*w), whatever n; a dense [n, c] layer counts h=w=1', () => {
    const start = tensorCount();
    const penalty = new DeltaPenalty({
      alpha: 2,
      beta: 0,
      attention: [
        [0.25, 0.75],
        [1, 3],
      ],
    });
    const t = tf.tensor4d(target);
    const s = tf.zeros([2, 1, 2, 2]);
    const dense = tf.tensor2d([[1, 2]]);
    const denseSource = tf.tensor2d([[0, 1]]);
    const grad = tf.grad((x: tf.Tensor) =>
      penalty.apply({
        backbone: [],
        head: [],
        targetFeatures: [x, dense],
        sourceFeatures: [s, denseSource],
      }),
    )(t);
    // d/dT[0,0,1,1] = 2 * 0.75 * 1 / 2 = 0.75; d/dT[0,0,1,0] = 2 * 0.25 * 2 / 2 = 0.5.
    const g = grad.arraySync() as number[][][][];
    expectTensorsClose(g[0][0][1][1], 0.75);
    expectTensorsClose(g[0][0][1][0], 0.5);
    expectTensorsClose(g[1][0][0][0], 0);
    // Dense layer alone: n = 1, diff (1, 1), 2 * 0.5 * (1 * 1 + 3 * 1) = 4; conv layer:
    // 2 * 0.5 * (0.25 * 6 + 0.75 * 2) / 2 = 1.5 (sum over the batch, not the mean).
    const total = tf.tidy(() =>
      penalty.apply({
        backbone: [],
        head: [],
        targetFeatures: [t, dense],
        sourceFeatures: [s, denseSource],
      }),
    );
    expectTensorsClose(total, 5.5);
    tf.dispose([t, s, dense, denseSource, grad, total]);
    penalty.dispose();
    assertNoLeaks(start);
  });

  test('rejects feature maps that do not match the attention', () => {
    const start = tensorCount();
    const penalty = new DeltaPenalty({ alpha: 1, beta: 0, attention: [[0.5, 0.5]] });
    assert.throws(
      () =>
        tf.tidy(() =>
          penalty.apply({
            backbone: [],
            head: [],
            targetFeatures: [tf.zeros([1, 3])],
            sourceFeatures: [tf.zeros([1, 3])],
          }),
        ),
      /layer 0 has 3 channels, its attention 2/,
    );
    penalty.dispose();
    assertNoLeaks(start);
    assert.throws(
      () => new DeltaPenalty({ alpha: 1, beta: -2, attention: [[1]] }),
      /beta .* got -2/,
    );
  });
});

describe("DELTA channel attention (Li et al. ICLR 2019 sec. 3.3; authors' channel_eval.py)", () => {
  test('z-score then c * softmax(z / T): closed form for scores [0, d, 0], 1 per channel for equal scores, each layer sums to c', () => {
    const [layer, flat] = attentionFromScores(
      [
        [0, 0.4, 0],
        [2, 2, 2],
      ],
      5,
    );
    // z = (-1/sqrt2, sqrt2, -1/sqrt2) whatever d > 0 is.
    const big = Math.exp(Math.SQRT2 / 5);
    const small = Math.exp(-1 / (5 * Math.SQRT2));
    expectTensorsClose(
      layer,
      [small, big, small].map((e) => (3 * e) / (big + 2 * small)),
      1e-12,
    );
    expectTensorsClose(flat, [1, 1, 1], 1e-12);
    // The authors' weights have mean 1: a layer of c channels sums to c.
    const wide = attentionFromScores(
      [
        [0.3, -1, 2, 0.5, 7],
        [1, 2],
      ],
      5,
    );
    expectTensorsClose(
      wide.map((a) => a.reduce((x, y) => x + y, 0)),
      [5, 2],
      1e-12,
    );
    assert.throws(() => attentionFromScores([[1]], 0), /temperature must be .* got 0/);
  });

  test('the one channel the head reads gets the largest weight; the model is restored, nothing leaks', async () => {
    const start = tensorCount();
    // hook: h = (x0, x0 - x1, x1); head: logits = (5 h1, -5 h1). Only channel 1 carries the label.
    const input = tf.input({ shape: [2] });
    const hook = tf.layers.dense({ units: 3, name: 'hook' });
    const head = tf.layers.dense({ units: 2, name: 'head' });
    const model = tf.model({
      inputs: input,
      outputs: head.apply(hook.apply(input)) as tf.SymbolicTensor,
    });
    const hookKernel = [
      [1, 1, 0],
      [0, -1, 1],
    ];
    tf.tidy(() => {
      hook.setWeights([tf.tensor2d(hookKernel), tf.zeros([3])]);
      head.setWeights([
        tf.tensor2d([
          [0, 0],
          [5, -5],
          [0, 0],
        ]),
        tf.zeros([2]),
      ]);
    });
    const xs = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const ys = tf.tensor1d([0, 1], 'int32');
    const loss = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(labels as tf.Tensor1D, 2), logits) as tf.Scalar;
    const before = tensorCount();
    const scores = await scoreChannels(model, ['hook'], [{ xs, ys }], loss);
    assertNoLeaks(before, 'scoreChannels');
    // Removing channel 1 turns the logits to (0, 0): loss ln 2 instead of ln(1 + e^-10).
    const base = Math.log(1 + Math.exp(-10));
    expectTensorsClose(scores[0], [0, Math.log(2) - base, 0], 1e-5);
    const [attention] = attentionFromScores(scores, 5);
    assert.equal(attention.indexOf(Math.max(...attention)), 1);
    expectTensorsClose(hook.getWeights()[0], hookKernel.flat());
    tf.dispose([xs, ys]);
    model.dispose();
    assertNoLeaks(start);
  });

  test('a batch-norm hook: removing channel j zeroes its gamma and beta (output 0), keeps the moving statistics', async () => {
    const start = tensorCount();
    // hook: batch norm over 3 channels, identity at inference (mean 0, variance 1 - eps, gamma 1,
    // beta 0); head: logits = (5 h1, -5 h1). Only channel 1 carries the label.
    const input = tf.input({ shape: [3] });
    const bn = tf.layers.batchNormalization({ name: 'bn', epsilon: 1e-3 });
    const head = tf.layers.dense({ units: 2, name: 'head' });
    const model = tf.model({
      inputs: input,
      outputs: head.apply(bn.apply(input)) as tf.SymbolicTensor,
    });
    tf.tidy(() => {
      bn.setWeights([
        tf.ones([3]),
        tf.tensor1d([0, 0.5, 0]),
        tf.zeros([3]),
        tf.fill([3], 1 - 1e-3),
      ]);
      head.setWeights([
        tf.tensor2d([
          [0, 0],
          [5, -5],
          [0, 0],
        ]),
        tf.tensor1d([0, 0]),
      ]);
    });
    const original = bn.getWeights().map((w) => w.clone());
    const xs = tf.tensor2d([
      [0, 0.5, 0],
      [0, -1.5, 0],
    ]);
    const ys = tf.tensor1d([0, 1], 'int32');
    const loss = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(labels as tf.Tensor1D, 2), logits) as tf.Scalar;
    const scores = await scoreChannels(model, ['bn'], [{ xs, ys }], loss);
    // h1 = x1 + 0.5 = (1, -1): logits (5, -5) and (-5, 5), loss ln(1 + e^-10); channel 1 removed
    // (gamma = beta = 0): logits 0, loss ln 2. A moving mean or variance zeroed instead would give
    // h1 = x1 / sqrt(eps) + 0.5 and a different loss.
    const base = Math.log(1 + Math.exp(-10));
    expectTensorsClose(scores[0], [0, Math.log(2) - base, 0], 1e-5);
    bn.getWeights().forEach((w, i) => expectTensorsClose(w, original[i], 0));
    tf.dispose([...original, xs, ys]);
    model.dispose();
    assertNoLeaks(start);
  });
});
