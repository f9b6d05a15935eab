import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../platform/errors/domain-error';
import { Rng } from '../../platform/core/rng';
import { LatencyCache, architectureKey, staticCost } from './latency-cost';
import {
  constraintValues,
  objectiveDirections,
  objectiveValues,
  parseObjective,
} from './objectives';
import { ArchitectureSpace, randomEncoding } from './spaces/architecture-space';
import { CellCnnSpace } from './spaces/cell-cnn';
import { MlpSpace } from './spaces/mlp';
import { MobilenetSpace } from './spaces/mobilenet';
import { TextSpace } from './spaces/text';

describe('NAS cost models', () => {
  test('cell-cnn FLOPs and params match a hand count (1 multiply-add = 2 FLOPs, bias 1 per output)', () => {
    const space = new CellCnnSpace({ baseWidth: 4, minBlocks: 1 });
    const enc = space.validate({
      blocks: [
        { op: 'conv3x3', width: 1, stride: 1 },
        { op: 'maxpool3x3', stride: 2 },
      ],
    });
    const model = space.compile(enc, { inputShape: [8, 8, 1], numClasses: 3 });
    // stem 3x3 1->4 on 8x8: params 9*1*4 + 4 = 40; 256 outputs * (2*9*1) + 256 = 4864 FLOPs.
    // b0 conv3x3 4->4: params 9*4*4 + 4 = 148; 256 * (2*36) + 256 = 18688 FLOPs.
    // b1 maxpool3x3 stride 2 -> 4x4x4: 64 outputs * 9 window ops = 576.
    // gap over 4x4x4: 64. head dense 4->3: params 15, 2*12 + 3 = 27 FLOPs.
    const c = staticCost(model);
    assert.equal(c.params, 40 + 148 + 15);
    assert.equal(c.params, model.countParams());
    assert.equal(c.flops, 4864 + 18688 + 576 + 64 + 27);
    model.dispose();
  });

  test('cell-cnn flatten head: Flatten + dense FLOPs and params match a hand count', () => {
    const space = new CellCnnSpace({ baseWidth: 4, minBlocks: 1, denseUnits: 8 });
    const enc = space.validate({
      blocks: [
        { op: 'conv3x3', width: 1, stride: 1 },
        { op: 'maxpool3x3', stride: 2 },
      ],
      head: 'flatten',
    });
    const model = space.compile(enc, { inputShape: [8, 8, 1], numClasses: 3 });
    // As above up to the pool (4864 + 18688 + 576 FLOPs, 40 + 148 params); Flatten 4x4x4 = 64 is
    // free; fc 64->8: 520 params, 2*512 + 8 = 1032 FLOPs; head 8->3: 27 params, 2*24 + 3 = 51.
    const c = staticCost(model);
    assert.equal(c.params, 40 + 148 + 520 + 27);
    assert.equal(c.params, model.countParams());
    assert.equal(c.flops, 4864 + 18688 + 576 + 1032 + 51);
    model.dispose();
  });

  test('separable conv and MLP FLOPs match hand counts', () => {
    const cnn = new CellCnnSpace({ baseWidth: 2, minBlocks: 1 });
    const m1 = cnn.compile(cnn.validate({ blocks: [{ op: 'sepconv3x3', width: 2, stride: 2 }] }), {
      inputShape: [4, 4, 1],
      numClasses: 2,
    });
    // stem 3x3 1->2 on 4x4: params 9*2+2 = 20; 32 outputs * 18 + 32 = 608.
    // sepconv3x3 width 2 after one reduction: 2 * 2 * 2^1 = 8 channels, 2x2 output. Depthwise
    // 9*2 = 18 and pointwise 2*8 = 16 weights, bias 8 -> params 42; MACs 2*2*2*9 + 2*2*2*8 = 136
    // -> 272 + 32 bias = 304. gap 2x2x8: 32. head 8->2: params 18, 2*16 + 2 = 34.
    assert.deepEqual(staticCost(m1), { params: 20 + 42 + 18, flops: 608 + 304 + 32 + 34 });
    const mlp = new MlpSpace();
    const m2 = mlp.compile(
      mlp.validate({ layers: [{ units: 16, activation: 'relu' }], dropout: 0.1 }),
      {
        inputShape: [5],
        numClasses: 3,
      },
    );
    // dense 5->16: 96 params, 2*80 + 16 = 176; head 16->3: 51 params, 2*48 + 3 = 99.
    assert.deepEqual(staticCost(m2), { params: 96 + 51, flops: 176 + 99 });
    m1.dispose();
    m2.dispose();
  });

  test('params equal model.countParams() for random architectures of every space', () => {
    const cases: Array<{ space: ArchitectureSpace; inputShape: number[] }> = [
      { space: new CellCnnSpace({ baseWidth: 4 }), inputShape: [8, 8, 1] },
      {
        space: new MobilenetSpace({ stemWidth: 4, channels: [4, 8], strides: [1, 2] }),
        inputShape: [8, 8, 3],
      },
      { space: new MlpSpace(), inputShape: [7] },
      { space: new TextSpace({ vocabSize: 50, lstmUnits: [8] }), inputShape: [5] },
    ];
    for (const { space, inputShape } of cases)
      for (let s = 0; s < 5; s++) {
        const m = space.compile(randomEncoding(space, new Rng(s)), { inputShape, numClasses: 3 });
        assert.equal(staticCost(m).params, m.countParams(), `${space.type} seed ${s}`);
        m.dispose();
      }
  });

  test('latency is measured once per architecture key (cache)', () => {
    const space = new MlpSpace();
    let calls = 0;
    const cache = new LatencyCache(undefined, () => ++calls);
    const a = space.validate({ layers: [{ units: 16, activation: 'relu' }], dropout: 0 });
    const b = space.validate({ layers: [{ units: 32, activation: 'relu' }], dropout: 0 });
    const m = space.compile(a, { inputShape: [3], numClasses: 2 });
    const key = (e: unknown): string =>
      architectureKey({ type: space.type, config: space.config, encoding: e, inputShape: [3] });
    assert.equal(cache.latency(key(a), m), 1);
    assert.equal(
      cache.latency(key({ dropout: 0, layers: [{ activation: 'relu', units: 16 }] }), m),
      1,
    );
    assert.equal(cache.latency(key(b), m), 2);
    assert.equal(cache.measurements, 2);
    m.dispose();
  });
});

