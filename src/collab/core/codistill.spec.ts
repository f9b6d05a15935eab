import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Codistill, distillationLoss, softmaxRows, teacherWeights } from './codistill';

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('multi-structure online distillation (ICASSP 2019; Hinton et al. 2015 soft targets)', () => {
  test('softmax(z / T): [ln 2, 0] at T = 1 is [2/3, 1/3]; at T -> large it flattens', () => {
    const p = softmaxRows(Float32Array.from([Math.LN2, 0]), 2, 1);
    close(p[0], 2 / 3);
    close(p[1], 1 / 3);
    const flat = softmaxRows(Float32Array.from([4, 0]), 2, 1000);
    close(flat[0], 0.5, 0.002);
  });

  test('hand case: T^2 KL([0.8, 0.2] || softmax([0, 0] / 2)) = 4 (0.8 ln 1.6 + 0.2 ln 0.4)', () => {
    const expected = 4 * (0.8 * Math.log(1.6) + 0.2 * Math.log(0.4)); // 0.770980...
    close(
      distillationLoss(Float32Array.from([0, 0]), Float32Array.from([0.8, 0.2]), 2, 2),
      expected,
    );
    close(expected, 0.77098, 1e-5);
    // the mean over examples: a second, identical pair of distributions adds nothing
    close(
      distillationLoss(
        Float32Array.from([0, 0, 0, 0]),
        Float32Array.from([0.8, 0.2, 0.5, 0.5]),
        2,
        2,
      ),
      expected / 2,
    );
  });

  test('each site is taught by the mean of its peers’ softened predictions, never its own', () => {
    const algo = new Codistill({
      localEpochs: 1,
      learningRate: 0.01,
      temperature: 1,
      weight: 1,
      numClasses: 2,
    });
    const z = (p0: number) => Float32Array.from([Math.log(p0), Math.log(1 - p0)]); // softmax(z) = [p0, 1-p0]
    const agg = algo.aggregate([
      { site: 'a', samples: 10, logits: z(0.9) },
      { site: 'b', samples: 10, logits: z(0.5) },
      { site: 'c', samples: 10, logits: z(0.1) },
    ]);
    assert.equal(agg.kind, 'predictions');
    if (agg.kind !== 'predictions') return;
    close(agg.teachers.get('a')![0], 0.3); // (0.5 + 0.1) / 2
    close(agg.teachers.get('b')![0], 0.5); // (0.9 + 0.1) / 2
    close(agg.teachers.get('c')![0], 0.7);
    assert.equal(agg.scales?.size ?? 0, 0, 'no accuracies reported: every site at full weight');
    assert.equal(algo.localPlan(0).distillation, null); // no teacher before the first exchange
    assert.deepEqual(algo.localPlan(1).distillation, { temperature: 1, weight: 1 });
    assert.equal(algo.localPlan(1).startFromGlobal, false); // no weights exchanged
    // alone, a site has no teacher (its own predictions are a round old: a brake, not a lesson)
    const alone = algo.aggregate([{ site: 'a', samples: 10, logits: z(0.9) }]);
    assert.equal(alone.kind === 'predictions' && alone.teachers.size, 0);
  });

  test('peers vote by reported accuracy above chance; a better site is barely moved by a weak one', () => {
    // 2 classes, chance 0.5. Accuracies a 0.9, b 0.7, c 0.5 (chance): weights 0.4, 0.2, 0.
    const algo = new Codistill({
      localEpochs: 1,
      learningRate: 0.01,
      temperature: 1,
      weight: 1,
      numClasses: 2,
    });
    const z = (p0: number) => Float32Array.from([Math.log(p0), Math.log(1 - p0)]);
    const agg = algo.aggregate([
      { site: 'a', samples: 10, logits: z(0.9), accuracy: 0.9 },
      { site: 'b', samples: 10, logits: z(0.6), accuracy: 0.7 },
      { site: 'c', samples: 10, logits: z(0.1), accuracy: 0.5 },
    ]);
    assert.equal(agg.kind, 'predictions');
    if (agg.kind !== 'predictions') return;
    close(agg.teachers.get('a')![0], 0.6); // b only: c is at chance
    close(agg.teachers.get('b')![0], 0.9); // a only
    close(agg.teachers.get('c')![0], (0.4 * 0.9 + 0.2 * 0.6) / 0.6); // 0.8
    // scales: teacher quality (sum w_j^2 / sum w_j over peers) over own (acc - chance), capped at 1
    close(agg.scales!.get('a')!, 0.2 / 0.4); // taught by b (0.2 above chance) while 0.4 itself
    close(agg.scales!.get('b')!, 1); // taught by a, better than b
    assert.equal(agg.scales!.has('c'), false, 'a site at chance learns at full weight');
    assert.deepEqual(teacherWeights([{ site: 'x', samples: 1, accuracy: Number.NaN }], 2), [1]);
    // every peer at chance: no teacher, the site trains alone
    const weak = algo.aggregate([
      { site: 'a', samples: 10, logits: z(0.9), accuracy: 0.9 },
      { site: 'c', samples: 10, logits: z(0.1), accuracy: 0.45 },
    ]);
    assert.equal(weak.kind === 'predictions' && weak.teachers.has('a'), false);
  });

  test('ensemble teacher (Song & Chai 2018, ONE): every site, itself included, by accuracy above chance', () => {
    const algo = new Codistill({
      ...baseOptions,
      numClasses: 2,
      temperature: 1,
      teacher: 'ensemble',
    });
    const z = (p0: number) => Float32Array.from([Math.log(p0), Math.log(1 - p0)]);
    // no accuracies: the plain mean of all three, (0.9 + 0.5 + 0.1) / 3 = 0.5, for every site
    const plain = algo.aggregate([
      { site: 'a', samples: 10, logits: z(0.9) },
      { site: 'b', samples: 10, logits: z(0.5) },
      { site: 'c', samples: 10, logits: z(0.1) },
    ]);
    assert.equal(plain.kind, 'predictions');
    if (plain.kind !== 'predictions') return;
    for (const site of ['a', 'b', 'c']) close(plain.teachers.get(site)![0], 0.5);
    // accuracies 0.9, 0.7, 0.5 (chance): weights 0.4, 0.2, 0 -> (0.4 * 0.9 + 0.2 * 0.6) / 0.6
    const agg = algo.aggregate([
      { site: 'a', samples: 10, logits: z(0.9), accuracy: 0.9 },
      { site: 'b', samples: 10, logits: z(0.6), accuracy: 0.7 },
      { site: 'c', samples: 10, logits: z(0.1), accuracy: 0.5 },
    ]);
    if (agg.kind !== 'predictions') return assert.fail('predictions expected');
    for (const site of ['a', 'b', 'c']) {
      close(agg.teachers.get(site)![0], 0.8);
      close(agg.teachers.get(site)![1], 0.2);
    }
    assert.equal(agg.scales?.size ?? 0, 0, 'the ensemble teaches every site at full weight');
    // at temperature T the members are softened before they are averaged: softmax(z / 2)
    const soft = new Codistill({
      ...baseOptions,
      numClasses: 2,
      temperature: 2,
      teacher: 'ensemble',
    });
    const t2 = soft.aggregate([
      { site: 'a', samples: 1, logits: Float32Array.from([2 * Math.log(3), 0]) }, // [3/4, 1/4] at T 2
      { site: 'b', samples: 1, logits: Float32Array.from([0, 0]) }, // [1/2, 1/2]
    ]);
    if (t2.kind !== 'predictions') return assert.fail('predictions expected');
    close(t2.teachers.get('b')![0], (0.75 + 0.5) / 2);
    // a lone site is taught by its own (round-old) predictions; every site at chance: nothing
    const none = algo.aggregate([{ site: 'a', samples: 1, logits: z(0.9), accuracy: 0.4 }]);
    assert.equal(none.kind === 'predictions' && none.teachers.size, 0);
    assert.throws(() => new Codistill({ ...baseOptions, teacher: 'all' as 'peers' }), /teacher/);
  });

  test('minLr: each round one cosine from learningRate to minLr (SGDR restarted per round)', () => {
    const algo = new Codistill({ ...baseOptions, learningRate: 0.01, minLr: 0.0005 });
    assert.deepEqual(algo.localPlan(0).schedule, { kind: 'cosine', minLr: 0.0005 });
    assert.deepEqual(algo.localPlan(5).schedule, { kind: 'cosine', minLr: 0.0005 });
    assert.deepEqual(new Codistill(baseOptions).localPlan(3).schedule, { kind: 'constant' });
    assert.throws(() => new Codistill({ ...baseOptions, minLr: 0.01 }), /minLr/);
  });

  test('burn-in rounds train alone, then the weight ramps linearly (progressively enhanced constraint)', () => {
    const algo = new Codistill({
      localEpochs: 1,
      learningRate: 0.01,
      temperature: 3,
      weight: 0.9,
      numClasses: 10,
      warmupRounds: 2,
      rampRounds: 3,
    });
    const w = [0, 1, 2, 3, 4, 5].map((r) => algo.localPlan(r).distillation?.weight ?? null);
    assert.equal(w[0], null);
    assert.equal(w[1], null);
    close(w[2]!, 0.3);
    close(w[3]!, 0.6);
    close(w[4]!, 0.9);
    close(w[5]!, 0.9);
    assert.throws(() => new Codistill({ ...baseOptions, warmupRounds: 0 }), /warmupRounds/);
  });
});

const baseOptions = {
  localEpochs: 1,
  learningRate: 0.01,
  temperature: 3,
  weight: 1,
  numClasses: 10,
};
