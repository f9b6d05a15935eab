/**
 * Structured filter pruning (Li et al. 2017, "Pruning Filters for Efficient ConvNets", with the
 * L2 instead of the L1 filter norm as in He et al. 2018's soft filter pruning): remove the output
 * filters (conv) or units (dense) with the smallest L2 norm from a layer, rebuild the model from
 * its JSON config with the smaller layer, and copy the kept weights, slicing the input channels of
 * the consumers (Conv2D, SeparableConv2D, Dense) and the per-channel weights of everything in
 * between (BatchNormalization, DepthwiseConv2D), mapping channels through Flatten (index p*C + c,
 * channels last). Which layers qualify, in chains and in residual/branching graphs, is decided by
 * channel-graph.ts: a layer alone when its channels reach only consumers, or a group of layers
 * tied by a residual Add jointly (the same filter indices removed from each).
 * The kept filters' outputs are bit-for-bit the original ones (same weights, same inputs).
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../../platform/errors/domain-error';
import {
  ChannelGraph,
  channelGraph,
  mapChannels,
  soloBlocker,
  SOURCE_CLASSES,
} from './channel-graph';

export interface PrunableLayer {
  name: string;
  className: string;
  /** Current number of output filters / units. */
  size: number;
}

/** Layers tied by residual merges whose channels can be removed together. */
export interface PrunableGroup {
  layers: string[];
  /** The merge layers (Add ...) tying them. */
  tiedBy: string[];
  size: number;
}

/** Every Conv2D/SeparableConv2D/Dense layer and whether (and how) it can be pruned. */
export interface LayerPrunability extends PrunableLayer {
  prunable: 'alone' | 'jointly' | 'no';
  /** Why not alone (absent when prunable alone). */
  reason?: string;
}

export function layerPrunability(model: tf.LayersModel): LayerPrunability[] {
  const graph = channelGraph(model);
  return model.layers
    .filter((l) => graph.groupOf.has(l.name))
    .map((l) => {
      const g = graph.groups[graph.groupOf.get(l.name) as number];
      const reason = soloBlocker(graph, l.name);
      const prunable = !reason ? 'alone' : g.blockers.length ? 'no' : 'jointly';
      return {
        name: l.name,
        className: l.getClassName(),
        size: g.size,
        prunable,
        ...(reason && { reason }),
      };
    });
}

/**
 * The layers whose filters/units can be pruned on their own: their channels reach consumers only
 * (never a residual Add, a Concatenate or the model output; so the head is never one).
 */
export function prunableLayers(model: tf.LayersModel): PrunableLayer[] {
  return layerPrunability(model)
    .filter((p) => p.prunable === 'alone')
    .map(({ name, className, size }) => ({ name, className, size }));
}

/** The groups of layers tied by residual merges that can be pruned jointly (Li et al.'s alternative). */
export function prunableGroups(model: tf.LayersModel): PrunableGroup[] {
  return channelGraph(model)
    .groups.filter((g) => g.sources.length > 1 && g.blockers.length === 0)
    .map((g) => ({ layers: [...g.sources], tiedBy: [...g.tiedBy], size: g.size }));
}

/** The kernel whose last axis indexes the layer's output filters/units. */
function outputKernel(l: tf.layers.Layer): tf.Tensor {
  const ws = l.getWeights();
  return l.getClassName() === 'SeparableConv2D' ? ws[1] : ws[0];
}

