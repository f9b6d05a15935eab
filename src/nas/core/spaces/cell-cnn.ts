/**
 * Chain ("macro") CNN space in the style of ENAS's macro space and NASNet's operation set
 * (Pham et al. 2018; Zoph et al. 2018): a 3x3 stem, then 1..N blocks in a chain, each one
 * operation from {conv3x3, conv5x5, sepconv3x3, sepconv5x5, maxpool3x3, avgpool3x3, skip}, a
 * width multiplier (conv ops only) and a stride (1, or 2 = a reduction), then a searched head:
 * global average pooling (NASNet) or Flatten + a ReLU dense layer of `denseUnits` (the LeNet-style
 * head of the zoo's small CNN, which trains faster in few epochs), then the softmax layer. Channels of a conv block = round(baseWidth * width *
 * 2^reductions so far) (channels double at each reduction, as in NASNet); pools and skip keep the
 * channel count. `same` padding everywhere, so every stride placement compiles (a 1x1 map stays
 * 1x1). Deviation: a strided skip is a 1x1 max-pool with stride 2 (subsampling), not NASNet's
 * factorised reduce, so that skip stays parameter-free.
 *
 * Conv ops are conv - ReLU (bias, no batch norm): the candidates are trained for 1-3 epochs and
 * plain chains train fast; the MobileNet space is the one with batch norm.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededInit, head, validateZooOptions } from '../../../ml/models/zoo-options';
import { FieldProblem } from '../../../platform/errors/domain-error';
import { ParamValue } from '../../../search/core/distributions';
import {
  ArchitectureSpace,
  CompileOptions,
  ConfigReader,
  Mutation,
  SearchSpaceJson,
  checkChoice,
  checkKeys,
  isPositiveNumber,
  neighbours,
  objectAt,
  param,
  range,
  throwProblems,
} from './architecture-space';

export const CNN_OPS = [
  'conv3x3',
  'conv5x5',
  'sepconv3x3',
  'sepconv5x5',
  'maxpool3x3',
  'avgpool3x3',
  'skip',
] as const;
export type CnnOp = (typeof CNN_OPS)[number];

const CONV_OPS: readonly CnnOp[] = ['conv3x3', 'conv5x5', 'sepconv3x3', 'sepconv5x5'];

export function isConvOp(op: CnnOp): boolean {
  return CONV_OPS.includes(op);
}

export interface CnnBlock {
  op: CnnOp;
  /** Width multiplier; present exactly for conv ops. */
  width?: number;
  stride: 1 | 2;
}

export const CNN_HEADS = ['gap', 'flatten'] as const;
export type CnnHead = (typeof CNN_HEADS)[number];

export interface CellCnnEncoding {
  blocks: CnnBlock[];
  /** Optional in input (default: the first of the config's heads); always set once validated. */
  head: CnnHead;
}

export interface CellCnnConfig {
  minBlocks: number;
  maxBlocks: number;
  ops: CnnOp[];
  widths: number[];
  baseWidth: number;
  /** At most this many stride-2 blocks (reductions). */
  maxReductions: number;
  heads: CnnHead[];
  /** Units of the dense layer of the `flatten` head. */
  denseUnits: number;
}

export const CELL_CNN_DEFAULTS: CellCnnConfig = {
  minBlocks: 2,
  maxBlocks: 6,
  ops: [...CNN_OPS],
  widths: [0.5, 1, 1.5, 2],
  baseWidth: 16,
  maxReductions: 2,
  heads: ['gap', 'flatten'],
  denseUnits: 64,
};

export class CellCnnSpace implements ArchitectureSpace<CellCnnEncoding> {
  readonly type = 'cell-cnn';
  readonly inputKind = 'image';
  readonly config: CellCnnConfig;

  constructor(raw: unknown = {}, path = 'space') {
    const r = new ConfigReader(raw, path);
    const d = CELL_CNN_DEFAULTS;
    const minBlocks = r.int('minBlocks', d.minBlocks, 1, 32);
    const maxBlocks = r.int('maxBlocks', d.maxBlocks, 1, 32);
    const ops = r.list<CnnOp>(
      'ops',
      d.ops,
      (v) => CNN_OPS.includes(v as CnnOp),
      `one of ${CNN_OPS.join(', ')}`,
    );
    const widths = r.list<number>('widths', d.widths, isPositiveNumber, 'positive numbers');
    const baseWidth = r.int('baseWidth', d.baseWidth, 1, 1024);
    const maxReductions = r.int('maxReductions', d.maxReductions, 0, 32);
    const heads = r.list<CnnHead>(
      'heads',
      d.heads,
      (v) => CNN_HEADS.includes(v as CnnHead),
      `one of ${CNN_HEADS.join(', ')}`,
    );
    const denseUnits = r.int('denseUnits', d.denseUnits, 1, 65536);
    if (minBlocks > maxBlocks)
      r.problems.push({
        field: `${path}.minBlocks`,
        message: `must be <= maxBlocks (${maxBlocks}), got ${minBlocks}`,
      });
    if (!ops.some(isConvOp))
      r.problems.push({ field: `${path}.ops`, message: 'must contain at least one conv op' });
    r.done();
    this.config = {
      minBlocks,
      maxBlocks,
      ops,
      widths: [...widths].sort((a, b) => a - b),
      baseWidth,
      maxReductions,
      heads,
      denseUnits,
    };
  }

