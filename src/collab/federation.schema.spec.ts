import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeAlgorithm } from './core/algorithms';
import { federationPlacement, federationSpec } from './federation.schema';

const sites = [
  { name: 'a', dataset: 'data-a' },
  { name: 'b', dataset: 'data-b' },
];
const spec = (extra: Record<string, unknown>) =>
  federationSpec.parse({ architecture: 'small-cnn', sites, ...extra });

describe('federation spec: the non-IID options (peakDecay, proximalMu, serverMomentum)', () => {
  test('defaults are the plain algorithms; set values reach the algorithm plan', () => {
    const d = spec({});
    assert.equal(d.peakDecay, 1);
    assert.equal(d.proximalMu, 0);
    assert.equal(d.serverMomentum, 0);
    const s = spec({ learningRate: 0.02, minLr: 0.0004, peakDecay: 0.5, proximalMu: 0.1 });
    const plan = makeAlgorithm({ ...s, numClasses: 10 }).localPlan(1);
    assert.ok(Math.abs(plan.learningRate - (0.0004 + 0.0196 * 0.5)) < 1e-12);
    assert.equal(plan.proximalMu, 0.1);
    assert.equal(
      makeAlgorithm({
        ...spec({ algorithm: 'fedavg', proximalMu: 0.01 }),
        numClasses: 10,
      }).localPlan(0).proximalMu,
      0.01,
    );
  });

  test('bad values are validation errors naming the field (a 400 problem at the API)', () => {
    assert.throws(() => spec({ peakDecay: 0 }), /spec\.peakDecay/);
    assert.throws(() => spec({ peakDecay: 1.5 }), /spec\.peakDecay/);
    assert.throws(() => spec({ proximalMu: -0.1 }), /spec\.proximalMu/);
    assert.throws(() => spec({ serverMomentum: 1 }), /spec\.serverMomentum/);
    assert.throws(() => spec({ algorithm: 'fedavg', peakDecay: 0.5 }), /spec\.peakDecay.*esp-clr/);
    assert.throws(() => spec({ algorithm: 'mcl', proximalMu: 0.1 }), /spec\.proximalMu/);
    assert.throws(() => spec({ algorithm: 'fedavg', serverMomentum: 0.5 }), /serverMomentum/);
  });

  test('scaffold: off by default, on for fedavg and esp-clr, refused elsewhere and with dp', () => {
    assert.equal(spec({}).scaffold, false);
    for (const algorithm of ['fedavg', 'esp-clr'])
      assert.equal(
        makeAlgorithm({ ...spec({ algorithm, scaffold: true }), numClasses: 10 }).localPlan(0)
          .scaffold,
        true,
      );
    assert.throws(() => spec({ scaffold: 'yes' }), /scaffold/);
    assert.throws(() => spec({ algorithm: 'mcl', scaffold: true }), /spec\.scaffold.*fedavg/);
    assert.throws(
      () => spec({ scaffold: true, dp: { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 } }),
      /spec\.scaffold.*dp/,
    );
  });
});

describe('federation spec: freezeHead (FedBABU, Oh, Kim & Yun, ICLR 2022)', () => {
  test('off by default, on for fedavg and esp-clr (their plan freezes the head), refused elsewhere', () => {
    assert.equal(spec({}).freezeHead, false);
    assert.equal(makeAlgorithm({ ...spec({}), numClasses: 10 }).localPlan(0).freezeHead, undefined);
    for (const algorithm of ['fedavg', 'esp-clr'])
      assert.equal(
        makeAlgorithm({ ...spec({ algorithm, freezeHead: true }), numClasses: 10 }).localPlan(0)
          .freezeHead,
        true,
      );
    assert.throws(() => spec({ freezeHead: 1 }), /freezeHead/);
    for (const algorithm of ['mcl', 'codistill'])
      assert.throws(
        () => spec({ algorithm, freezeHead: true, publicDataset: 'p' }),
        /spec\.freezeHead.*fedavg/,
      );
  });
});

describe('federation spec: codistill teacher and per-round cosine', () => {
  const codistill = (extra: Record<string, unknown>) =>
    spec({ algorithm: 'codistill', publicDataset: 'public', learningRate: 0.01, ...extra });

  test('defaults: peers, constant LR; set values reach the algorithm', () => {
    const d = codistill({});
    assert.equal(d.teacher, 'peers');
    assert.equal(d.roundMinLr, null);
    assert.deepEqual(makeAlgorithm({ ...d, numClasses: 10 }).localPlan(1).schedule, {
      kind: 'constant',
    });
    const s = codistill({ teacher: 'ensemble', roundMinLr: 0.0005 });
    const algo = makeAlgorithm({ ...s, numClasses: 2 });
    assert.deepEqual(algo.localPlan(1).schedule, { kind: 'cosine', minLr: 0.0005 });
    const z = (p0: number) => Float32Array.from([Math.log(p0), Math.log(1 - p0)]);
    const agg = algo.aggregate([
      { site: 'a', samples: 1, logits: z(0.9) },
      { site: 'b', samples: 1, logits: z(0.5) },
    ]);
    // T = 3 (the default): softmax(log p / 3) of each, then the mean, itself included
    const soft = (p0: number) => p0 ** (1 / 3) / (p0 ** (1 / 3) + (1 - p0) ** (1 / 3));
    assert.ok(
      agg.kind === 'predictions' &&
        Math.abs(agg.teachers.get('a')![0] - (soft(0.9) + 0.5) / 2) < 1e-6,
    );
  });

  test('bad values name the field', () => {
    assert.throws(() => codistill({ teacher: 'all' }), /teacher/);
    assert.throws(() => codistill({ roundMinLr: 0.01 }), /spec\.roundMinLr/);
    assert.throws(() => spec({ roundMinLr: 0.0001 }), /spec\.roundMinLr.*codistill/);
  });
});

