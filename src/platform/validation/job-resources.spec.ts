/**
 * The `resources` block the training kinds accept (finetune request and spec, pretrain, prune),
 * checked through the kinds' own schemas: what is valid, and each problem named by its path.
 * Quantities follow k8s.io/apimachinery resource.Quantity ("500m", "8Gi", "2").
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pruneSpec } from '../../nas/prune.schema';
import { finetuneRequest } from '../../transfer/finetune.schema';
import { pretrainSpec } from '../../transfer/pretrain.schema';
import { ValidationError } from '../errors/domain-error';

const ID = '3f2c8a1e-5b7d-4c9e-8f10-1a2b3c4d5e6f';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err.problems.map((p) => `${p.field}: ${p.message}`);
  }
  assert.fail('expected a ValidationError');
}

describe('resources of the training job kinds', () => {
  test('valid requests pass through to the spec unchanged', () => {
    const resources = { gpu: 1, gpuType: 'NVIDIA-A100-SXM4-40GB', cpu: '500m', memory: '8Gi' };
    assert.deepEqual(
      finetuneRequest.parse({ baseModel: ID, dataset: ID, resources }).resources,
      resources,
    );
    assert.deepEqual(
      pretrainSpec.parse({ dataset: ID, architecture: 'small-cnn', resources: { cpu: '2' } })
        .resources,
      { cpu: '2' },
    );
    assert.deepEqual(pruneSpec.parse({ model: ID, resources: { memory: '1.5Gi' } }).resources, {
      memory: '1.5Gi',
    });
  });

  test('bad quantities, unknown keys and a GPU model without GPUs are named', () => {
    const found = problems(() =>
      finetuneRequest.parse({
        baseModel: ID,
        dataset: ID,
        resources: { memory: '8 GB', gpus: 1 },
      }),
    );
    assert.ok(
      found.some((p) => p.includes('resources.memory') && p.includes('e.g. "8Gi"')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.includes('gpus')),
      found.join('\n'),
    );
    const typed = problems(() =>
      pretrainSpec.parse({
        dataset: ID,
        architecture: 'small-cnn',
        resources: { gpuType: 'NVIDIA-A100-SXM4-40GB' },
      }),
    );
    assert.ok(
      typed.some((p) => p.includes('gpu')),
      typed.join('\n'),
    );
    const zero = problems(() =>
      pretrainSpec.parse({
        dataset: ID,
        architecture: 'small-cnn',
        resources: { gpu: 0, gpuType: 'NVIDIA-A100-SXM4-40GB' },
      }),
    );
    assert.ok(
      zero.some((p) => p.includes('resources.gpu')),
      zero.join('\n'),
    );
  });
});
