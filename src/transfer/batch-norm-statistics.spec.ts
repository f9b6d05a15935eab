import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enableThreadDataParallel } from '../ml/data-parallel/replica-pool';
import { configureDataParallel } from '../ml/train/parallel';
import {
  inferencePoolCount,
  releaseInferenceThreads,
  waitForInferenceReplicas,
} from '../ml/train/parallel-predict';
import { readParallelMeter } from '../ml/train/thread-meter';
import { Rng } from '../platform/core/rng';
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

  describe('sharded over inference replicas (moments per row, summed on the host)', () => {
    after(() => {
      releaseInferenceThreads();
      configureDataParallel(undefined);
    });

    /** conv -> BN -> ReLU -> conv -> BN -> dense: the second BN's input depends on the first's statistics. */
    function net(): tf.LayersModel {
      const init = (seed: number) => tf.initializers.glorotUniform({ seed });
      return tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [16, 16, 1],
            filters: 4,
            kernelSize: 3,
            kernelInitializer: init(1),
          }),
          tf.layers.batchNormalization({ name: 'bn_a' }),
          tf.layers.reLU(),
          tf.layers.conv2d({ filters: 3, kernelSize: 3, kernelInitializer: init(2) }),
          tf.layers.batchNormalization({ name: 'bn_b' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3) }),
        ],
      });
    }

    /** The reference: tf.moments over each layer's whole input map, layer after layer. */
    function referenceStatistics(model: tf.LayersModel, x: tf.Tensor): Float32Array[] {
      const out: Float32Array[] = [];
      for (const name of ['bn_a', 'bn_b']) {
        const layer = model.getLayer(name);
        const probe = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
        const [mean, variance] = tf.tidy(() => {
          const m = tf.moments(probe.predict(x) as tf.Tensor, [0, 1, 2]);
          return [m.mean, m.variance];
        });
        const w = layer.getWeights();
        layer.setWeights([w[0], w[1], mean, variance]);
        out.push(mean.dataSync() as Float32Array, variance.dataSync() as Float32Array);
        tf.dispose([mean, variance]);
      }
      return out;
    }

    function statistics(model: tf.LayersModel): Float32Array[] {
      return ['bn_a', 'bn_b'].flatMap((name) =>
        model
          .getLayer(name)
          .getWeights()
          .slice(2)
          .map((w) => w.dataSync() as Float32Array),
      );
    }

    test('bitwise the same statistics on 1 and 2 threads; tf.moments over the whole map to 1e-5 (float rounding of sum and sum of squares)', () => {
      const rng = new Rng(4);
      // 600 16x16 images: chunks of at least MIN_CHUNK_VALUES on each of 2 threads. Offset 3 and
      // scale 2: a mean well away from 0, where E[x^2] - E[x]^2 loses digits first.
      const x = tf.tensor4d(
        Array.from({ length: 600 * 256 }, () => 3 + 2 * rng.normal(0, 1)),
        [600, 16, 16, 1],
      );
      const reference = net();
      const expected = referenceStatistics(reference, x);
      const runs: Float32Array[][] = [];
      for (const threads of [1, 2]) {
        configureDataParallel(undefined);
        if (threads === 2) enableThreadDataParallel(2);
        const pools = inferencePoolCount();
        if (threads === 2) {
          // Replicas start without blocking: a first re-estimation starts them, then wait.
          const warm = net();
          reestimateBatchNorm(warm, x);
          warm.dispose();
          waitForInferenceReplicas();
        }
        const model = net();
        const rounds = readParallelMeter().rounds;
        reestimateBatchNorm(model, x);
        if (threads === 2) {
          assert.equal(inferencePoolCount(), pools + 1, 'one pool for both layers');
          assert.ok(readParallelMeter().rounds > rounds, 'split over the replica');
        }
        runs.push(statistics(model));
        model.dispose();
      }
      const [one, two] = runs;
      one.forEach((a, i) =>
        assert.ok(
          Buffer.from(a.buffer).equals(Buffer.from(two[i].buffer)),
          `statistic ${i} bitwise`,
        ),
      );
      one.forEach((a, i) =>
        a.forEach((v, c) => {
          const ref = expected[i][c];
          assert.ok(
            Math.abs(v - ref) <= 1e-5 * Math.max(1, Math.abs(ref)),
            `statistic ${i}[${c}]: ${v} vs ${ref}`,
          );
        }),
      );
      reference.dispose();
      x.dispose();
    });
  });
});
