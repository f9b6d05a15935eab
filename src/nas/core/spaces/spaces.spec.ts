import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withLeakCheck } from '../../../ml/testing';
import { Rng } from '../../../platform/core/rng';
import { ValidationError } from '../../../platform/errors/domain-error';
import { parseSearchSpace } from '../../../search/core/space';
import {
  ArchitectureSpace,
  CompileOptions,
  canonicalJson,
  randomEncoding,
} from './architecture-space';
import { CNN_OPS, CellCnnEncoding, CellCnnSpace } from './cell-cnn';
import { MobilenetSpace } from './mobilenet';
import { MlpSpace } from './mlp';
import { ARCHITECTURE_SPACE_TYPES, createArchitectureSpace } from './space-registry';
import { TextSpace } from './text';

const IMAGE: CompileOptions = { inputShape: [8, 8, 1], numClasses: 3, seed: 1 };
const TABULAR: CompileOptions = { inputShape: [5], numClasses: 4, seed: 1 };
const TEXT: CompileOptions = { inputShape: [6], numClasses: 2, seed: 1 };

const SPACES: Array<{ space: ArchitectureSpace; options: CompileOptions }> = [
  { space: new CellCnnSpace({ baseWidth: 4, maxBlocks: 4 }), options: IMAGE },
  {
    space: new MobilenetSpace({ stemWidth: 4, channels: [4, 6], strides: [1, 2] }),
    options: IMAGE,
  },
  { space: new MlpSpace(), options: TABULAR },
  { space: new TextSpace({ vocabSize: 30 }), options: TEXT },
];

function outputShape(model: tf.LayersModel, o: CompileOptions): number[] {
  return tf.tidy(() => {
    const x =
      o.inputShape.length === 1 && o === TEXT
        ? tf.zeros([2, ...o.inputShape], 'int32')
        : tf.zeros([2, ...o.inputShape]);
    return (model.predict(x) as tf.Tensor).shape;
  });
}

