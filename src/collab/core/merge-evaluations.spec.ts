import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Evaluation } from '../../ml/train/evaluate';
import { confusionProblem, fromConfusion, mergeEvaluations } from './merge-evaluations';

/** A per-site evaluation as ml/train/evaluate builds it from its confusion matrix. */
function site(confusion: number[][], loss: number): Evaluation {
  const count = confusion.flat().reduce((a, b) => a + b, 0);
  return {
    loss,
    accuracy: confusion.reduce((s, r, c) => s + r[c], 0) / count,
    precision: [],
    recall: [],
    confusion,
    count,
  };
}

describe('the global model evaluated over the union of the local sites test splits', () => {
  test('hand case: two sites, 2 classes', () => {
    // site a: 3 examples (2 right), mean loss 0.3; site b: 5 examples (3 right), mean loss 0.7.
    const a = site(
      [
        [2, 1],
        [0, 0],
      ],
      0.3,
    );
    const b = site(
      [
        [1, 0],
        [2, 2],
      ],
      0.7,
    );
    const m = mergeEvaluations([a, b]);
    assert.ok(m);
    assert.deepEqual(m.confusion, [
      [3, 1],
      [2, 2],
    ]);
    assert.equal(m.count, 8);
    assert.equal(m.accuracy, 5 / 8); // (2 + 3) of 8, not the mean of 2/3 and 3/5
    assert.ok(Math.abs(m.loss - (0.3 * 3 + 0.7 * 5) / 8) < 1e-12);
    assert.deepEqual(m.precision, [3 / 5, 2 / 3]); // column sums 5 and 3
    assert.deepEqual(m.recall, [3 / 4, 2 / 4]); // row sums 4 and 4
  });

  test('no site with a test split: no evaluation; a class never seen: NaN precision/recall', () => {
    assert.equal(mergeEvaluations([]), null);
    const m = mergeEvaluations([
      site(
        [
          [2, 0],
          [0, 0],
        ],
        0.1,
      ),
    ]);
    assert.ok(m && Number.isNaN(m.precision[1]) && Number.isNaN(m.recall[1]));
  });
});

describe('a site evaluation rebuilt from the confusion matrix it sends', () => {
  test('hand case: [[3, 1], [2, 4]] is 10 examples, accuracy 0.7, recall 3/4 and 4/6, precision 3/5 and 4/5', () => {
    const e = fromConfusion(
      [
        [3, 1],
        [2, 4],
      ],
      0.5,
    );
    assert.ok(e);
    assert.equal(e.count, 10);
    assert.equal(e.accuracy, 0.7);
    assert.equal(e.loss, 0.5);
    assert.deepEqual(e.recall, [3 / 4, 4 / 6]);
    assert.deepEqual(e.precision, [3 / 5, 4 / 5]);
    assert.equal(fromConfusion([[0]], 1), null);
  });
});

describe('a confusion matrix a remote site sends is checked before it is stored', () => {
  test('k x k, non-negative integers, adding up to count', () => {
    const m = [
      [3, 1],
      [2, 4],
    ];
    assert.equal(confusionProblem(m, 2, 10), null);
    assert.match(confusionProblem(m, 3, 10)!, /3 x 3/);
    assert.match(confusionProblem([[3, 1], [2]], 2, 6)!, /2 x 2/);
    assert.match(confusionProblem(m, 2, 11)!, /adds up to 10, not to count 11/);
    assert.match(
      confusionProblem(
        [
          [3, -1],
          [2, 6],
        ],
        2,
        10,
      )!,
      /non-negative integer/,
    );
    assert.match(
      confusionProblem(
        [
          [2.5, 1.5],
          [2, 4],
        ],
        2,
        10,
      )!,
      /non-negative integer/,
    );
  });
});
