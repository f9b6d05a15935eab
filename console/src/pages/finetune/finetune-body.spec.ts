import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldErrors, fieldOf, finetuneBody, initialForm } from './finetune-body';

test('finetune body: DTO fields, hyper-parameters, enabled augmentations in order with their options', () => {
  const f = initialForm();
  f.baseModel = 'base';
  f.dataset = 'shapes';
  f.method = 'l2sp';
  f.epochs = '3';
  f.learningRate = '0.01';
  f.augment = { noise: true, rotate: true };
  f.options['rotate.maxDegrees'] = '400';
  f.augmentCopies = '2';
  f.recordDynamics = true;
  const { body, augmentOrder } = finetuneBody(f);
  assert.deepEqual(body, {
    baseModel: 'base',
    dataset: 'shapes',
    method: 'l2sp',
    epochs: 3,
    hyperParameters: { learningRate: 0.01 },
    augment: [
      { name: 'rotate', maxDegrees: 400 },
      { name: 'noise', std: 0.05 },
    ],
    augmentCopies: 2,
    recordDynamics: true,
  });
  assert.deepEqual(augmentOrder, ['rotate', 'noise']);
  // Text that is not a number is sent as typed so the server's 400 names it.
  f.epochs = 'ten';
  assert.equal(finetuneBody(f).body.epochs, 'ten');
});

test('server problems land on the fields they name', () => {
  const order = ['rotate', 'noise'];
  assert.equal(fieldOf('epochs', order), 'epochs');
  assert.equal(fieldOf('spec.config.epochs', order), 'epochs');
  assert.equal(fieldOf('hyperParameters.learningRate', order), 'learningRate');
  assert.equal(fieldOf('rotate.maxDegrees', order), 'rotate.maxDegrees');
  assert.equal(fieldOf('spec.augment[1].std', order), 'noise.std');
  assert.equal(fieldOf('spec.augment[0]', order), 'augment.rotate');
  assert.equal(fieldOf(undefined, order), '');
  assert.deepEqual(
    fieldErrors(
      [{ field: 'epochs', message: 'epochs must not be greater than 10000' }, { message: 'bad' }],
      order,
    ),
    { epochs: ['epochs must not be greater than 10000'], '': ['bad'] },
  );
});