describe('federation spec: serverDistillation (FedDF)', () => {
  test('off by default; on fedavg and esp-clr with a public set; settings filled by the core', () => {
    assert.equal(spec({}).serverDistillation, null);
    for (const algorithm of ['fedavg', 'esp-clr']) {
      const s = spec({
        algorithm,
        publicDataset: 'public',
        serverDistillation: { steps: 200, temperature: 2 },
      });
      assert.deepEqual(s.serverDistillation, { steps: 200, temperature: 2 });
    }
    assert.deepEqual(
      spec({ publicDataset: 'public', serverDistillation: {} }).serverDistillation,
      {},
    );
  });

  test('bad values and the wrong algorithm are validation errors naming the field', () => {
    const fd = (serverDistillation: unknown, extra: Record<string, unknown> = {}) =>
      spec({ publicDataset: 'public', serverDistillation, ...extra });
    assert.throws(() => fd({ steps: 0 }), /spec\.serverDistillation\.steps: must be >= 1/);
    assert.throws(() => fd({ temperature: 0 }), /serverDistillation.temperature/);
    assert.throws(() => fd({ learningRate: -1 }), /serverDistillation.learningRate/);
    assert.throws(() => fd({ batchSize: 1.5 }), /serverDistillation.batchSize/);
    assert.throws(() => fd({ epochs: 3 }), /spec\.serverDistillation\.epochs: unknown field/);
    assert.throws(
      () => spec({ serverDistillation: { steps: 10 } }),
      /spec\.publicDataset.*serverDistillation/,
    );
    assert.throws(
      () => fd({}, { algorithm: 'mcl' }),
      /spec\.serverDistillation.*fedavg and esp-clr/,
    );
    assert.throws(
      () => fd({}, { algorithm: 'codistill', learningRate: 0.01 }),
      /spec\.serverDistillation.*fedavg and esp-clr/,
    );
  });
});

describe('federation spec: the shared labelled set (Zhao et al. 2018)', () => {
  test('absent by default; weight-averaging algorithms take it, codistill is refused', () => {
    assert.equal(spec({}).sharedDataset, null);
    for (const algorithm of ['fedavg', 'esp-clr', 'mcl'])
      assert.equal(spec({ algorithm, sharedDataset: 'shared' }).sharedDataset, 'shared');
    assert.throws(
      () => spec({ algorithm: 'codistill', publicDataset: 'public', sharedDataset: 'shared' }),
      /spec\.sharedDataset.*fedavg, esp-clr and mcl/,
    );
  });
});

describe('federation spec: classifierCalibration (CCVR)', () => {
  test('off by default; ccvr on fedavg, esp-clr and mcl, with local and remote sites', () => {
    assert.equal(spec({}).classifierCalibration, null);
    for (const algorithm of ['fedavg', 'esp-clr', 'mcl'])
      assert.equal(
        spec({ algorithm, classifierCalibration: 'ccvr' }).classifierCalibration,
        'ccvr',
      );
    assert.equal(
      federationSpec.parse({
        architecture: 'small-cnn',
        sites: [...sites, { name: 'far', remote: true }],
        classifierCalibration: 'ccvr',
      }).classifierCalibration,
      'ccvr',
    );
  });

  test('an unknown method, codistill and dp are 400s naming the field', () => {
    assert.throws(() => spec({ classifierCalibration: 'crt' }), /classifierCalibration/);
    assert.throws(
      () =>
        spec({
          algorithm: 'codistill',
          publicDataset: 'public',
          classifierCalibration: 'ccvr',
        }),
      /spec\.classifierCalibration.*codistill/,
    );
    // The statistics are not noised: dp and ccvr together are refused, naming both.
    assert.throws(
      () =>
        spec({
          classifierCalibration: 'ccvr',
          dp: { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 },
        }),
      /spec\.classifierCalibration.*dp/,
    );
  });
});

describe("a federation's placement: its sites' one kind, or mixed", () => {
  test('worker pool, namespaces, remote agents and a mix', () => {
    assert.equal(federationPlacement(spec({}).sites), 'local');
    const ns = { namespace: 'site-a' };
    assert.equal(
      federationPlacement(
        spec({
          sites: [
            { name: 'a', dataset: 'data-a', placement: ns },
            { name: 'b', dataset: 'data-b', placement: { namespace: 'site-b' } },
          ],
        }).sites,
      ),
      'namespace',
    );
    // All-remote federations are refused at submission for now (a local site fixes the input
    // contract), but the placement of such a list is still its one kind.
    assert.equal(
      federationPlacement([
        { remote: true, placement: null },
        { remote: true, placement: null },
      ]),
      'remote',
    );
    assert.equal(
      federationPlacement(spec({ sites: [sites[0], { name: 'far', remote: true }] }).sites),
      'mixed',
    );
  });
});

describe('federation spec: differential privacy', () => {
  test('delta defaults to 1e-5 (what `autodl collab run --dp-clip 1 --dp-noise 1` sends has none)', () => {
    assert.deepEqual(spec({ dp: { clipNorm: 1, noiseMultiplier: 1.1 } }).dp, {
      clipNorm: 1,
      noiseMultiplier: 1.1,
      delta: 1e-5,
    });
    assert.equal(spec({ dp: { clipNorm: 1, noiseMultiplier: 1, delta: 1e-6 } }).dp?.delta, 1e-6);
    assert.equal(spec({}).dp, null);
    assert.throws(
      () => spec({ dp: { clipNorm: 1, noiseMultiplier: 1, delta: 2 } }),
      /spec\.dp\.delta/,
    );
  });
});
