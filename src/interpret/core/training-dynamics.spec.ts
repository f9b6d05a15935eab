import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { precisionAtK, rankSuspects, type SampleDynamics } from './training-dynamics';

/**
 * Real training records: full-batch gradient descent on softmax regression over three Gaussian
 * blobs, with `flipFraction` of the labels moved to another class; one record per sample per epoch.
 */
function simulateTraining(
  n: number,
  flipFraction: number,
  seed: number,
): { samples: SampleDynamics[]; flipped: Set<string> } {
  const rng = new Rng(seed);
  const centres = [
    [0, 0],
    [3, 0],
    [1.5, 2.6],
  ];
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    xs.push([centres[c][0] + rng.normal(0, 0.8), centres[c][1] + rng.normal(0, 0.8), 1]);
    ys.push(c);
  }
  const flipped = new Set<string>();
  for (const i of rng.shuffle(xs.map((_, i) => i)).slice(0, Math.round(n * flipFraction))) {
    ys[i] = (ys[i] + rng.int(1, 2)) % 3;
    flipped.add(String(i));
  }
  const W = [0, 1, 2].map(() => [0, 0, 0].map(() => rng.normal(0, 0.01)));
  const samples: SampleDynamics[] = xs.map((_, i) => ({ id: String(i), epochs: [] }));
  // Mini-batch SGD; each sample is recorded when its batch is visited, before the update
  // (Toneva et al. 2019 record correctness per presentation; Pleiss et al. 2020 the margin).
  for (let epoch = 0; epoch < 20; epoch++) {
    const order = rng.shuffle(xs.map((_, i) => i));
    for (let b = 0; b < n; b += 20) {
      const grad = W.map(() => [0, 0, 0]);
      const batch = order.slice(b, b + 20);
      for (const i of batch) {
        const x = xs[i];
        const z = W.map((w) => w[0] * x[0] + w[1] * x[1] + w[2] * x[2]);
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const s = e.reduce((a, c) => a + c, 0);
        const p = e.map((v) => v / s);
        const other = Math.max(...z.filter((_, k) => k !== ys[i]));
        (samples[i].epochs as unknown[]).push({
          epoch,
          loss: -Math.log(p[ys[i]]),
          assignedLogit: z[ys[i]],
          largestOtherLogit: other,
          correct: z[ys[i]] > other,
        });
        p.forEach((pk, k) =>
          x.forEach((xv, j) => (grad[k][j] += ((pk - (k === ys[i] ? 1 : 0)) * xv) / batch.length)),
        );
      }
      W.forEach((w, k) => w.forEach((_, j) => (w[j] -= 0.3 * grad[k][j])));
    }
  }
  return { samples, flipped };
}

describe('training dynamics: suspected mislabels', () => {
  test('AUM, forgetting events and mean loss on hand-made records', () => {
    const rec = (correct: boolean[], margin: number[], loss: number[]): SampleDynamics['epochs'] =>
      correct.map((c, k) => ({
        epoch: k,
        correct: c,
        assignedLogit: margin[k],
        largestOtherLogit: 0,
        loss: loss[k],
      }));
    const r = rankSuspects(
      [
        { id: 'clean', epochs: rec([true, true, true, true], [1, 2, 3, 4], [0.5, 0.3, 0.2, 0.1]) },
        { id: 'flaky', epochs: rec([true, false, true, false], [1, -1, 1, -1], [0.5, 1, 0.5, 1]) },
        { id: 'never', epochs: rec([false, false, false, false], [-2, -2, -3, -3], [2, 2, 3, 3]) },
      ],
      'forgetting',
    );
    assert.deepEqual(
      r.map((s) => s.id),
      ['never', 'flaky', 'clean'],
    );
    const flaky = r.find((s) => s.id === 'flaky');
    assert.equal(flaky?.forgettingEvents, 2);
    assert.equal(flaky?.aum, 0);
    assert.equal(r[0].aum, -2.5);
    assert.equal(r[0].score, 5); // never learned: epochs + 1
    assert.equal(r[2].meanLoss, 0.275);
  });

  for (const fraction of [0.05, 0.1]) {
    test(`flipped labels (${fraction * 100}%) rank at the top: precision@k against the flipped set (Pleiss et al. 2020)`, () => {
      const { samples, flipped } = simulateTraining(600, fraction, 42);
      const k = flipped.size;
      const p = {
        aum: precisionAtK(rankSuspects(samples, 'aum'), flipped, k),
        loss: precisionAtK(rankSuspects(samples, 'loss'), flipped, k),
        forgetting: precisionAtK(rankSuspects(samples, 'forgetting'), flipped, k),
        combined: precisionAtK(rankSuspects(samples, 'combined'), flipped, k),
      };
      assert.ok(p.aum >= 0.8, JSON.stringify(p));
      assert.ok(p.loss >= 0.8, JSON.stringify(p));
      assert.ok(p.combined >= 0.8, JSON.stringify(p));
      assert.ok(p.forgetting >= 0.6, JSON.stringify(p));
    });
  }
});
