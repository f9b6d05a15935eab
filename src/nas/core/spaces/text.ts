/**
 * Text classifier space: token ids -> embedding (searched size) -> an encoder, either pooling
 * over time (fastText-like, Joulin et al. 2017; average or max) or an LSTM (searched units) ->
 * an optional dense hidden layer (searched width, 0 = none) -> softmax head. The vocabulary size
 * comes from the config (the tokenizer's, e.g. `Vocabulary.size`).
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
  throwProblems,
} from './architecture-space';

export const TEXT_ENCODERS = ['avg-pool', 'max-pool', 'lstm'] as const;
export type TextEncoder = (typeof TEXT_ENCODERS)[number];

export interface TextEncoding {
  embeddingDim: number;
  encoder: TextEncoder;
  /** Present exactly when encoder is lstm. */
  lstmUnits?: number;
  /** Dense hidden layer before the head; 0 = none. */
  hidden: number;
}

export interface TextConfig {
  vocabSize: number;
  embeddingDims: number[];
  encoders: TextEncoder[];
  lstmUnits: number[];
  hiddens: number[];
}

export const TEXT_DEFAULTS: TextConfig = {
  vocabSize: 10000,
  embeddingDims: [16, 32, 64],
  encoders: [...TEXT_ENCODERS],
  lstmUnits: [16, 32, 64],
  hiddens: [0, 32, 64],
};

export class TextSpace implements ArchitectureSpace<TextEncoding> {
  readonly type = 'text';
  readonly inputKind = 'text';
  readonly config: TextConfig;

  constructor(raw: unknown = {}, path = 'space') {
    const r = new ConfigReader(raw, path);
    const d = TEXT_DEFAULTS;
    const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    this.config = {
      vocabSize: r.int('vocabSize', d.vocabSize, 2, 10_000_000),
      embeddingDims: sorted(
        r.list<number>('embeddingDims', d.embeddingDims, isPositiveInt, 'positive integers'),
      ),
      encoders: r.list<TextEncoder>(
        'encoders',
        d.encoders,
        (v) => TEXT_ENCODERS.includes(v as TextEncoder),
        `one of ${TEXT_ENCODERS.join(', ')}`,
      ),
      lstmUnits: sorted(
        r.list<number>('lstmUnits', d.lstmUnits, isPositiveInt, 'positive integers'),
      ),
      hiddens: sorted(
        r.list<number>(
          'hiddens',
          d.hiddens,
          (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0,
          'integers >= 0',
        ),
      ),
    };
    r.done();
  }

  toSearchSpace(): SearchSpaceJson {
    const c = this.config;
    const space: SearchSpaceJson = {
      embeddingDim: { type: 'categorical', choices: [...c.embeddingDims] },
      encoder: { type: 'categorical', choices: [...c.encoders] },
      hidden: { type: 'categorical', choices: [...c.hiddens] },
    };
    if (c.encoders.includes('lstm'))
      space.lstmUnits = {
        type: 'categorical',
        choices: [...c.lstmUnits],
        when: { encoder: 'lstm' },
      };
    return space;
  }

  decode(params: Readonly<Record<string, ParamValue>>): TextEncoding {
    const encoder = param(params, 'encoder') as TextEncoder;
    const e: TextEncoding = {
      embeddingDim: param(params, 'embeddingDim') as number,
      encoder,
      hidden: param(params, 'hidden') as number,
    };
    if (encoder === 'lstm') e.lstmUnits = param(params, 'lstmUnits') as number;
    return this.validate(e, 'params');
  }

  encode(e: TextEncoding): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {
      embeddingDim: e.embeddingDim,
      encoder: e.encoder,
      hidden: e.hidden,
    };
    if (e.lstmUnits !== undefined) out.lstmUnits = e.lstmUnits;
    return out;
  }

