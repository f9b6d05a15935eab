import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { simplexEtf } from './simplex-etf';

/** Column k of a row-major dim x classes kernel. */
const column = (w: Float32Array, dim: number, classes: number, k: number) =>
  Array.from({ length: dim }, (_, i) => w[i * classes + k]);
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('simplexEtf (Papyan, Han & Donoho 2020, Definition 1; FedETF, ICCV 2023, eq. 1)', () => {
  for (const [dim, classes] of [
    [64, 10],
    [10, 10],
    [7, 3],
  ] as const) {
    test(`${dim} x ${classes}: unit columns, pairwise inner products -1/(K-1), columns summing to 0`, () => {
      const w = simplexEtf(dim, classes, 42);
      assert.equal(w.length, dim * classes);
      const cols = Array.from({ length: classes }, (_, k) => column(w, dim, classes, k));
      for (let j = 0; j < classes; j++) {
        assert.ok(Math.abs(dot(cols[j], cols[j]) - 1) < 1e-5, `column ${j} norm`);
        for (let k = j + 1; k < classes; k++)
          assert.ok(
            Math.abs(dot(cols[j], cols[k]) + 1 / (classes - 1)) < 1e-5,
            `columns ${j}, ${k}`,
          );
      }
      for (let i = 0; i < dim; i++) {
        const rowSum = cols.reduce((s, c) => s + c[i], 0);
        assert.ok(Math.abs(rowSum) < 1e-5, `row ${i} sums to ${rowSum}`);
      }
    });
  }

  test('two classes: a pair of antipodal unit vectors (hand case)', () => {
    const w = simplexEtf(5, 2, 1);
    const [a, b] = [column(w, 5, 2, 0), column(w, 5, 2, 1)];
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(a[i] + b[i]) < 1e-6);
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-6);
  });

  test('seeded: the same seed gives the same frame, another seed another rotation of it', () => {
    assert.deepEqual(simplexEtf(16, 4, 3), simplexEtf(16, 4, 3));
    assert.notDeepEqual(simplexEtf(16, 4, 3), simplexEtf(16, 4, 4));
  });

  test('refuses fewer dimensions than classes, and fewer than 2 classes', () => {
    assert.throws(() => simplexEtf(3, 4, 0), /needs >= 4 dimensions/);
    assert.throws(() => simplexEtf(3, 1, 0), /at least 2 classes/);
  });
});