  /**
   * numBlocks, then per block i: b{i}_op and b{i}_stride (active when numBlocks > i) and
   * b{i}_width (active when b{i}_op is a conv op; nested conditions).
   */
  toSearchSpace(): SearchSpaceJson {
    const c = this.config;
    const space: SearchSpaceJson = {
      numBlocks: { type: 'int', low: c.minBlocks, high: c.maxBlocks },
      head: { type: 'categorical', choices: [...c.heads] },
    };
    const convOps = c.ops.filter(isConvOp);
    for (let i = 0; i < c.maxBlocks; i++) {
      const when = i < c.minBlocks ? undefined : { numBlocks: range(i + 1, c.maxBlocks) };
      space[`b${i}_op`] = { type: 'categorical', choices: [...c.ops], ...(when && { when }) };
      space[`b${i}_width`] = {
        type: 'categorical',
        choices: [...c.widths],
        when: { [`b${i}_op`]: convOps },
      };
      space[`b${i}_stride`] = {
        type: 'categorical',
        choices: c.maxReductions > 0 ? [1, 2] : [1],
        ...(when && { when }),
      };
    }
    return space;
  }

  /**
   * Params -> encoding. Stride-2 blocks beyond `maxReductions` are decoded as stride 1 (the
   * sampler's space cannot express "at most R of these"), so every proposal is valid; encode()
   * then returns the corrected strides, which is what the trial stores.
   */
  decode(params: Readonly<Record<string, ParamValue>>): CellCnnEncoding {
    const n = param(params, 'numBlocks') as number;
    let reductions = 0;
    const blocks: CnnBlock[] = [];
    for (let i = 0; i < n; i++) {
      const op = param(params, `b${i}_op`) as CnnOp;
      let stride = param(params, `b${i}_stride`) === 2 ? 2 : 1;
      if (stride === 2 && reductions >= this.config.maxReductions) stride = 1;
      if (stride === 2) reductions++;
      const block: CnnBlock = { op, stride: stride as 1 | 2 };
      if (isConvOp(op)) block.width = param(params, `b${i}_width`) as number;
      blocks.push(block);
    }
    return this.validate({ blocks, head: param(params, 'head') }, 'params');
  }

