/**
 * MLP space for tabular data (the AutoML "number of layers x units" space of Auto-Keras /
 * auto-sklearn's MLP): 1..N dense layers, each with its own width and activation, one dropout
 * rate after every hidden layer, then the softmax head.
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
  isPositiveInt,
  neighbours,
  objectAt,
  param,
  range,
  throwProblems,
} from './architecture-space';

export const MLP_ACTIVATIONS = ['relu', 'tanh', 'elu', 'sigmoid'] as const;
export type MlpActivation = (typeof MLP_ACTIVATIONS)[number];

export interface MlpLayer {
  units: number;
  activation: MlpActivation;
}

export interface MlpEncoding {
  layers: MlpLayer[];
  dropout: number;
}

export interface MlpConfig {
  minLayers: number;
  maxLayers: number;
  units: number[];
  activations: MlpActivation[];
  dropouts: number[];
}

export const MLP_DEFAULTS: MlpConfig = {
  minLayers: 1,
  maxLayers: 4,
  units: [16, 32, 64, 128, 256],
  activations: ['relu', 'tanh', 'elu'],
  dropouts: [0, 0.1, 0.2, 0.3],
};

export class MlpSpace implements ArchitectureSpace<MlpEncoding> {
  readonly type = 'mlp';
  readonly inputKind = 'tabular';
  readonly config: MlpConfig;

  constructor(raw: unknown = {}, path = 'space') {
    const r = new ConfigReader(raw, path);
    const d = MLP_DEFAULTS;
    const minLayers = r.int('minLayers', d.minLayers, 1, 32);
    const maxLayers = r.int('maxLayers', d.maxLayers, 1, 32);
    const units = r.list<number>('units', d.units, isPositiveInt, 'positive integers');
    const activations = r.list<MlpActivation>(
      'activations',
      d.activations,
      (v) => MLP_ACTIVATIONS.includes(v as MlpActivation),
      `one of ${MLP_ACTIVATIONS.join(', ')}`,
    );
    const dropouts = r.list<number>(
      'dropouts',
      d.dropouts,
      (v) => typeof v === 'number' && v >= 0 && v < 1,
      'numbers in [0, 1)',
    );
    if (minLayers > maxLayers)
      r.problems.push({
        field: `${path}.minLayers`,
        message: `must be <= maxLayers (${maxLayers}), got ${minLayers}`,
      });
    r.done();
    const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    this.config = {
      minLayers,
      maxLayers,
      units: sorted(units),
      activations,
      dropouts: sorted(dropouts),
    };
  }

  toSearchSpace(): SearchSpaceJson {
    const c = this.config;
    const space: SearchSpaceJson = {
      numLayers: { type: 'int', low: c.minLayers, high: c.maxLayers },
      dropout: { type: 'categorical', choices: [...c.dropouts] },
    };
    for (let i = 0; i < c.maxLayers; i++) {
      const when = i < c.minLayers ? undefined : { numLayers: range(i + 1, c.maxLayers) };
      space[`l${i}_units`] = { type: 'categorical', choices: [...c.units], ...(when && { when }) };
      space[`l${i}_activation`] = {
        type: 'categorical',
        choices: [...c.activations],
        ...(when && { when }),
      };
    }
    return space;
  }

  decode(params: Readonly<Record<string, ParamValue>>): MlpEncoding {
    const n = param(params, 'numLayers') as number;
    const layers = range(0, n - 1).map((i) => ({
      units: param(params, `l${i}_units`) as number,
      activation: param(params, `l${i}_activation`) as MlpActivation,
    }));
    return this.validate({ layers, dropout: param(params, 'dropout') }, 'params');
  }

  encode(e: MlpEncoding): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = { numLayers: e.layers.length, dropout: e.dropout };
    e.layers.forEach((l, i) => {
      out[`l${i}_units`] = l.units;
      out[`l${i}_activation`] = l.activation;
    });
    return out;
  }

  validate(encoding: unknown, path = 'encoding'): MlpEncoding {
    const c = this.config;
    const problems: FieldProblem[] = [];
    const obj = objectAt(encoding, path, problems);
    throwProblems(problems);
    const o = obj as Record<string, unknown>;
    checkKeys(o, ['layers', 'dropout'], path, problems);
    checkChoice(o.dropout, c.dropouts, `${path}.dropout`, problems);
    if (
      !Array.isArray(o.layers) ||
      o.layers.length < c.minLayers ||
      o.layers.length > c.maxLayers
    ) {
      problems.push({
        field: `${path}.layers`,
        message: `must be an array of ${c.minLayers}..${c.maxLayers} layers`,
      });
      throwProblems(problems);
    }
    const layers: MlpLayer[] = [];
    (o.layers as unknown[]).forEach((rl, i) => {
      const p = `${path}.layers[${i}]`;
      const l = objectAt(rl, p, problems);
      if (!l) return;
      checkKeys(l, ['units', 'activation'], p, problems);
      const ok =
        checkChoice(l.units, c.units, `${p}.units`, problems) &&
        checkChoice(l.activation, c.activations, `${p}.activation`, problems);
      if (ok) layers.push({ units: l.units as number, activation: l.activation as MlpActivation });
    });
    throwProblems(problems);
    return { layers, dropout: o.dropout as number };
  }

  mutations(e: MlpEncoding): Mutation<MlpEncoding>[] {
    const c = this.config;
    const out: Mutation<MlpEncoding>[] = [];
    const set = (i: number, l: MlpLayer): MlpLayer[] => e.layers.map((x, k) => (k === i ? l : x));
    e.layers.forEach((l, i) => {
      for (const a of c.activations)
        if (a !== l.activation)
          out.push({
            kind: 'op',
            describe: `layer ${i} activation ${l.activation} -> ${a}`,
            result: { ...e, layers: set(i, { ...l, activation: a }) },
          });
      for (const u of neighbours(c.units, l.units))
        out.push({
          kind: 'width',
          describe: `layer ${i} units ${l.units} -> ${u}`,
          result: { ...e, layers: set(i, { ...l, units: u }) },
        });
    });
    for (const d of neighbours(c.dropouts, e.dropout))
      out.push({
        kind: 'op',
        describe: `dropout ${e.dropout} -> ${d}`,
        result: { ...e, dropout: d },
      });
    if (e.layers.length < c.maxLayers)
      e.layers.forEach((l, i) =>
        out.push({
          kind: 'depth',
          describe: `insert a copy of layer ${i}`,
          result: {
            ...e,
            layers: [...e.layers.slice(0, i + 1), { ...l }, ...e.layers.slice(i + 1)],
          },
        }),
      );
    if (e.layers.length > c.minLayers)
      e.layers.forEach((_, i) =>
        out.push({
          kind: 'depth',
          describe: `remove layer ${i}`,
          result: { ...e, layers: e.layers.filter((_l, k) => k !== i) },
        }),
      );
    return out;
  }

  compile(e: MlpEncoding, o: CompileOptions): tf.LayersModel {
    validateZooOptions(this.type, o, [1]);
    const init = new SeededInit(o.seed);
    const model = tf.sequential({ name: 'mlp_space' });
    e.layers.forEach((l, i) => {
      model.add(
        tf.layers.dense({
          ...(i === 0 && { inputShape: o.inputShape }),
          units: l.units,
          activation: l.activation,
          kernelInitializer:
            l.activation === 'relu' || l.activation === 'elu' ? init.he() : init.glorot(),
          name: `l${i}_dense`,
        }),
      );
      if (e.dropout > 0) model.add(tf.layers.dropout({ rate: e.dropout, name: `l${i}_dropout` }));
    });
    model.add(head(o.numClasses, init));
    return model;
  }
}
