/**
 * Structured filter pruning of chain models (Li et al. 2017, "Pruning Filters for Efficient
 * ConvNets", with the L2 instead of the L1 filter norm as in He et al. 2018's soft filter
 * pruning): remove the output filters (conv) or units (dense) with the smallest L2 norm from a
 * layer, rebuild the model with the smaller layer, and copy the kept weights, slicing the input
 * channels of the next channel-mixing layer (Conv2D, SeparableConv2D, Dense) and the per-channel
 * weights of everything in between (BatchNormalization, DepthwiseConv2D), mapping channels
 * through Flatten (index p*C + c, channels last).
 *
 * Supported: models whose layers form a single chain (Sequential, or functional without
 * branches). Residual (Add) or concatenating graphs are refused with an UnprocessableError:
 * pruning them needs channel groups tied across the shortcut, which we do not do.
 * The kept filters' outputs are bit-for-bit the original ones (same weights, same inputs).
 */
import * as tf from '@tensorflow/tfjs';
import { UnprocessableError, ValidationError } from '../../../platform/errors/domain-error';

const PRUNABLE = new Set(['Conv2D', 'SeparableConv2D', 'Dense']);
/** Layers that neither mix channels nor hold per-channel weights. */
const PASS_THROUGH = new Set([
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Dropout',
  'SpatialDropout2D',
]);

export interface PrunableLayer {
  name: string;
  className: string;
  /** Current number of output filters / units. */
  size: number;
}

function chainLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UnprocessableError('pruning needs a model with one input and one output');
  layers.forEach((l, i) => {
    const inbound = l.inboundNodes[0]?.inboundLayers ?? [];
    const ok = inbound.length === 1 && (i === 0 || inbound[0] === layers[i - 1]);
    if (!ok)
      throw new UnprocessableError(
        `pruning supports chain models only; layer ${l.name} (${l.getClassName()}) has ${inbound.length} inputs or is not fed by the layer before it`,
        [{ field: 'model', message: 'not a chain of layers (residual or branching graph)' }],
      );
  });
  return layers;
}

/** The layers whose filters/units can be pruned: followed (through pass-through layers) by a consumer. */
export function prunableLayers(model: tf.LayersModel): PrunableLayer[] {
  const layers = chainLayers(model);
  const out: PrunableLayer[] = [];
  layers.forEach((l, i) => {
    const cls = l.getClassName();
    if (!PRUNABLE.has(cls)) return;
    for (let j = i + 1; j < layers.length; j++) {
      const next = layers[j].getClassName();
      if (PRUNABLE.has(next)) {
        out.push({ name: l.name, className: cls, size: outputSize(l) });
        return;
      }
      if (
        !PASS_THROUGH.has(next) &&
        !['BatchNormalization', 'DepthwiseConv2D', 'Flatten'].includes(next)
      )
        return;
    }
  });
  return out;
}

function outputSize(l: tf.layers.Layer): number {
  const cfg = l.getConfig();
  return Number(l.getClassName() === 'Dense' ? cfg.units : cfg.filters);
}

/** The kernel whose last axis indexes the layer's output filters/units. */
function outputKernel(l: tf.layers.Layer): tf.Tensor {
  const ws = l.getWeights();
  return l.getClassName() === 'SeparableConv2D' ? ws[1] : ws[0];
}

/** L2 norm of each output filter's kernel weights (bias excluded). */
export function filterNorms(model: tf.LayersModel, layerName: string): number[] {
  const l = model.getLayer(layerName);
  if (!PRUNABLE.has(l.getClassName()))
    throw ValidationError.field(
      'layer',
      `${layerName} is a ${l.getClassName()}; prunable: Conv2D, SeparableConv2D, Dense`,
    );
  return tf.tidy(() => {
    const k = outputKernel(l);
    const flat = k.reshape([-1, k.shape[k.shape.length - 1]]);
    return Array.from(flat.square().sum(0).sqrt().dataSync());
  });
}

