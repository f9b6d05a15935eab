import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withLeakCheck } from '../../ml/testing';
import { Rng } from '../../platform/core/rng';
import { FrozenTrial } from '../../search/core/trial';
import { CandidateCheckpoint, CandidateTrial, NasData, evaluateCandidate } from './candidate';
import { randomEncoding } from './spaces/architecture-space';
import { CellCnnSpace } from './spaces/cell-cnn';
import { WeightSnapshot } from './weight-inheritance';

/** Two classes of 8x8 images: a bright top or bottom half plus noise. */
function halves(n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const rng = new Rng(seed);
  const px = new Float32Array(n * 64);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < 64; p++) px[i * 64 + p] = p < 32 === (i % 2 === 0) ? 1 : rng.normal(0, 0.3);
  return {
    x: tf.tensor4d(px, [n, 8, 8, 1]),
    y: tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 2),
      'int32',
    ),
  };
}

const space = new CellCnnSpace({ baseWidth: 4, minBlocks: 1, maxBlocks: 2 });
const params = space.encode(randomEncoding(space, new Rng(7)));
const EPOCHS = 3;
let data: NasData;

/** A trial kept in memory that records the steps it was reported. */
function memoryTrial(steps: number[]): CandidateTrial {
  return {
    number: 0,
    params,
    systemAttrs: {},
    setUserAttr: () => undefined,
    report: async (_values, step) => {
      steps.push(step);
      return false;
    },
    tell: async (): Promise<FrozenTrial> => ({
      number: 0,
      state: 'complete',
      params,
      distributions: {},
      intermediate: [],
      userAttrs: {},
      systemAttrs: {},
      startedAt: 0,
    }),
  };
}

/** Evaluates the candidate; returns the reported steps, checkpoints and final weights. */
async function run(resume?: CandidateCheckpoint) {
  const steps: number[] = [];
  const checkpoints: CandidateCheckpoint[] = [];
  let final: WeightSnapshot | undefined;
  const { record } = await evaluateCandidate(
    {
      space,
      data,
      objective: { kind: 'accuracy' },
      constraints: [],
      budget: { epochsPerTrial: EPOCHS, batchSize: 8 },
      seed: 1,
      // Only to see the trained weights: save() gets them right before the tell.
      weights: {
        load: async () => undefined,
        save: async (_n, w) => {
          final = w;
        },
      },
      resume,
      onCheckpoint: async (c) => {
        checkpoints.push(c);
      },
    },
    memoryTrial(steps),
  );
  return { record, steps, checkpoints, final };
}

describe('NAS candidate resume (nas-trial job re-queued after its worker died)', () => {
  before(() => {
    data = {
      train: halves(24, 1),
      validation: halves(12, 2),
      inputShape: [8, 8, 1],
      numClasses: 2,
    };
  });
  after(() => tf.dispose([data.train.x, data.train.y, data.validation.x, data.validation.y]));

  test('a checkpoint after every epoch; a resume reports only the remaining epochs', async () => {
    const full = await withLeakCheck(() => run());
    assert.deepEqual(full.steps, [0, 1, 2]);
    assert.deepEqual(
      full.checkpoints.map((c) => c.epochsDone),
      [1, 2, 3],
    );
    assert.deepEqual(full.checkpoints[2].valAccuracyPerEpoch, full.record.valAccuracyPerEpoch);

    const resumed = await withLeakCheck(() => run(full.checkpoints[0]));
    assert.deepEqual(resumed.steps, [1, 2], 'epoch 0 is not reported again');
    assert.equal(resumed.record.epochsTrained, EPOCHS);
    assert.equal(resumed.record.valAccuracyPerEpoch.length, EPOCHS);
    assert.equal(
      resumed.record.valAccuracyPerEpoch[0],
      full.record.valAccuracyPerEpoch[0],
      'the done epoch keeps its value',
    );
    assert.deepEqual(
      resumed.checkpoints.map((c) => c.epochsDone),
      [2, 3],
    );
  });

  test('resuming after the last epoch trains nothing and tells the stored model as trained', async () => {
    const full = await withLeakCheck(() => run());
    const resumed = await withLeakCheck(() => run(full.checkpoints[EPOCHS - 1]));
    assert.deepEqual(resumed.steps, []);
    assert.equal(resumed.record.accuracy, full.record.accuracy);
    assert.ok(full.final && resumed.final);
    // The rebuilt candidate holds exactly the checkpoint's weights (not its fresh initialisation).
    for (const [layer, ws] of full.final) {
      const got = resumed.final.get(layer);
      assert.ok(got, layer);
      ws.forEach((w, i) => assert.deepEqual(got[i].values, w.values, `${layer}[${i}]`));
    }
  });
});
