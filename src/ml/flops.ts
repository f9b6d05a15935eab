import * as tf from '@tensorflow/tfjs';

/**
 * Parameters and FLOPs of a model (the cost model of NAS and the model registry; measured
 * latency is in latency.ts).
 *
 * Convention: `macs` counts multiply-accumulates; `flops` = 2 * macs + the other arithmetic of the
 * layer (bias adds, batch-norm scale and shift, residual adds, pooling window ops, LSTM cell
 * updates), i.e. one multiply-add is 2 FLOPs, as in most papers after Molchanov et al. (2017).
 * Activation functions and softmax are not counted. Inference (one forward pass of one example).
 * Parameters come from per-layer formulas (the test checks they equal model.countParams()).
 */
export interface LayerCost {
  name: string;
  className: string;
  params: number;
  macs: number;
  flops: number;
  outputShape: Array<number | null>;
  /** False when the layer type is unknown to this model: params from countParams(), FLOPs 0. */
  counted: boolean;
}

export interface ModelCost {
  params: number;
  trainableParams: number;
  macs: number;
  flops: number;
  layers: LayerCost[];
  /** Names of layers whose FLOPs are not modelled (unknown types). */
  uncounted: string[];
}

type Shape = Array<number | null>;

function prod(xs: Array<number | null>): number {
  return xs.reduce<number>((p, d) => p * (d ?? 1), 1);
}

function pair(v: unknown): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[v.length > 1 ? 1 : 0])];
  return [Number(v), Number(v)];
}

function firstShape(s: Shape | Shape[]): Shape {
  return Array.isArray(s[0]) || s[0] === undefined ? ((s as Shape[])[0] ?? []) : (s as Shape);
}

/** Spatial dims and channels of a 4-D shape for either data format. */
function hwc(shape: Shape, dataFormat: unknown): [number, number, number] {
  const [, a, b, c] = shape.map((d) => d ?? 1);
  return dataFormat === 'channelsFirst' ? [b, c, a] : [a, b, c];
}

interface Counted {
  params: number;
  macs: number;
  other: number;
}

const ZERO_COST = new Set([
  'InputLayer',
  'Flatten',
  'Dropout',
  'SpatialDropout1D',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'Reshape',
  'Permute',
  'Concatenate',
]);

/** Input shapes of a layer's first inbound node (one per input tensor). */
function inputShapes(layer: tf.layers.Layer): Shape[] {
  const input = layer.input;
  return Array.isArray(input) ? input.map((t) => t.shape) : [input.shape];
}

function layerCounts(layer: tf.layers.Layer): Counted | undefined {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const cls = layer.getClassName();
  const inShape = inputShapes(layer)[0];
  const outShape = firstShape(layer.outputShape as Shape | Shape[]);
  const useBias = cfg.useBias !== false;
  switch (cls) {
    case 'Dense': {
      const inDim = inShape[inShape.length - 1] ?? 0;
      const units = Number(cfg.units);
      const rows = prod(inShape.slice(1, -1));
      return {
        params: inDim * units + (useBias ? units : 0),
        macs: rows * inDim * units,
        other: useBias ? rows * units : 0,
      };
    }
    case 'Conv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      const [, , inC] = hwc(inShape, cfg.dataFormat);
      const [oh, ow, filters] = hwc(outShape, cfg.dataFormat);
      const outElems = oh * ow * filters;
      return {
        params: kh * kw * inC * filters + (useBias ? filters : 0),
        macs: outElems * kh * kw * inC,
        other: useBias ? outElems : 0,
      };
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      const mult = Number(cfg.depthMultiplier ?? 1);
      const [, , inC] = hwc(inShape, cfg.dataFormat);
      const [oh, ow] = hwc(outShape, cfg.dataFormat);
      const outElems = oh * ow * inC * mult;
      return {
        params: kh * kw * inC * mult + (useBias ? inC * mult : 0),
        macs: outElems * kh * kw,
        other: useBias ? outElems : 0,
      };
    }
    case 'SeparableConv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      const mult = Number(cfg.depthMultiplier ?? 1);
      const [, , inC] = hwc(inShape, cfg.dataFormat);
      const [oh, ow, filters] = hwc(outShape, cfg.dataFormat);
      return {
        params: kh * kw * inC * mult + inC * mult * filters + (useBias ? filters : 0),
        macs: oh * ow * inC * mult * kh * kw + oh * ow * inC * mult * filters,
        other: useBias ? oh * ow * filters : 0,
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [ph, pw] = pair(cfg.poolSize);
      return { params: 0, macs: 0, other: prod(outShape.slice(1)) * ph * pw };
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const [p] = pair(cfg.poolSize);
      return { params: 0, macs: 0, other: prod(outShape.slice(1)) * p };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
      return { params: 0, macs: 0, other: prod(inShape.slice(1)) };
    case 'BatchNormalization': {
      const axis = Number(cfg.axis ?? -1);
      const c = inShape[axis < 0 ? inShape.length + axis : axis] ?? 0;
      const affine = (cfg.scale !== false ? c : 0) + (cfg.center !== false ? c : 0);
      // Inference folds (x - mean) / sqrt(var + eps) * gamma + beta into one scale and one shift.
      return { params: affine + 2 * c, macs: 0, other: 2 * prod(inShape.slice(1)) };
    }
    case 'Add': {
      const n = inputShapes(layer).length;
      return { params: 0, macs: 0, other: (n - 1) * prod(outShape.slice(1)) };
    }
    case 'Embedding':
      return { params: Number(cfg.inputDim) * Number(cfg.outputDim), macs: 0, other: 0 };
    case 'LSTM': {
      const units = Number(cfg.units);
      const steps = inShape[1] ?? 1;
      const inDim = inShape[2] ?? 0;
      // Per step: four gates W x + U h (+ b), then c = f*c + i*g (3 ops) and h = o*tanh(c) (1 op).
      return {
        params: 4 * units * (inDim + units) + (useBias ? 4 * units : 0),
        macs: steps * 4 * units * (inDim + units),
        other: steps * ((useBias ? 4 * units : 0) + 4 * units),
      };
    }
    default:
      return ZERO_COST.has(cls) ? { params: layer.countParams(), macs: 0, other: 0 } : undefined;
  }
}

function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

function collect(model: tf.LayersModel, out: LayerCost[], prefix: string): void {
  for (const layer of model.layers) {
    if (isModel(layer)) {
      collect(layer, out, `${prefix}${layer.name}/`);
      continue;
    }
    const c = layerCounts(layer);
    out.push({
      name: prefix + layer.name,
      className: layer.getClassName(),
      params: c?.params ?? layer.countParams(),
      macs: c?.macs ?? 0,
      flops: c ? 2 * c.macs + c.other : 0,
      outputShape: firstShape(layer.outputShape as Shape | Shape[]),
      counted: c !== undefined,
    });
  }
}

/** Parameters and FLOPs per layer and in total (see the convention above). */
export function modelCost(model: tf.LayersModel): ModelCost {
  const layers: LayerCost[] = [];
  collect(model, layers, '');
  const trainableParams = model.trainableWeights.reduce((s, w) => s + prod(w.shape), 0);
  return {
    params: layers.reduce((s, l) => s + l.params, 0),
    trainableParams,
    macs: layers.reduce((s, l) => s + l.macs, 0),
    flops: layers.reduce((s, l) => s + l.flops, 0),
    layers,
    uncounted: layers.filter((l) => !l.counted).map((l) => l.name),
  };
}