/** Indices (ascending) of the filters kept when the `k` smallest-norm ones are removed. */
export function keepLargest(norms: readonly number[], k: number): number[] {
  if (!Number.isInteger(k) || k < 0 || k >= norms.length)
    throw ValidationError.field(
      'k',
      `must be an integer in [0, ${norms.length - 1}] (at least one filter stays), got ${k}`,
    );
  const order = norms.map((n, i) => [n, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const removed = new Set(order.slice(0, k).map(([, i]) => i));
  return norms.map((_, i) => i).filter((i) => !removed.has(i));
}

/**
 * Gathers `idx` along `axis` into a fresh tensor. The copy through dataSync matters: the wasm
 * backend's gather reshapes a higher-rank result, and a variable assigned that tensor would share
 * its data record, whose stored rank wasm's FusedConv2D checks ("only supports rank-1 bias").
 */
function gatherAxis(t: tf.Tensor, idx: readonly number[], axis: number): tf.Tensor {
  const g = tf.tidy(() => tf.gather(t, tf.tensor1d(idx as number[], 'int32'), axis));
  const out = tf.tensor(g.dataSync(), g.shape, g.dtype);
  g.dispose();
  return out;
}

/**
 * Rebuilds `model` keeping, for each layer named in `plan`, the listed output filters/units (in
 * that order). Every other weight is copied (sliced where its channels were removed).
 */
export async function pruneModel(
  model: tf.LayersModel,
  plan: Readonly<Record<string, readonly number[]>>,
): Promise<tf.LayersModel> {
  const layers = chainLayers(model);
  const prunable = new Map(prunableLayers(model).map((p) => [p.name, p]));
  for (const [name, keep] of Object.entries(plan)) {
    const p = prunable.get(name);
    if (!p)
      throw ValidationError.field(
        `plan.${name}`,
        `not a prunable layer of this model (prunable: ${[...prunable.keys()].join(', ') || 'none'})`,
      );
    const bad =
      keep.length === 0 ||
      new Set(keep).size !== keep.length ||
      keep.some((i) => !Number.isInteger(i) || i < 0 || i >= p.size);
    if (bad)
      throw ValidationError.field(
        `plan.${name}`,
        `must list 1..${p.size} distinct filter indices in [0, ${p.size - 1}]`,
      );
  }
  const newWeights = new Map<string, tf.Tensor[]>();
  let carry: number[] | undefined; // kept channel indices flowing into the current layer
  try {
    for (const l of layers) {
      const cls = l.getClassName();
      let ws = l.getWeights().map((w) => w.clone());
      const swap = (i: number, t: tf.Tensor): void => {
        ws[i].dispose();
        ws[i] = t;
      };
      if (carry !== undefined) {
        const inKeep: number[] = carry;
        if (cls === 'Conv2D') swap(0, gatherAxis(ws[0], inKeep, 2));
        else if (cls === 'Dense') swap(0, gatherAxis(ws[0], inKeep, 0));
        else if (cls === 'SeparableConv2D') {
          const mult = Number(l.getConfig().depthMultiplier ?? 1);
          swap(0, gatherAxis(ws[0], inKeep, 2));
          swap(1, gatherAxis(ws[1], expand(inKeep, mult), 2));
        } else if (cls === 'BatchNormalization')
          ws = ws.map((w) => {
            const s = gatherAxis(w, inKeep, 0);
            w.dispose();
            return s;
          });
        else if (cls === 'DepthwiseConv2D') {
          const mult = Number(l.getConfig().depthMultiplier ?? 1);
          swap(0, gatherAxis(ws[0], inKeep, 2));
          if (ws.length > 1) swap(1, gatherAxis(ws[1], expand(inKeep, mult), 0));
          carry = expand(inKeep, mult);
        } else if (cls === 'Flatten') {
          const inShape = (l.input as tf.SymbolicTensor).shape;
          const channels = Number(inShape[inShape.length - 1]);
          const positions = inShape.slice(1, -1).reduce<number>((acc, d) => acc * Number(d), 1);
          carry = [];
          for (let p = 0; p < positions; p++) for (const c of inKeep) carry.push(p * channels + c);
        } else if (!PASS_THROUGH.has(cls))
          throw new UnprocessableError(`cannot prune through a ${cls} layer (${l.name})`);
        if (PRUNABLE.has(cls)) carry = undefined;
      }
      const keep = plan[l.name];
      if (keep !== undefined) {
        const k = cls === 'SeparableConv2D' ? 1 : 0;
        swap(k, gatherAxis(ws[k], keep, ws[k].rank - 1));
        if (ws.length > k + 1) swap(k + 1, gatherAxis(ws[k + 1], keep, 0));
        carry = [...keep];
      }
      newWeights.set(l.name, ws);
    }
    const topology = model.toJSON(null, false) as {
      config: { layers: Array<{ config: Record<string, unknown> }> };
    };
    for (const entry of topology.config.layers) {
      const keep = plan[String(entry.config.name)];
      if (keep === undefined) continue;
      if ('units' in entry.config) entry.config.units = keep.length;
      else entry.config.filters = keep.length;
    }
    const pruned = await tf.models.modelFromJSON({
      modelTopology: topology,
    } as unknown as TopologyArg);
    for (const l of pruned.layers) {
      const ws = newWeights.get(l.name);
      if (ws && ws.length) l.setWeights(ws);
    }
    return pruned;
  } finally {
    for (const ws of newWeights.values()) tf.dispose(ws);
  }
}

type TopologyArg = Parameters<typeof tf.models.modelFromJSON>[0];

function expand(keep: readonly number[], mult: number): number[] {
  return keep.flatMap((c) => Array.from({ length: mult }, (_, j) => c * mult + j));
}

/** Removes the `k` smallest-L2-norm filters of one layer (a new model; the input is untouched). */
export async function pruneFilters(
  model: tf.LayersModel,
  layerName: string,
  k: number,
): Promise<tf.LayersModel> {
  return pruneModel(model, { [layerName]: keepLargest(filterNorms(model, layerName), k) });
}

/** An independent copy (same topology and weights). */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON({
    modelTopology: model.toJSON(null, false),
  } as unknown as TopologyArg);
  const ws = model.getWeights();
  copy.setWeights(ws);
  return copy;
}
