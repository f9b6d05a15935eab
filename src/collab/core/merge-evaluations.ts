/**
 * The global model's test evaluation over every local site's test split: each site evaluates the
 * model on its own split (data never leaves it), and the coordinator merges the per-site
 * evaluations. Counts add, so the merged confusion matrix is the sum of the sites' matrices, the
 * loss is the count-weighted mean of the sites' mean losses, and accuracy, precision and recall
 * are recomputed from the merged matrix -- exactly the evaluation of the union of the splits.
 */
import type { Evaluation } from '../../ml/train/evaluate';
import { ValidationError } from '../../platform/errors/domain-error';

/**
 * A site's evaluation as it crosses the boundary: its confusion matrix and mean loss. Accuracy,
 * precision and recall follow from the matrix (null when it counts nothing).
 */
export function fromConfusion(
  confusion: readonly (readonly number[])[],
  loss: number,
): Evaluation | null {
  const m = confusion.map((row) => [...row]);
  const count = m.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0);
  return mergeEvaluations([{ loss, accuracy: 0, precision: [], recall: [], confusion: m, count }]);
}

export function mergeEvaluations(evals: readonly Evaluation[]): Evaluation | null {
  const nonEmpty = evals.filter((e) => e.count > 0);
  if (nonEmpty.length === 0) return null;
  const k = nonEmpty[0].confusion.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let count = 0;
  let lossSum = 0;
  for (const e of nonEmpty) {
    if (e.confusion.length !== k)
      throw ValidationError.field('evaluations', 'sites evaluated different class counts');
    e.confusion.forEach((row, t) => row.forEach((v, p) => (confusion[t][p] += v)));
    count += e.count;
    lossSum += e.loss * e.count;
  }
  const correct = confusion.reduce((s, row, c) => s + row[c], 0);
  return {
    loss: lossSum / count,
    accuracy: correct / count,
    precision: confusion.map((_, c) => {
      const col = confusion.reduce((s, row) => s + row[c], 0);
      return col === 0 ? Number.NaN : confusion[c][c] / col;
    }),
    recall: confusion.map((row, c) => {
      const total = row.reduce((s, v) => s + v, 0);
      return total === 0 ? Number.NaN : row[c] / total;
    }),
    confusion,
    count,
  };
}

/**
 * Why a confusion matrix a site sent is not one (null: it is): k x k in the federation's classes,
 * non-negative integer counts adding up to the count the site evaluated.
 */
export function confusionProblem(
  m: readonly (readonly number[])[],
  k: number,
  count: number,
): string | null {
  if (m.length !== k || m.some((row) => row.length !== k))
    return `confusion must be ${k} x ${k} (the federation's classes)`;
  if (m.some((row) => row.some((v) => !Number.isInteger(v) || v < 0)))
    return 'confusion must hold non-negative integer counts';
  const total = m.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0);
  return total === count ? null : `confusion adds up to ${total}, not to count ${count}`;
}
