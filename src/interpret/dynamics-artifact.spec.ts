import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnprocessableError } from '../platform/errors/domain-error';
import { parseDynamics } from './dynamics-artifact';
import { rankSuspects } from './core/training-dynamics';

const epoch = (epoch: number, margin: number) => ({
  epoch,
  loss: 1 - margin,
  assignedLogit: margin,
  largestOtherLogit: 0,
  correct: margin > 0,
});

describe('parseDynamics (dynamics.json of a finetune job)', () => {
  test('per-sample, wrapped and flat layouts read to the same samples', () => {
    const perSample = [
      { id: 7, epochs: [epoch(0, -1), epoch(1, 1)] },
      { id: 'x', epochs: [epoch(0, 2)] },
    ];
    const flat = [
      { sample: 7, ...epoch(0, -1) },
      { sample: 'x', ...epoch(0, 2) },
      { sample: 7, ...epoch(1, 1) },
    ];
    const expected = [
      { id: '7', epochs: [epoch(0, -1), epoch(1, 1)] },
      { id: 'x', epochs: [epoch(0, 2)] },
    ];
    const byEpoch = {
      sampleIds: [7, 'x'],
      epochs: [
        [epoch(0, -1), epoch(0, 2)],
        [epoch(1, 1), epoch(1, 2)],
      ],
    };
    const recorder = { dataset: 'd1', split: 'train', classNames: ['a', 'b'], samples: perSample };
    const read = parseDynamics(Buffer.from(JSON.stringify(recorder)));
    assert.deepEqual([read.dataset, read.split], ['d1', 'train']);
    for (const json of [perSample, { samples: perSample }, flat, { records: flat }, recorder]) {
      assert.deepEqual(parseDynamics(Buffer.from(JSON.stringify(json))).samples, expected);
    }
    assert.deepEqual(parseDynamics(Buffer.from(JSON.stringify(byEpoch))).samples, [
      expected[0],
      { id: 'x', epochs: [epoch(0, 2), epoch(1, 2)] },
    ]);
    assert.deepEqual(
      parseDynamics(Buffer.from(JSON.stringify(byEpoch.epochs))).samples.map((s) => s.id),
      ['0', '1'],
    );
  });

  test('recorded labels and predictions reach the suspects (given vs predicted in the gallery)', () => {
    const rec = (e: number, margin: number, predicted: number) => ({
      ...epoch(e, margin),
      label: 1,
      predicted,
    });
    const file = {
      classNames: ['cat', 'dog'],
      samples: [
        { id: 0, epochs: [rec(0, 1, 1), rec(1, 2, 1)] },
        { id: 1, epochs: [rec(1, -2, 0), rec(0, 1, 1)] },
      ],
    };
    const read = parseDynamics(Buffer.from(JSON.stringify(file)));
    assert.deepEqual(read.classNames, ['cat', 'dog']);
    const [top] = rankSuspects(read.samples, 'aum');
    // Sample 1 has the lower margin; its last epoch (epoch 1) predicted class 0.
    assert.deepEqual([top.id, top.label, top.predicted], ['1', 1, 0]);
    assert.equal(parseDynamics(Buffer.from(JSON.stringify(file.samples))).classNames, null);
  });

  test('malformed artifacts are 422s naming the record', () => {
    assert.throws(() => parseDynamics(Buffer.from('{')), /not valid JSON/);
    assert.throws(() => parseDynamics(Buffer.from('{"samples": []}')), /no per-sample records/);
    assert.throws(
      () =>
        parseDynamics(
          Buffer.from(JSON.stringify([{ id: 1, epochs: [{ epoch: 0, loss: 'high' }] }])),
        ),
      (e: unknown) =>
        e instanceof UnprocessableError && e.problems[0].field === 'samples[0].epochs[0]',
    );
  });
});
