import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { AUTO_METHOD, METHOD_NAMES, parseMethod } from './method';

describe('method names (issue 4: l2, l2sp, delta, rifle, dtnh with l2sp or delta)', () => {
  test('every listed method parses to its documented plan; order of parts does not matter', () => {
    assert.deepEqual(
      METHOD_NAMES.map((m) => parseMethod(m).name),
      ['l2', 'l2sp', 'delta', 'rifle+l2', 'dtnh+l2sp', 'dtnh+delta'],
    );
    assert.deepEqual(parseMethod('delta+dtnh'), {
      name: 'dtnh+delta',
      penalty: 'delta',
      dtnh: true,
      rifle: false,
    });
    assert.deepEqual(parseMethod('rifle+l2sp'), {
      name: 'rifle+l2sp',
      penalty: 'l2sp',
      dtnh: false,
      rifle: true,
    });
    assert.equal(parseMethod('auto').name, AUTO_METHOD);
  });

  test('combinations the papers do not define are refused, naming the field', () => {
    for (const bad of ['dtnh', 'dtnh+l2', 'l2+l2sp', 'l2sp+l2sp', 'adam', '']) {
      assert.throws(
        () => parseMethod(bad),
        (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'method',
        bad,
      );
    }
  });
});
