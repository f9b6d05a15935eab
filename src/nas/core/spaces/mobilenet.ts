/**
 * MobileNetV2-style stage space as searched by MnasNet / ProxylessNAS (Tan et al. 2019; Cai et al.
 * 2019): a fixed stem and a fixed stage layout (base channels and stride per stage), and per
 * stage a searched expansion ratio, depthwise kernel, depth (number of blocks) and width
 * multiplier. A block is an inverted residual (Sandler et al. 2018): 1x1 expand (when expansion
 * > 1) - BN - ReLU6, kxk depthwise (stride on the stage's first block) - BN - ReLU6, 1x1 project
 * - BN, plus the identity shortcut when the stride is 1 and channels match. Then GAP and head.
 * Deviation: no squeeze-excitation (MnasNet's SE option) and a stride-1 stem for small images.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededInit, batchNorm, head, validateZooOptions } from '../../../ml/zoo/zoo-options';
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
  isPositiveInt,
  isPositiveNumber,
  neighbours,
  objectAt,
  param,
  throwProblems,
} from './architecture-space';

export interface MobileStage {
  expansion: number;
  kernel: number;
  depth: number;
  width: number;
}

export interface MobilenetEncoding {
  stages: MobileStage[];
}

export interface MobilenetConfig {
  stemWidth: number;
  /** Base output channels per stage (before the width multiplier). */
  channels: number[];
  /** Stride of each stage's first block. */
  strides: number[];
  expansions: number[];
  kernels: number[];
  depths: number[];
  widths: number[];
}

export const MOBILENET_DEFAULTS: MobilenetConfig = {
  stemWidth: 16,
  channels: [16, 24, 32],
  strides: [1, 2, 2],
  expansions: [1, 3, 6],
  kernels: [3, 5],
  depths: [1, 2, 3],
  widths: [0.5, 0.75, 1, 1.25],
};

const FIELDS = ['expansion', 'kernel', 'depth', 'width'] as const;

export class MobilenetSpace implements ArchitectureSpace<MobilenetEncoding> {
  readonly type = 'mobilenet';
  readonly inputKind = 'image';
  readonly config: MobilenetConfig;

  constructor(raw: unknown = {}, path = 'space') {
    const r = new ConfigReader(raw, path);
    const d = MOBILENET_DEFAULTS;
    const oddKernel = (v: unknown): boolean => isPositiveInt(v) && (v as number) % 2 === 1;
    const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    const config: MobilenetConfig = {
      stemWidth: r.int('stemWidth', d.stemWidth, 1, 1024),
      // Channels and strides are per stage and may repeat (16, 32, 32; 1, 2, 2).
      channels: r.list<number>('channels', d.channels, isPositiveInt, 'positive integers', false),
      strides: r.list<number>('strides', d.strides, (v) => v === 1 || v === 2, '1 or 2', false),
      expansions: sorted(
        r.list<number>('expansions', d.expansions, isPositiveInt, 'positive integers'),
      ),
      kernels: sorted(r.list<number>('kernels', d.kernels, oddKernel, 'odd positive integers')),
      depths: sorted(r.list<number>('depths', d.depths, isPositiveInt, 'positive integers')),
      widths: sorted(r.list<number>('widths', d.widths, isPositiveNumber, 'positive numbers')),
    };
    if (config.strides.length !== config.channels.length)
      r.problems.push({
        field: `${path}.strides`,
        message: `must have one entry per stage (${config.channels.length}), got ${config.strides.length}`,
      });
    r.done();
    this.config = config;
  }

  toSearchSpace(): SearchSpaceJson {
    const c = this.config;
    const space: SearchSpaceJson = {};
    c.channels.forEach((_, i) => {
      space[`s${i}_expansion`] = { type: 'categorical', choices: [...c.expansions] };
      space[`s${i}_kernel`] = { type: 'categorical', choices: [...c.kernels] };
      space[`s${i}_depth`] = { type: 'categorical', choices: [...c.depths] };
      space[`s${i}_width`] = { type: 'categorical', choices: [...c.widths] };
    });
    return space;
  }

  decode(params: Readonly<Record<string, ParamValue>>): MobilenetEncoding {
    const stages = this.config.channels.map((_, i) => {
      const s = {} as MobileStage;
      for (const f of FIELDS) s[f] = param(params, `s${i}_${f}`) as number;
      return s;
    });
    return this.validate({ stages }, 'params');
  }

