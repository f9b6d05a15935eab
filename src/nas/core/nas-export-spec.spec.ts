import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../platform/errors/domain-error';
import { NAS_EXPORT_DEFAULTS, validateNasExportSpec } from './nas-export-spec';

const JOB = '123e4567-e89b-42d3-a456-426614174000';

describe('validateNasExportSpec', () => {
  test('fills the named defaults and accepts its own output (docs/platform.md: stored specs are re-validated)', () => {
    const spec = validateNasExportSpec({ nasJob: JOB });
    assert.deepEqual(spec, {
      nasJob: JOB,
      trial: 'best',
      epochs: NAS_EXPORT_DEFAULTS.epochs,
      batchSize: 32,
      learningRate: 1e-3,
      seed: 0,
    });
    assert.deepEqual(validateNasExportSpec(spec), spec);
    const named = validateNasExportSpec({ nasJob: JOB, trial: 3, epochs: 2, name: 'found-1' });
    assert.deepEqual(validateNasExportSpec(named), named);
  });

  test('reports every bad field at once', () => {
    assert.throws(
      () => validateNasExportSpec({ nasJob: 'x', trial: -1, epochs: 0, name: '-bad', extra: 1 }),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.deepEqual(e.problems.map((p) => p.field).sort(), [
          'epochs',
          'extra',
          'name',
          'nasJob',
          'trial',
        ]);
        return true;
      },
    );
  });
});