describe('architecture spaces', () => {
  test('every cell-cnn op compiles, with and without stride 2, to a [batch, classes] softmax', async () => {
    const space = new CellCnnSpace({ baseWidth: 4, minBlocks: 1 });
    await withLeakCheck(() => {
      for (const op of CNN_OPS)
        for (const stride of [1, 2] as const) {
          const block =
            op.startsWith('conv') || op.startsWith('sep')
              ? { op, width: 1, stride }
              : { op, stride };
          const enc = space.validate({ blocks: [{ op: 'conv3x3', width: 1, stride: 1 }, block] });
          const model = space.compile(enc, IMAGE);
          assert.deepEqual(outputShape(model, IMAGE), [2, 3], `${op} stride ${stride}`);
          // Stride 2 halves the map ('same' padding: ceil(8 / 2) = 4) before global pooling.
          if (stride === 2 || op !== 'skip') {
            const last = model.getLayer(`b1_${op}`);
            assert.equal((last.outputShape as number[])[1], stride === 2 ? 4 : 8);
          }
          model.dispose();
        }
    });
  });

  test('every space compiles its random architectures to the right output shape (4 seeds each)', async () => {
    await withLeakCheck(() => {
      for (const { space, options } of SPACES)
        for (let s = 0; s < 4; s++) {
          const enc = randomEncoding(space, new Rng(s));
          const model = space.compile(enc, options);
          assert.deepEqual(
            outputShape(model, options),
            [2, options.numClasses],
            `${space.type} seed ${s}`,
          );
          assert.equal(model.layers[model.layers.length - 1].name, 'head');
          model.dispose();
        }
    });
  });

  test('text space: LSTM and pooling encoders compile; lstmUnits only with the LSTM encoder', () => {
    const space = new TextSpace({ vocabSize: 30 });
    for (const enc of [
      { embeddingDim: 16, encoder: 'lstm', lstmUnits: 16, hidden: 32 },
      { embeddingDim: 32, encoder: 'max-pool', hidden: 0 },
    ]) {
      const m = space.compile(space.validate(enc), TEXT);
      assert.deepEqual(outputShape(m, TEXT), [2, 2]);
      m.dispose();
    }
    assert.throws(
      () => space.validate({ embeddingDim: 16, encoder: 'avg-pool', lstmUnits: 16, hidden: 0 }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'encoding.lstmUnits',
    );
  });

  test('mobilenet space adds the residual shortcut exactly when stride 1 and channels match (MobileNetV2)', () => {
    const space = new MobilenetSpace({ stemWidth: 4, channels: [4, 6], strides: [1, 2] });
    const enc = space.validate({
      stages: [
        { expansion: 3, kernel: 3, depth: 2, width: 1 },
        { expansion: 1, kernel: 5, depth: 2, width: 1 },
      ],
    });
    const m = space.compile(enc, IMAGE);
    const adds = m.layers.filter((l) => l.getClassName() === 'Add').map((l) => l.name);
    // s0_b0: 4 -> 4 stride 1 (add), s0_b1 (add), s1_b0: stride 2 (none), s1_b1: 6 -> 6 (add).
    assert.deepEqual(adds, ['s0_b0_add', 's0_b1_add', 's1_b1_add']);
    // Expansion 1 has no expand conv.
    assert.ok(!m.layers.some((l) => l.name.startsWith('s1_b0_expand')));
    m.dispose();
  });

  test('invalid encodings are rejected with the field and the reason', () => {
    const space = new CellCnnSpace();
    const cases: Array<[unknown, string, RegExp]> = [
      [
        {
          blocks: [
            { op: 'conv7x7', width: 1, stride: 1 },
            { op: 'skip', stride: 1 },
          ],
        },
        'encoding.blocks[0].op',
        /must be one of/,
      ],
      [
        {
          blocks: [
            { op: 'conv3x3', width: 3, stride: 1 },
            { op: 'skip', stride: 1 },
          ],
        },
        'encoding.blocks[0].width',
        /must be one of/,
      ],
      [
        {
          blocks: [
            { op: 'maxpool3x3', width: 1, stride: 1 },
            { op: 'skip', stride: 1 },
          ],
        },
        'encoding.blocks[0].width',
        /not allowed/,
      ],
      [{ blocks: [{ op: 'skip', stride: 1 }] }, 'encoding.blocks', /2\.\.6 blocks/],
      [
        {
          blocks: [
            { op: 'skip', stride: 2 },
            { op: 'skip', stride: 2 },
            { op: 'skip', stride: 2 },
          ],
        },
        'encoding.blocks[2].stride',
        /maxReductions/,
      ],
      [{ blocks: [], extra: 1 }, 'encoding.extra', /unknown key/],
    ];
    for (const [enc, field, reason] of cases) {
      assert.throws(
        () => space.validate(enc),
        (e: unknown) =>
          e instanceof ValidationError &&
          e.problems.some((p) => p.field === field && reason.test(p.message)),
        `${field}`,
      );
    }
  });

  test('space configs are validated field by field; names and JSON definitions build spaces', () => {
    assert.deepEqual(ARCHITECTURE_SPACE_TYPES.sort(), ['cell-cnn', 'mlp', 'mobilenet', 'text']);
    assert.equal(createArchitectureSpace('mlp').type, 'mlp');
    assert.equal(
      (createArchitectureSpace({ type: 'cell-cnn', maxBlocks: 3 }).config as { maxBlocks: number })
        .maxBlocks,
      3,
    );
    const fields = (f: () => unknown): string[] => {
      try {
        f();
      } catch (e) {
        if (e instanceof ValidationError) return e.problems.map((p) => p.field);
      }
      return [];
    };
    assert.deepEqual(
      fields(() =>
        createArchitectureSpace({ type: 'cell-cnn', minBlocks: 5, maxBlocks: 3, widht: 1 }),
      ),
      ['space.minBlocks', 'space.widht'],
    );
    assert.deepEqual(
      fields(() => createArchitectureSpace({ type: 'mobilenet', strides: [1, 3, 2] })),
      ['space.strides[1]'],
    );
    assert.deepEqual(
      fields(() => createArchitectureSpace({ type: 'mobilenet', strides: [1, 2] })),
      ['space.strides'],
    );
    // Per-stage lists may repeat values; choice lists may not.
    assert.deepEqual(
      fields(() => new MobilenetSpace({ channels: [16, 16, 32] })),
      [],
    );
    assert.deepEqual(
      fields(() => createArchitectureSpace({ type: 'rnn' })),
      ['space.type'],
    );
    assert.deepEqual(
      fields(() => new MlpSpace({ units: [16, 16] })),
      ['space.units'],
    );
  });

  test('toSearchSpace is a valid search-engine space; decode(encode(e)) = e for random architectures', () => {
    for (const { space } of SPACES) {
      const parsed = parseSearchSpace(space.toSearchSpace());
      assert.ok(parsed.params.length > 0);
      for (let s = 0; s < 20; s++) {
        const enc = randomEncoding(space, new Rng(100 + s));
        const params = space.encode(enc);
        // Every encoded parameter is declared and its value is a possible one.
        for (const [k, v] of Object.entries(params)) {
          const p = parsed.params.find((q) => q.name === k);
          assert.ok(p, `${space.type}: ${k} declared`);
          if (p.distribution.type === 'categorical') assert.ok(p.distribution.choices.includes(v));
        }
        assert.equal(canonicalJson(space.decode(params)), canonicalJson(enc));
      }
    }
  });

  test('cell-cnn decode caps stride-2 blocks at maxReductions (every sampler proposal is valid)', () => {
    const space = new CellCnnSpace({ maxReductions: 1 });
    const enc = space.decode({
      numBlocks: 3,
      head: 'gap',
      b0_op: 'skip',
      b0_stride: 2,
      b1_op: 'conv3x3',
      b1_width: 1,
      b1_stride: 2,
      b2_op: 'avgpool3x3',
      b2_stride: 1,
    });
    assert.deepEqual(
      enc.blocks.map((b) => b.stride),
      [2, 1, 1],
    );
  });

  test('property (fast-check): every mutation of a valid encoding is valid and changes it (all spaces)', () => {
    for (const { space } of SPACES) {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          fc.integer({ min: 1, max: 6 }),
          (seed, steps) => {
            const rng = new Rng(seed);
            let enc = randomEncoding(space, rng);
            for (let i = 0; i < steps; i++) {
              const all = space.mutations(enc);
              assert.ok(all.length > 0);
              const m = all[rng.int(0, all.length - 1)];
              const before = canonicalJson(enc);
              // Round-trip through JSON: the encoding is plain data the validator accepts.
              const valid = space.validate(JSON.parse(JSON.stringify(m.result)));
              assert.notEqual(canonicalJson(valid), before, m.describe);
              enc = valid;
            }
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  test('cell-cnn mutations are single-step: one block op/width/stride, the head, or one block inserted/removed', () => {
    const space = new CellCnnSpace();
    const enc: CellCnnEncoding = space.validate({
      blocks: [
        { op: 'conv3x3', width: 1, stride: 1 },
        { op: 'maxpool3x3', stride: 2 },
        { op: 'sepconv5x5', width: 2, stride: 1 },
      ],
    });
    const kinds = new Set<string>();
    for (const m of space.mutations(enc)) {
      kinds.add(m.kind);
      const r = m.result.blocks;
      if (m.kind === 'depth') assert.equal(Math.abs(r.length - enc.blocks.length), 1);
      else if (m.result.head !== enc.head)
        assert.equal(canonicalJson(r), canonicalJson(enc.blocks));
      else {
        assert.equal(r.length, enc.blocks.length);
        const changed = r.filter((b, i) => canonicalJson(b) !== canonicalJson(enc.blocks[i]));
        assert.equal(changed.length, 1, m.describe);
      }
    }
    assert.deepEqual([...kinds].sort(), ['depth', 'op', 'stride', 'width']);
  });
});