  validate(encoding: unknown, path = 'encoding'): TextEncoding {
    const c = this.config;
    const problems: FieldProblem[] = [];
    const obj = objectAt(encoding, path, problems);
    throwProblems(problems);
    const o = obj as Record<string, unknown>;
    checkKeys(o, ['embeddingDim', 'encoder', 'lstmUnits', 'hidden'], path, problems);
    checkChoice(o.embeddingDim, c.embeddingDims, `${path}.embeddingDim`, problems);
    checkChoice(o.hidden, c.hiddens, `${path}.hidden`, problems);
    if (checkChoice(o.encoder, c.encoders, `${path}.encoder`, problems)) {
      if (o.encoder === 'lstm')
        checkChoice(o.lstmUnits, c.lstmUnits, `${path}.lstmUnits`, problems);
      else if (o.lstmUnits !== undefined)
        problems.push({
          field: `${path}.lstmUnits`,
          message: `not allowed with encoder ${o.encoder}`,
        });
    }
    throwProblems(problems);
    const e: TextEncoding = {
      embeddingDim: o.embeddingDim as number,
      encoder: o.encoder as TextEncoder,
      hidden: o.hidden as number,
    };
    if (e.encoder === 'lstm') e.lstmUnits = o.lstmUnits as number;
    return e;
  }

  mutations(e: TextEncoding): Mutation<TextEncoding>[] {
    const c = this.config;
    const out: Mutation<TextEncoding>[] = [];
    for (const enc of c.encoders) {
      if (enc === e.encoder) continue;
      const r: TextEncoding = { embeddingDim: e.embeddingDim, encoder: enc, hidden: e.hidden };
      if (enc === 'lstm') r.lstmUnits = c.lstmUnits[Math.floor(c.lstmUnits.length / 2)];
      out.push({ kind: 'op', describe: `encoder ${e.encoder} -> ${enc}`, result: r });
    }
    for (const d of neighbours(c.embeddingDims, e.embeddingDim))
      out.push({
        kind: 'width',
        describe: `embeddingDim ${e.embeddingDim} -> ${d}`,
        result: { ...e, embeddingDim: d },
      });
    if (e.lstmUnits !== undefined)
      for (const u of neighbours(c.lstmUnits, e.lstmUnits))
        out.push({
          kind: 'width',
          describe: `lstmUnits ${e.lstmUnits} -> ${u}`,
          result: { ...e, lstmUnits: u },
        });
    for (const h of neighbours(c.hiddens, e.hidden))
      out.push({
        // Adding or removing the hidden layer changes depth; resizing it changes width.
        kind: h === 0 || e.hidden === 0 ? 'depth' : 'width',
        describe: `hidden ${e.hidden} -> ${h}`,
        result: { ...e, hidden: h },
      });
    return out;
  }

  compile(e: TextEncoding, o: CompileOptions): tf.LayersModel {
    validateZooOptions(this.type, o, [1]);
    const init = new SeededInit(o.seed);
    const model = tf.sequential({ name: 'text_space' });
    model.add(
      tf.layers.embedding({
        inputShape: o.inputShape,
        inputDim: this.config.vocabSize,
        outputDim: e.embeddingDim,
        embeddingsInitializer: init.glorot(),
        name: 'embedding',
      }),
    );
    if (e.encoder === 'lstm')
      model.add(
        tf.layers.lstm({
          units: e.lstmUnits as number,
          kernelInitializer: init.glorot(),
          recurrentInitializer: init.orthogonal(),
          name: 'lstm',
        }),
      );
    else if (e.encoder === 'avg-pool')
      model.add(tf.layers.globalAveragePooling1d({ name: 'pool' }));
    else model.add(tf.layers.globalMaxPooling1d({ name: 'pool' }));
    if (e.hidden > 0)
      model.add(
        tf.layers.dense({
          units: e.hidden,
          activation: 'relu',
          kernelInitializer: init.he(),
          name: 'hidden',
        }),
      );
    model.add(head(o.numClasses, init));
    return model;
  }
}
