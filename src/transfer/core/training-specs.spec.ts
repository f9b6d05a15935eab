import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFinetuneSpec, validatePretrainSpec } from './training-specs';

const id = '0b9f0a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

test('specs are stored normalised and accept their own output (docs/platform.md contract)', () => {
  const pre = validatePretrainSpec({ dataset: id, architecture: 'mlp', hidden: [8] });
  assert.equal(pre.epochs, 5);
  assert.deepEqual(validatePretrainSpec(JSON.parse(JSON.stringify(pre))), pre);
  const fine = validateFinetuneSpec({
    baseModel: id,
    dataset: id,
    config: { method: 'dtnh+delta', epochs: 2 },
    augment: [{ name: 'rotate', maxDegrees: 10 }],
  });
  assert.equal(fine.augmentCopies, 2);
  assert.deepEqual(validateFinetuneSpec(JSON.parse(JSON.stringify(fine))), fine);
});

test('bad specs name the field', () => {
  const field = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return (e as { problems?: { field: string }[] }).problems?.[0].field;
    }
    return undefined;
  };
  assert.equal(
    field(() => validatePretrainSpec({ dataset: id, architecture: 'vgg' })),
    'spec.architecture',
  );
  assert.equal(
    field(() => validatePretrainSpec({ dataset: '', architecture: 'mlp' })),
    'spec.dataset',
  );
  // A name is a reference too (resolved to the id at enqueue, src/datasets/core/references.ts).
  assert.equal(validatePretrainSpec({ dataset: 'iris', architecture: 'mlp' }).dataset, 'iris');
  assert.equal(
    field(() => validateFinetuneSpec({ baseModel: id, dataset: id, config: { method: 'magic' } })),
    'spec.config.method',
  );
  assert.equal(
    field(() => validateFinetuneSpec({ baseModel: id, dataset: id, augment: [{ name: 'warp' }] })),
    'spec.augment[0].name',
  );
  assert.equal(
    field(() => validateFinetuneSpec({ baseModel: id, dataset: id, augmentCopies: 3 })),
    'spec.augmentCopies',
  );
});