/** L2 norm of each output filter's kernel weights (bias excluded). */
export function filterNorms(model: tf.LayersModel, layerName: string): number[] {
  const l = model.layers.find((x) => x.name === layerName);
  if (!l) throw ValidationError.field('layer', `${layerName} is not a layer of this model`);
  if (!SOURCE_CLASSES.has(l.getClassName()))
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

/**
 * L2 norm of each channel of a tied group: the norm of the concatenation of every member's
 * filter (so a channel is small only when it is small in all the layers that write it).
 */
export function groupNorms(model: tf.LayersModel, layers: readonly string[]): number[] {
  const per = layers.map((n) => filterNorms(model, n));
  return per[0].map((_, c) => Math.sqrt(per.reduce((s, ns) => s + ns[c] * ns[c], 0)));
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

/** Checks `plan` against the graph; returns the kept channels per group index. */
function groupPlan(
  graph: ChannelGraph,
  plan: Readonly<Record<string, readonly number[]>>,
): Map<number, readonly number[]> {
  const byGroup = new Map<number, readonly number[]>();
  for (const [name, keep] of Object.entries(plan)) {
    const gi = graph.groupOf.get(name);
    const g = gi === undefined ? undefined : graph.groups[gi];
    if (gi === undefined || !g || g.blockers.length)
      throw ValidationError.field(`plan.${name}`, soloBlocker(graph, name) as string);
    const bad =
      keep.length === 0 ||
      new Set(keep).size !== keep.length ||
      keep.some((i) => !Number.isInteger(i) || i < 0 || i >= g.size);
    if (bad)
      throw ValidationError.field(
        `plan.${name}`,
        `must list 1..${g.size} distinct filter indices in [0, ${g.size - 1}]`,
      );
    // A tied group is pruned only when the plan names all of it with the same channels.
    const same = (other: string): boolean => {
      const k = plan[other];
      return k !== undefined && k.length === keep.length && k.every((c, i) => c === keep[i]);
    };
    if (g.sources.length > 1 && !g.sources.every(same))
      throw ValidationError.field(
        `plan.${name}`,
        `${soloBlocker(graph, name) as string} (list every layer of the group with the same indices)`,
      );
    byGroup.set(gi, keep);
  }
  return byGroup;
}

/**
 * Rebuilds `model` keeping, for each layer named in `plan`, the listed output filters/units (in
 * that order). Layers tied by a residual merge must all be listed, with the same indices. Every
 * other weight is copied (sliced where its channels were removed).
 */
export async function pruneModel(
  model: tf.LayersModel,
  plan: Readonly<Record<string, readonly number[]>>,
): Promise<tf.LayersModel> {
  const graph = channelGraph(model);
  const keepOf = groupPlan(graph, plan);
  const newWeights = new Map<string, tf.Tensor[]>();
  try {
    for (const l of model.layers) {
      const cls = l.getClassName();
      const ws = l.getWeights().map((w) => w.clone());
      newWeights.set(l.name, ws);
      const swap = (i: number, t: tf.Tensor): void => {
        ws[i].dispose();
        ws[i] = t;
      };
      const use = graph.uses.get(l.name);
      const inKept = use && keepOf.get(use.group);
      if (use && inKept) {
        const inKeep = mapChannels(inKept, use.steps);
        const mult = Number(l.getConfig().depthMultiplier ?? 1);
        if (cls === 'Conv2D') swap(0, gatherAxis(ws[0], inKeep, 2));
        else if (cls === 'Dense') swap(0, gatherAxis(ws[0], inKeep, 0));
        else if (cls === 'SeparableConv2D') {
          swap(0, gatherAxis(ws[0], inKeep, 2));
          swap(1, gatherAxis(ws[1], expand(inKeep, mult), 2));
        } else if (cls === 'BatchNormalization')
          ws.forEach((w, i) => swap(i, gatherAxis(w, inKeep, 0)));
        else if (cls === 'DepthwiseConv2D') {
          swap(0, gatherAxis(ws[0], inKeep, 2));
          if (ws.length > 1) swap(1, gatherAxis(ws[1], expand(inKeep, mult), 0));
        }
      }
      const gi = graph.groupOf.get(l.name);
      const keep = gi === undefined ? undefined : keepOf.get(gi);
      if (keep !== undefined) {
        const k = cls === 'SeparableConv2D' ? 1 : 0;
        swap(k, gatherAxis(ws[k], keep, ws[k].rank - 1));
        if (ws.length > k + 1) swap(k + 1, gatherAxis(ws[k + 1], keep, 0));
      }
    }
    const topology = model.toJSON(null, false) as {
      config: { layers: Array<{ config: Record<string, unknown> }> };
    };
    for (const entry of topology.config.layers) {
      const gi = graph.groupOf.get(String(entry.config.name));
      const keep = gi === undefined ? undefined : keepOf.get(gi);
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

/**
 * Removes the `k` channels with the smallest group norm from the residual group `layerName`
 * belongs to, in every layer of the group (a layer that is prunable alone is its own group).
 */
export async function pruneTiedFilters(
  model: tf.LayersModel,
  layerName: string,
  k: number,
): Promise<tf.LayersModel> {
  const graph = channelGraph(model);
  const gi = graph.groupOf.get(layerName);
  if (gi === undefined || graph.groups[gi].blockers.length)
    throw ValidationError.field('layer', soloBlocker(graph, layerName) as string);
  const layers = graph.groups[gi].sources;
  const keep = keepLargest(groupNorms(model, layers), k);
  return pruneModel(model, Object.fromEntries(layers.map((n) => [n, keep])));
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