  encode(e: CellCnnEncoding): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = { numBlocks: e.blocks.length, head: e.head };
    e.blocks.forEach((b, i) => {
      out[`b${i}_op`] = b.op;
      out[`b${i}_stride`] = b.stride;
      if (b.width !== undefined) out[`b${i}_width`] = b.width;
    });
    return out;
  }

  validate(encoding: unknown, path = 'encoding'): CellCnnEncoding {
    const c = this.config;
    const problems: FieldProblem[] = [];
    const obj = objectAt(encoding, path, problems);
    throwProblems(problems);
    checkKeys(obj as Record<string, unknown>, ['blocks', 'head'], path, problems);
    const head = (obj as Record<string, unknown>).head ?? c.heads[0];
    checkChoice(head, c.heads, `${path}.head`, problems);
    const raw = (obj as Record<string, unknown>).blocks;
    if (!Array.isArray(raw) || raw.length < c.minBlocks || raw.length > c.maxBlocks) {
      problems.push({
        field: `${path}.blocks`,
        message: `must be an array of ${c.minBlocks}..${c.maxBlocks} blocks, got ${Array.isArray(raw) ? `${raw.length} blocks` : JSON.stringify(raw)}`,
      });
      throwProblems(problems);
    }
    const blocks: CnnBlock[] = [];
    let reductions = 0;
    (raw as unknown[]).forEach((rb, i) => {
      const p = `${path}.blocks[${i}]`;
      const b = objectAt(rb, p, problems);
      if (!b) return;
      checkKeys(b, ['op', 'width', 'stride'], p, problems);
      if (!checkChoice(b.op, c.ops, `${p}.op`, problems)) return;
      const op = b.op as CnnOp;
      if (!checkChoice(b.stride, c.maxReductions > 0 ? [1, 2] : [1], `${p}.stride`, problems))
        return;
      if (b.stride === 2 && ++reductions > c.maxReductions)
        problems.push({
          field: `${p}.stride`,
          message: `more than maxReductions (${c.maxReductions}) stride-2 blocks`,
        });
      if (isConvOp(op)) {
        if (!checkChoice(b.width, c.widths, `${p}.width`, problems)) return;
      } else if (b.width !== undefined) {
        problems.push({
          field: `${p}.width`,
          message: `not allowed for ${op} (pools and skip keep the channel count)`,
        });
        return;
      }
      const block: CnnBlock = { op, stride: b.stride as 1 | 2 };
      if (isConvOp(op)) block.width = b.width as number;
      blocks.push(block);
    });
    throwProblems(problems);
    return { blocks, head: head as CnnHead };
  }

  mutations(e: CellCnnEncoding): Mutation<CellCnnEncoding>[] {
    const c = this.config;
    const out: Mutation<CellCnnEncoding>[] = [];
    const withBlocks = (blocks: CnnBlock[]): CellCnnEncoding => ({ blocks, head: e.head });
    const reductions = e.blocks.filter((b) => b.stride === 2).length;
    for (const h of c.heads)
      if (h !== e.head)
        out.push({ kind: 'op', describe: `head ${e.head} -> ${h}`, result: { ...e, head: h } });
    e.blocks.forEach((b, i) => {
      for (const op of c.ops) {
        if (op === b.op) continue;
        const nb: CnnBlock = { op, stride: b.stride };
        if (isConvOp(op)) nb.width = b.width ?? c.widths[Math.floor(c.widths.length / 2)];
        out.push({
          kind: 'op',
          describe: `block ${i} op ${b.op} -> ${op}`,
          result: withBlocks(replace(e.blocks, i, nb)),
        });
      }
      if (b.width !== undefined) {
        for (const w of neighbours(c.widths, b.width))
          out.push({
            kind: 'width',
            describe: `block ${i} width ${b.width} -> ${w}`,
            result: withBlocks(replace(e.blocks, i, { ...b, width: w })),
          });
      }
      if (b.stride === 2 || reductions < c.maxReductions) {
        const s = b.stride === 2 ? 1 : 2;
        out.push({
          kind: 'stride',
          describe: `block ${i} stride ${b.stride} -> ${s}`,
          result: withBlocks(replace(e.blocks, i, { ...b, stride: s })),
        });
      }
    });
    if (e.blocks.length < c.maxBlocks) {
      // Depth +1: duplicate a block as stride 1 right after itself (a "deepen" morphism).
      e.blocks.forEach((b, i) => {
        const copy: CnnBlock = { ...b, stride: 1 };
        const blocks = [...e.blocks.slice(0, i + 1), copy, ...e.blocks.slice(i + 1)];
        out.push({
          kind: 'depth',
          describe: `insert a copy of block ${i}`,
          result: withBlocks(blocks),
        });
      });
    }
    if (e.blocks.length > c.minBlocks) {
      e.blocks.forEach((_, i) => {
        const blocks = e.blocks.filter((_b, k) => k !== i);
        out.push({ kind: 'depth', describe: `remove block ${i}`, result: withBlocks(blocks) });
      });
    }
    return out;
  }

  compile(e: CellCnnEncoding, o: CompileOptions): tf.LayersModel {
    validateZooOptions(this.type, o, [3]);
    const c = this.config;
    const init = new SeededInit(o.seed);
    const model = tf.sequential({ name: 'cell_cnn' });
    model.add(
      tf.layers.conv2d({
        inputShape: o.inputShape,
        filters: c.baseWidth,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init.he(),
        name: 'stem',
      }),
    );
    let reductions = 0;
    e.blocks.forEach((b, i) => {
      if (b.stride === 2) reductions++;
      const name = `b${i}_${b.op}`;
      const strides = b.stride;
      if (isConvOp(b.op)) {
        const filters = Math.max(
          1,
          Math.round(c.baseWidth * (b.width as number) * 2 ** reductions),
        );
        const kernelSize = b.op.endsWith('5x5') ? 5 : 3;
        const common = {
          filters,
          kernelSize,
          strides,
          padding: 'same' as const,
          activation: 'relu' as const,
          name,
        };
        model.add(
          b.op.startsWith('sep')
            ? tf.layers.separableConv2d({
                ...common,
                depthwiseInitializer: init.he(),
                pointwiseInitializer: init.he(),
              })
            : tf.layers.conv2d({ ...common, kernelInitializer: init.he() }),
        );
      } else if (b.op === 'maxpool3x3') {
        model.add(tf.layers.maxPooling2d({ poolSize: 3, strides, padding: 'same', name }));
      } else if (b.op === 'avgpool3x3') {
        model.add(tf.layers.averagePooling2d({ poolSize: 3, strides, padding: 'same', name }));
      } else if (strides === 2) {
        model.add(tf.layers.maxPooling2d({ poolSize: 1, strides: 2, padding: 'same', name }));
      }
    });
    if (e.head === 'flatten') {
      model.add(tf.layers.flatten({ name: 'flatten' }));
      model.add(
        tf.layers.dense({
          units: c.denseUnits,
          activation: 'relu',
          kernelInitializer: init.he(),
          name: 'fc',
        }),
      );
    } else model.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
    model.add(head(o.numClasses, init));
    return model;
  }
}

function replace<T>(xs: readonly T[], i: number, x: T): T[] {
  return xs.map((y, k) => (k === i ? x : y));
}
