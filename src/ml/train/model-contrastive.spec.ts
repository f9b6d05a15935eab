import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import { modelContrastiveLoss, modelContrastiveTerm } from './model-contrastive';

const close = (a: number, b: number, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

const termOf = (z: number[][], zg: number[][], zp: number[][], tau: number) =>
  tf.tidy(
    () => modelContrastiveTerm(tf.tensor2d(z), tf.tensor2d(zg), tf.tensor2d(zp), tau).dataSync()[0],
  );

/** MOON's eq. 3 as the paper writes it, for one row. */
const paper = (simGlobal: number, simPrevious: number, tau: number) =>
  -Math.log(Math.exp(simGlobal / tau) / (Math.exp(simGlobal / tau) + Math.exp(simPrevious / tau)));

describe('MOON model-contrastive term (Li, He & Song, CVPR 2021, eq. 3)', () => {
  test('hand case: z along z_glob and orthogonal to z_prev', () => {
    // sim(z, z_glob) = 1, sim(z, z_prev) = 0, tau 0.5: -log(e^2 / (e^2 + 1)).
    close(termOf([[2, 0]], [[1, 0]], [[0, 3]], 0.5), paper(1, 0, 0.5));
    close(termOf([[2, 0]], [[1, 0]], [[0, 3]], 0.5), Math.log(1 + Math.exp(-2)));
  });

  test('the mean over rows of the paper formula, cosines from unnormalised vectors', () => {
    const z = [
      [1, 2, 2],
      [0, 3, 4],
    ];
    const zg = [
      [2, 1, 2],
      [0, 0, 1],
    ];
    const zp = [
      [-1, 2, 2],
      [3, 4, 0],
    ];
    const cos = (a: number[], b: number[]) =>
      a.reduce((s, v, i) => s + v * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));
    const want =
      (paper(cos(z[0], zg[0]), cos(z[0], zp[0]), 0.3) +
        paper(cos(z[1], zg[1]), cos(z[1], zp[1]), 0.3)) /
      2;
    close(termOf(z, zg, zp, 0.3), want);
  });

  test('when the global and previous models agree the term is log 2 and has no gradient', () => {
    const zg = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
    const z = tf.variable(
      tf.tensor2d([
        [0.5, 0.1],
        [-0.2, 0.7],
      ]),
    );
    const { value, grads } = tf.variableGrads(() => modelContrastiveTerm(z, zg, zg, 0.5), [z]);
    close(value.dataSync()[0], Math.log(2));
    assert.ok(Math.max(...grads[z.name].abs().dataSync()) < 1e-7);
    tf.dispose([zg, z, value, grads[z.name]]);
  });
});

describe('modelContrastiveLoss', () => {
  const net = (seed: number) => {
    const input = tf.input({ shape: [3] });
    const hidden = tf.layers
      .dense({
        units: 4,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      })
      .apply(input) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2, activation: 'softmax', name: 'head' })
      .apply(hidden) as tf.SymbolicTensor;
    return { model: tf.model({ inputs: input, outputs: out }), input, hidden };
  };

  test('is the cross-entropy plus mu times the term on the three models’ head inputs', () => {
    const own = net(1);
    const global = net(2);
    const previous = net(3);
    const x = tf.tensor2d([
      [0.1, 0.9, -0.3],
      [0.7, -0.2, 0.4],
      [-0.5, 0.3, 0.8],
    ]);
    const y = tf.tensor1d([0, 1, 1], 'int32');
    const features = (n: ReturnType<typeof net>) =>
      tf.model({ inputs: n.input, outputs: n.hidden }).predict(x) as tf.Tensor2D;
    const got = tf.tidy(
      () =>
        modelContrastiveLoss(
          own.model,
          global.model,
          previous.model,
          2,
          0.5,
        )(own.model, x, y, {
          epoch: 0,
          step: 0,
          forward: (t) => t,
        }).dataSync()[0],
    );
    const want =
      crossEntropy(own.model.predict(x) as tf.Tensor, y).dataSync()[0] +
      2 *
        modelContrastiveTerm(
          features(own),
          features(global),
          features(previous),
          0.5,
        ).dataSync()[0];
    close(got, want);
    [own, global, previous].forEach((n) => n.model.dispose());
    tf.dispose([x, y]);
  });
});
