import * as tf from '@tensorflow/tfjs';
import { before, describe, test } from 'node:test';
import { assertNoLeaks, expectTensorsClose, tensorCount } from '../../test/support/tensors';
import { reestimateBatchNorm } from './batch-norm-statistics';

before(async () => {
  await tf.setBackend('cpu');
});

describe('batch-norm statistics re-estimated on the fine-tuning data (AdaBN, Li et al. 2016; torch update_bn)', () => {
  test('two chained batch norms: the first gets the data moments, the second the moments of the re-normalised first', () => {
    const start = tensorCount();
    const input = tf.input({ shape: [2] });
    const first = tf.layers.batchNormalization({ name: 'bn1', epsilon: 1e-3 });
    const second = tf.layers.batchNormalization({ name: 'bn2', epsilon: 1e-3 });
    const model = tf.model({
      inputs: input,
      outputs: second.apply(first.apply(input)) as tf.SymbolicTensor,
    });
    // gamma 2 and beta 1 on the first layer: kept; its output is 2 z + 1 with z standardised.
    tf.tidy(() =>
      first.setWeights([tf.fill([2], 2), tf.ones([2]), tf.fill([2], 5), tf.fill([2], 9)]),
    );
    const x = tf.tensor2d([
      [1, 2],
      [3, 6],
    ]);
    reestimateBatchNorm(model, x);
    const [gamma, beta, mean, variance] = first.getWeights();
    expectTensorsClose(gamma, [2, 2]);
    expectTensorsClose(beta, [1, 1]);
    // Column means (2, 4), biased variances (1, 4), as tf.moments and torch's batch statistics.
    expectTensorsClose(mean, [2, 4], 1e-6);
    expectTensorsClose(variance, [1, 4], 1e-6);
    // First layer's output at inference: 2 (x - m) / sqrt(v + eps) + 1 = 1 ± 2 / sqrt(1 + eps / v).
    const [, , mean2, variance2] = second.getWeights();
    expectTensorsClose(mean2, [1, 1], 1e-6);
    expectTensorsClose(variance2, [4 / (1 + 1e-3), 4 / (1 + 1e-3 / 4)], 1e-5);
    x.dispose();
    model.dispose();
    assertNoLeaks(start);
  });

  test('a large set is subsampled to evenly spaced rows: maxExamples 2 of 4 rows reads rows 0 and 2', () => {
    const start = tensorCount();
    const input = tf.input({ shape: [1] });
    const bn = tf.layers.batchNormalization({ name: 'bn' });
    const model = tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor });
    const x = tf.tensor2d([[0], [100], [4], [100]]);
    reestimateBatchNorm(model, x, 2);
    const [, , mean, variance] = bn.getWeights();
    expectTensorsClose(mean, [2], 1e-6);
    expectTensorsClose(variance, [4], 1e-6);
    x.dispose();
    model.dispose();
    assertNoLeaks(start);
  });
});