describe('NAS objectives', () => {
  test('accuracy, scalarised and multi-objective values and directions', () => {
    const cost = { params: 1000, flops: 2e6, latencyMs: 3 };
    assert.deepEqual(objectiveDirections(parseObjective(undefined)), ['maximize']);
    const s = parseObjective({ kind: 'scalarised', cost: 'flops', lambda: 1e-8 });
    // 0.9 - 1e-8 * 2e6 = 0.88
    assert.ok(Math.abs(objectiveValues(s, 0.9, cost)[0] - 0.88) < 1e-12);
    const m = parseObjective({ kind: 'multi', costs: ['flops', 'latencyMs'] });
    assert.deepEqual(objectiveDirections(m), ['maximize', 'minimize', 'minimize']);
    assert.deepEqual(objectiveValues(m, 0.5, cost), [0.5, 2e6, 3]);
    const c = [
      { metric: 'params' as const, max: 800 },
      { metric: 'flops' as const, max: 3e6 },
    ];
    assert.deepEqual(constraintValues(c, cost), [200, -1e6]);
  });

  test('bad objectives name the field (constraints are checked by the nas schema)', () => {
    const field = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        if (e instanceof ValidationError) return e.problems[0]?.field;
      }
      return undefined;
    };
    assert.equal(
      field(() => parseObjective({ kind: 'pareto' })),
      'objective.kind',
    );
    assert.equal(
      field(() => parseObjective({ kind: 'multi', costs: ['energy'] })),
      'objective.costs[0]',
    );
    assert.equal(
      field(() => parseObjective({ kind: 'scalarised', cost: 'flops', lambda: -1 })),
      'objective.lambda',
    );
  });
});
