import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PENALTY_DEFAULTS, TRANSFER_DEFAULTS } from './core/finetune-config';
import { AUTO_METHOD } from './core/method';
import { FinetuneHandler } from './finetune.handler';
import { finetuneConfig, finetuneRequest, finetuneSpec, finetuneSpecOf } from './finetune.schema';
import { PretrainHandler } from './pretrain.handler';
import { pretrainSpec } from './pretrain.schema';
import { validationProblems as problems } from '../../test/support/validation-problems';

const id = '0b9f0a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

const fields = (fn: () => unknown): string[] => problems(fn).map((p) => p.field);
const roundTrip = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

describe('fine-tuning config (finetune.schema.ts)', () => {
  test('defaults are filled in, alpha/beta from the chosen penalty, the method made canonical', () => {
    const c = finetuneConfig.parse({ method: 'l2sp' });
    assert.equal(c.alpha, PENALTY_DEFAULTS.l2sp.alpha);
    assert.equal(c.beta, PENALTY_DEFAULTS.l2sp.beta);
    assert.equal(c.epochs, TRANSFER_DEFAULTS.epochs);
    assert.deepEqual(c.rifle, TRANSFER_DEFAULTS.rifle);
    assert.deepEqual(c.hookLayers, []);
    const auto = finetuneConfig.parse({});
    assert.equal(auto.method, AUTO_METHOD);
    assert.equal(auto.alpha, PENALTY_DEFAULTS.l2sp.alpha);
    assert.equal(finetuneConfig.parse({ method: 'delta+dtnh', alpha: 0 }).method, 'dtnh+delta');
    assert.equal(finetuneConfig.parse({ method: 'delta+dtnh', alpha: 0 }).alpha, 0);
    assert.equal(finetuneConfig.parse({ rifle: { periods: 5 } }).rifle.fraction, 3 / 4);
  });

  test('every bad field is reported at once, by its path', () => {
    const got = fields(() =>
      finetuneConfig.parse(
        {
          method: 'delta',
          alpha: -1,
          epochs: 2.5,
          rifle: { periods: 0, fraction: 1 },
          freeze: 'some',
          colour: 1,
        },
        'spec.config',
      ),
    );
    assert.deepEqual(got.sort(), [
      'spec.config.alpha',
      'spec.config.colour',
      'spec.config.epochs',
      'spec.config.freeze',
      'spec.config.rifle.fraction',
      'spec.config.rifle.periods',
    ]);
    assert.deepEqual(
      fields(() => finetuneConfig.parse({ method: 'magic' }, 'config')),
      ['config.method'],
    );
  });
});

describe('pretrain and finetune specs: one schema each, normalised at enqueue', () => {
  test('the stored spec is normalised and the worker re-parses it to itself', () => {
    const pre = new PretrainHandler({} as never, {} as never);
    const p = pre.validate({ dataset: id, architecture: 'mlp', hidden: [8] });
    assert.equal(p.epochs, 5);
    assert.equal(p.width, null);
    assert.deepEqual(pre.validate(roundTrip(p)), p);
    const fine = new FinetuneHandler({} as never, {} as never);
    const f = fine.validate({
      baseModel: id,
      dataset: id,
      config: { method: 'dtnh+delta', epochs: 2 },
      augment: [{ name: 'rotate', maxDegrees: 10 }],
    });
    assert.equal(f.augmentCopies, 2);
    assert.equal(f.config.learningRate, TRANSFER_DEFAULTS.learningRate);
    assert.equal(f.config.alpha, PENALTY_DEFAULTS.delta.alpha);
    assert.deepEqual(fine.validate(roundTrip(f)), f);
    assert.equal(fine.validate({ baseModel: id, dataset: id }).config.method, AUTO_METHOD);
  });

  test('bad specs name the field', () => {
    assert.deepEqual(
      fields(() => pretrainSpec.parse({ dataset: id, architecture: 'vgg' })),
      ['spec.architecture'],
    );
    assert.deepEqual(
      fields(() => pretrainSpec.parse({ dataset: '', architecture: 'mlp' })),
      ['spec.dataset'],
    );
    assert.deepEqual(
      fields(() => pretrainSpec.parse({ dataset: 'iris', architecture: 'mlp', hidden: [] })),
      ['spec.hidden'],
    );
    // A name is a reference too (resolved to the id at enqueue, src/datasets/core/references.ts).
    assert.equal(pretrainSpec.parse({ dataset: 'iris', architecture: 'mlp' }).dataset, 'iris');
    const spec = (extra: Record<string, unknown>) => () =>
      finetuneSpec.parse({ baseModel: id, dataset: id, ...extra });
    assert.deepEqual(fields(spec({ config: { method: 'magic' } })), ['spec.config.method']);
    assert.deepEqual(fields(spec({ config: { lr: 0.1 } })), ['spec.config.lr']);
    assert.deepEqual(fields(spec({ augment: [{ name: 'warp' }] })), ['spec.augment[0].name']);
    // An augmentation's own range check names it (the console places it beside that option).
    assert.deepEqual(fields(spec({ augment: [{ name: 'rotate', maxDegrees: 500 }] })), [
      'rotate.maxDegrees',
    ]);
    assert.deepEqual(fields(spec({ augmentCopies: 3 })), ['spec.augmentCopies']);
    assert.deepEqual(fields(spec({ name: 'no spaces' })), ['spec.name']);
  });

  test('the POST /v1/finetune body maps onto the spec: method and epochs go into config', () => {
    const body = finetuneRequest.parse(
      { baseModel: 'base', dataset: 'shapes', epochs: 3, hyperParameters: { batchSize: 4 } },
      '',
    );
    const s = finetuneSpec.parse(finetuneSpecOf(body));
    assert.equal(s.config.epochs, 3);
    assert.equal(s.config.batchSize, 4);
    assert.equal(s.config.method, AUTO_METHOD);
    assert.deepEqual(
      fields(() => finetuneRequest.parse({ baseModel: 'b', dataset: 'd', epochs: 0 }, '')),
      ['epochs'],
    );
    assert.deepEqual(
      fields(() =>
        finetuneRequest.parse(
          { baseModel: 'b', dataset: 'd', hyperParameters: { method: 'l2' } },
          '',
        ),
      ),
      ['hyperParameters.method'],
    );
    // The rules beyond JSON Schema name the body's fields too.
    const request = (extra: Record<string, unknown>) => () =>
      finetuneRequest.parse({ baseModel: 'b', dataset: 'd', ...extra }, '');
    assert.deepEqual(fields(request({ method: 'magic' })), ['method']);
    assert.deepEqual(fields(request({ augment: [{ name: 'warp' }] })), ['augment[0].name']);
    assert.deepEqual(fields(request({ augmentCopies: 2 })), ['augmentCopies']);
  });
});
