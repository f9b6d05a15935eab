import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { readCsvRows } from './csv-rows';

describe('readCsvRows: the CSV reader of `models predict --rows` and `explain --data`', () => {
  test('a header line is detected by a non-numeric cell; without one, columns are x<i>', () => {
    const withHeader = readCsvRows('a,b,c\n1,2,3\n4,5,6\n', 'f.csv', { width: 3 });
    assert.deepEqual(withHeader.featureNames, ['a', 'b', 'c']);
    assert.deepEqual(withHeader.rows, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const bare = readCsvRows('1,2,3\n4,5,6\n', 'f.csv', { width: 3 });
    assert.deepEqual(bare.featureNames, ['x0', 'x1', 'x2']);
    assert.equal(bare.rows.length, 2);
  });

  test('header: true / false overrides detection (numeric column names, a first row of data)', () => {
    const numericNames = readCsvRows('1,2\n0.5,0.25\n', 'f.csv', { width: 2, header: true });
    assert.deepEqual(numericNames.featureNames, ['1', '2']);
    assert.deepEqual(numericNames.rows, [[0.5, 0.25]]);
    assert.throws(
      () => readCsvRows('a,b\n1,2\n', 'f.csv', { width: 2, header: false }),
      (e: unknown) =>
        e instanceof UnprocessableError && /f\.csv:1.*column x0 is not a number/.test(e.message),
    );
  });

  test('one column more than the model takes is the label column; --label-column names it', () => {
    const csv = readCsvRows('f1,f2,species\n1,2,setosa\n3,4,virginica\n', 'f.csv', { width: 2 });
    assert.deepEqual(csv.rows, [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(csv.labels, ['setosa', 'virginica']);
    const first = readCsvRows('y,f1,f2\n0,1,2\n', 'f.csv', { width: 2, labelColumn: 'y' });
    assert.deepEqual(first.rows, [[1, 2]]);
    assert.throws(
      () => readCsvRows('a,b,c,d\n1,2,3,4\n', 'f.csv', { width: 2 }),
      /has 4 feature columns .* but the model takes 2 features/,
    );
  });
});