  encode(e: MobilenetEncoding): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    e.stages.forEach((s, i) => FIELDS.forEach((f) => (out[`s${i}_${f}`] = s[f])));
    return out;
  }

  private choices(f: (typeof FIELDS)[number]): number[] {
    const c = this.config;
    return { expansion: c.expansions, kernel: c.kernels, depth: c.depths, width: c.widths }[f];
  }

  validate(encoding: unknown, path = 'encoding'): MobilenetEncoding {
    const problems: FieldProblem[] = [];
    const obj = objectAt(encoding, path, problems);
    throwProblems(problems);
    checkKeys(obj as Record<string, unknown>, ['stages'], path, problems);
    const raw = (obj as Record<string, unknown>).stages;
    const n = this.config.channels.length;
    if (!Array.isArray(raw) || raw.length !== n) {
      problems.push({
        field: `${path}.stages`,
        message: `must be an array of ${n} stages (the space's stage layout)`,
      });
      throwProblems(problems);
    }
    const stages: MobileStage[] = [];
    (raw as unknown[]).forEach((rs, i) => {
      const p = `${path}.stages[${i}]`;
      const s = objectAt(rs, p, problems);
      if (!s) return;
      checkKeys(s, FIELDS, p, problems);
      let ok = true;
      for (const f of FIELDS) ok = checkChoice(s[f], this.choices(f), `${p}.${f}`, problems) && ok;
      if (ok)
        stages.push({
          expansion: s.expansion as number,
          kernel: s.kernel as number,
          depth: s.depth as number,
          width: s.width as number,
        });
    });
    throwProblems(problems);
    return { stages };
  }

  /** Kernel or expansion ("op"), width or depth of one stage moves to a neighbouring choice. */
  mutations(e: MobilenetEncoding): Mutation<MobilenetEncoding>[] {
    const out: Mutation<MobilenetEncoding>[] = [];
    const kinds: Record<(typeof FIELDS)[number], Mutation<MobilenetEncoding>['kind']> = {
      expansion: 'op',
      kernel: 'op',
      depth: 'depth',
      width: 'width',
    };
    e.stages.forEach((s, i) => {
      for (const f of FIELDS) {
        for (const v of neighbours(this.choices(f), s[f])) {
          const stages = e.stages.map((x, k) => (k === i ? { ...x, [f]: v } : x));
          out.push({
            kind: kinds[f],
            describe: `stage ${i} ${f} ${s[f]} -> ${v}`,
            result: { stages },
          });
        }
      }
    });
    return out;
  }

  compile(e: MobilenetEncoding, o: CompileOptions): tf.LayersModel {
    validateZooOptions(this.type, o, [3]);
    const c = this.config;
    const init = new SeededInit(o.seed);
    const input = tf.input({ shape: o.inputShape, name: 'input' });
    const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor =>
      layer.apply(x) as tf.SymbolicTensor;
    const bnRelu6 = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor =>
      apply(
        tf.layers.reLU({ maxValue: 6, name: `${name}_relu` }),
        apply(batchNorm(`${name}_bn`), x),
      );
    let x = apply(
      tf.layers.conv2d({
        filters: c.stemWidth,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        kernelInitializer: init.he(),
        name: 'stem',
      }),
      input,
    );
    x = bnRelu6(x, 'stem');
    let channels = c.stemWidth;
    e.stages.forEach((s, i) => {
      const out = Math.max(1, Math.round(c.channels[i] * s.width));
      for (let b = 0; b < s.depth; b++) {
        const name = `s${i}_b${b}`;
        const strides = b === 0 ? c.strides[i] : 1;
        const shortcut = x;
        let h = x;
        if (s.expansion > 1) {
          h = apply(
            tf.layers.conv2d({
              filters: channels * s.expansion,
              kernelSize: 1,
              useBias: false,
              kernelInitializer: init.he(),
              name: `${name}_expand`,
            }),
            h,
          );
          h = bnRelu6(h, `${name}_expand`);
        }
        h = apply(
          tf.layers.depthwiseConv2d({
            kernelSize: s.kernel,
            strides,
            padding: 'same',
            useBias: false,
            depthwiseInitializer: init.he(),
            name: `${name}_dw`,
          }),
          h,
        );
        h = bnRelu6(h, `${name}_dw`);
        h = apply(
          tf.layers.conv2d({
            filters: out,
            kernelSize: 1,
            useBias: false,
            kernelInitializer: init.he(),
            name: `${name}_project`,
          }),
          h,
        );
        h = apply(batchNorm(`${name}_project_bn`), h);
        if (strides === 1 && channels === out)
          h = tf.layers.add({ name: `${name}_add` }).apply([shortcut, h]) as tf.SymbolicTensor;
        x = h;
        channels = out;
      }
    });
    x = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
    const output = apply(head(o.numClasses, init), x);
    return tf.model({ inputs: input, outputs: output, name: 'mobilenet_space' });
  }
}
