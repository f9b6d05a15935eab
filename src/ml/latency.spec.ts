import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withLeakCheck } from '../../test/support/tensors';
import { selectBackend } from './backend';
import { measureLatency } from './latency';
import { buildZooModel } from './zoo/zoo';

describe('measured latency', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  test('measured latency: positive median <= p90, no leaked tensors', async () => {
    const model = buildZooModel('small-cnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    const lat = await withLeakCheck(() =>
      measureLatency(model, { batchSize: 8, runs: 5, warmup: 1 }),
    );
    assert.ok(lat.medianMs > 0 && lat.medianMs <= lat.p90Ms);
    assert.throws(
      () => measureLatency(model, { runs: 0 }),
      /runs must be a positive integer, got 0/,
    );
    model.dispose();
  });
});
