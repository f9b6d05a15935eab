import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { parseCsv, parseSklearnCsv, splitCsv } from './csv';
import { parseJsonl } from './jsonl';

function problemsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof UnprocessableError) return e.problems;
    throw e;
  }
  assert.fail('expected an UnprocessableError');
}

describe('CSV (RFC 4180)', () => {
  test('quoted fields with delimiters, doubled quotes and line breaks; CRLF; record start lines', () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\r\n"multi\nline",2\n\n3,4';
    const records = splitCsv(text, 'f.csv');
    assert.deepEqual(records, [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', '2'] },
      { line: 6, fields: ['3', '4'] },
    ]);
  });

  test('header auto-detected, label column by name, numeric class order', () => {
    const ds = parseCsv('x1,label,x2\n1.5,10,2\n-3,2,4e2\n0,10,0\n', 'f.csv', {
      labelColumn: 'label',
    });
    assert.ok(ds.inputs.kind === 'tabular');
    assert.deepEqual(ds.inputs.featureNames, ['x1', 'x2']);
    assert.deepEqual(ds.inputs.rows, [
      [1.5, 2],
      [-3, 400],
      [0, 0],
    ]);
    assert.deepEqual(ds.classNames, ['2', '10']);
    assert.deepEqual(ds.labels, [1, 0, 1]);
  });

  test('no header: last column is the label, string labels in lexicographic order', () => {
    const ds = parseCsv('1,2,dog\n3,4,cat\n', 'f.csv');
    assert.deepEqual(ds.classNames, ['cat', 'dog']);
    assert.deepEqual(ds.labels, [1, 0]);
    assert.ok(ds.inputs.kind === 'tabular');
    assert.deepEqual(ds.inputs.featureNames, ['column_0', 'column_1']);
  });

  test('a non-numeric cell names file:line and the column (number and header name)', () => {
    const problems = problemsOf(() => parseCsv('h1,h2,y\n1,2,a\n"3",oops,b\n5,,a\n', 'data.csv'));
    assert.deepEqual(problems, [
      { field: 'data.csv:3', message: 'column 2 ("h2"): "oops" is not a number' },
      { field: 'data.csv:4', message: 'column 2 ("h2"): "" is not a number' },
    ]);
  });

  test('a missing label column is a 422 listing the columns; ragged rows name their line', () => {
    assert.throws(
      () => parseCsv('a,b,c\n1,2,3\n', 'f.csv', { labelColumn: 'target' }),
      (e: unknown) =>
        e instanceof UnprocessableError &&
        e.problems[0].field === 'f.csv' &&
        /label column "target" is missing; columns are \["a","b","c"\]/.test(e.message),
    );
    assert.deepEqual(
      problemsOf(() => parseCsv('a,b,c\n1,2,3\n1,2\n', 'f.csv')),
      [{ field: 'f.csv:3', message: 'has 2 columns, expected 3' }],
    );
    assert.deepEqual(
      problemsOf(() => parseCsv('a,b\n"1,2\n', 'f.csv')),
      [{ field: 'f.csv:2', message: 'unterminated quoted field' }],
    );
  });

  test("scikit-learn layout: 'n_samples,n_features,names' header checked against the body", () => {
    const ds = parseSklearnCsv('3,2,setosa,versicolor\n1,2,0\n3,4,1\n5,6,1\n', 'iris.csv', [
      'f1',
      'f2',
    ]);
    assert.deepEqual(ds.classNames, ['setosa', 'versicolor']);
    assert.deepEqual(ds.labels, [0, 1, 1]);
    assert.throws(
      () => parseSklearnCsv('4,2,a,b\n1,2,0\n', 'iris.csv', ['f1', 'f2']),
      /header declares 4 samples, file has 1/,
    );
    assert.deepEqual(
      problemsOf(() => parseSklearnCsv('2,2,a,b\n1,2,0\n1,x,1\n', 'iris.csv', ['f1', 'f2'])),
      [{ field: 'iris.csv:3', message: 'column 2 ("f2"): "x" is not a number' }],
    );
  });
});

describe('JSONL {text, label}', () => {
  test('parses records, skips blank lines, orders classes', () => {
    const ds = parseJsonl(
      '{"text":"great film","label":"pos"}\n\n{"text":"dull","label":"neg"}\n',
      't.jsonl',
    );
    assert.ok(ds.inputs.kind === 'text');
    assert.deepEqual(ds.inputs.texts, ['great film', 'dull']);
    assert.deepEqual(ds.classNames, ['neg', 'pos']);
    assert.deepEqual(ds.labels, [1, 0]);
  });

  test('errors name file:line', () => {
    const problems = problemsOf(() =>
      parseJsonl(
        '{"text":"a","label":1}\n{"text":2,"label":1}\nnot json\n{"text":"b"}\n',
        't.jsonl',
      ),
    );
    assert.deepEqual(
      problems.map((p) => p.field),
      ['t.jsonl:2', 't.jsonl:3', 't.jsonl:4'],
    );
    assert.match(problems[2].message, /"label" must be/);
  });
});
