/**
 * Which output channels of a layers model can be removed, and what else must change with them
 * (Li et al. 2017, "Pruning Filters for Efficient ConvNets", sec. 3.2-3.3).
 *
 * Every Conv2D, SeparableConv2D or Dense layer (a *source*) opens a channel group. Its channels
 * flow forward through channel-wise layers (BatchNormalization, activations, dropout, pooling,
 * padding, DepthwiseConv2D, which maps channel c to c*m..c*m+m-1) and Flatten (channel c to the
 * flat indices p*C + c) until *consumers* (Conv2D, SeparableConv2D, Dense) read them as input
 * channels. An elementwise merge (Add, Average, Maximum, Minimum, Multiply) of raw channels ties
 * the groups of its inputs into one: a residual block's output channels are shared by every layer
 * feeding its Add, so they can only be removed jointly. Anything else the channels reach blocks
 * the group (Concatenate, Reshape, a softmax over channels, a model output, a shared layer,
 * channels-first data): removing channels there would change the function or the output shape.
 *
 * A group with one source and no blocker is what Li et al. prune in ResNets (the first conv of a
 * block); a tied group without a blocker is their joint alternative. Only the model's own graph is
 * read: nothing here touches weights.
 */
import * as tf from '@tensorflow/tfjs';

/** The layers whose output filters/units can be removed. */
export const SOURCE_CLASSES = new Set(['Conv2D', 'SeparableConv2D', 'Dense']);
/** Channel-wise layers holding per-channel weights (sliced with the channels). */
const PER_CHANNEL = new Set(['BatchNormalization', 'DepthwiseConv2D']);
/** Channel-wise layers without weights: each output channel depends on its own input channel only. */
const CHANNEL_WISE = new Set([
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'ThresholdedReLU',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'UpSampling2D',
  'Cropping2D',
]);
/** Merges that combine equal-shaped inputs element by element. */
const ELEMENTWISE_MERGE = new Set(['Add', 'Average', 'Maximum', 'Minimum', 'Multiply']);

/** How a tensor's last axis indexes a group's channels, as the steps taken since the source. */
export type ChannelMapStep =
  { kind: 'expand'; mult: number } | { kind: 'flatten'; positions: number; channels: number };

export interface ChannelGroup {
  /** The layers whose output filters/units are these channels (more than one when tied). */
  sources: string[];
  /** Number of channels. */
  size: number;
  /** The merge layers tying the sources together. */
  tiedBy: string[];
  /** Why the group cannot be pruned at all; empty when it can. */
  blockers: string[];
}

/** A layer whose weights are indexed by a group's channels on their input side. */
export interface ChannelUse {
  layer: string;
  className: string;
  /** Index into ChannelGraph.groups. */
  group: number;
  /** The mapping from the group's channels to this layer's input last axis. */
  steps: ChannelMapStep[];
}

export interface ChannelGraph {
  groups: ChannelGroup[];
  /** Source layer name -> index into groups. */
  groupOf: Map<string, number>;
  /** Consumers and per-channel layers, at most one per layer (they have one input). */
  uses: Map<string, ChannelUse>;
}

interface Flow {
  group: number;
  steps: ChannelMapStep[];
}

/** Union-find over raw group ids, carrying the group facts at each root. */
class Groups {
  private readonly parent: number[] = [];
  private readonly facts: ChannelGroup[] = [];

  add(source: string, size: number, blockers: string[]): number {
    this.parent.push(this.parent.length);
    this.facts.push({ sources: [source], size, tiedBy: [], blockers });
    return this.parent.length - 1;
  }

  find(g: number): number {
    while (this.parent[g] !== g) g = this.parent[g] = this.parent[this.parent[g]];
    return g;
  }

  block(g: number, reason: string): void {
    const f = this.facts[this.find(g)];
    if (!f.blockers.includes(reason)) f.blockers.push(reason);
  }

  tie(gs: number[], by: string): number {
    const roots = [...new Set(gs.map((g) => this.find(g)))];
    const root = roots[0];
    const f = this.facts[root];
    for (const r of roots.slice(1)) {
      const o = this.facts[r];
      if (o.size !== f.size)
        f.blockers.push(`${by} merges groups of ${f.size} and ${o.size} channels`);
      f.sources.push(...o.sources);
      f.tiedBy.push(...o.tiedBy);
      f.blockers.push(...o.blockers);
      this.parent[r] = root;
    }
    if (!f.tiedBy.includes(by)) f.tiedBy.push(by);
    return root;
  }

  /** Compacts the roots into a list; returns it and the raw id -> list index map. */
  resolve(): { groups: ChannelGroup[]; index: (g: number) => number } {
    const at = new Map<number, number>();
    const groups: ChannelGroup[] = [];
    this.parent.forEach((_, g) => {
      const r = this.find(g);
      if (!at.has(r)) {
        at.set(r, groups.length);
        groups.push(this.facts[r]);
      }
    });
    return { groups, index: (g) => at.get(this.find(g)) as number };
  }
}

export function outputSize(l: tf.layers.Layer): number {
  const cfg = l.getConfig();
  return Number(l.getClassName() === 'Dense' ? cfg.units : cfg.filters);
}

function lastAxisMismatch(l: tf.layers.Layer): string | undefined {
  const cfg = l.getConfig();
  if (cfg.dataFormat === 'channelsFirst') return `${l.name} uses channels-first data`;
  if (l.getClassName() === 'BatchNormalization') {
    const rank = (l.input as tf.SymbolicTensor).shape.length;
    const axis = Number(cfg.axis ?? -1);
    if (axis !== -1 && axis !== rank - 1) return `${l.name} normalises axis ${axis}, not channels`;
  }
  if (cfg.activation === 'softmax' && !SOURCE_CLASSES.has(l.getClassName()))
    return `${l.name} applies a softmax across channels`;
  return undefined;
}

/** Traces every source layer's channels through the graph (see the header). */
export function channelGraph(model: tf.LayersModel): ChannelGraph {
  const groups = new Groups();
  const flows = new Map<string, Flow | undefined>();
  const uses: Array<Omit<ChannelUse, 'group'> & { raw: number }> = [];
  const blockAll = (fs: Array<Flow | undefined>, reason: string): void =>
    fs.forEach((f) => f && groups.block(f.group, reason));
  // model.layers is in topological order, so every input's flow is known before its consumer.
  for (const l of model.layers) {
    const cls = l.getClassName();
    const inbound = l.inboundNodes[0]?.inboundLayers ?? [];
    const inFlows = inbound.map((p) => flows.get(p.name));
    const inFlow = inFlows[0];
    flows.set(l.name, undefined);
    if (cls === 'InputLayer') continue;
    if (l.inboundNodes.length !== 1) {
      blockAll(inFlows, `it reaches ${l.name}, a layer applied more than once`);
      continue;
    }
    const mismatch = lastAxisMismatch(l);
    if (mismatch !== undefined) blockAll(inFlows, mismatch);
    const use = (): void => {
      if (inFlow) uses.push({ layer: l.name, className: cls, raw: inFlow.group, ...inFlow });
    };
    if (SOURCE_CLASSES.has(cls)) {
      if (mismatch === undefined) use();
      const blockers = mismatch !== undefined ? [mismatch] : [];
      if (l.getConfig().activation === 'softmax')
        blockers.push(`${l.name}'s softmax activation mixes its outputs`);
      flows.set(l.name, { group: groups.add(l.name, outputSize(l), blockers), steps: [] });
    } else if (mismatch !== undefined) {
      continue;
    } else if (PER_CHANNEL.has(cls) || CHANNEL_WISE.has(cls)) {
      if (!inFlow) continue;
      if (PER_CHANNEL.has(cls)) use();
      const mult = cls === 'DepthwiseConv2D' ? Number(l.getConfig().depthMultiplier ?? 1) : 1;
      const steps: ChannelMapStep[] =
        mult > 1 ? [...inFlow.steps, { kind: 'expand', mult }] : inFlow.steps;
      flows.set(l.name, { group: inFlow.group, steps });
    } else if (cls === 'Flatten') {
      if (!inFlow) continue;
      const shape = (l.input as tf.SymbolicTensor).shape;
      const channels = Number(shape[shape.length - 1]);
      const positions = shape.slice(1, -1).reduce<number>((a, d) => a * Number(d), 1);
      flows.set(l.name, {
        group: inFlow.group,
        steps: [...inFlow.steps, { kind: 'flatten', positions, channels }],
      });
    } else if (ELEMENTWISE_MERGE.has(cls) && inFlows.every((f) => f && f.steps.length === 0)) {
      const root = groups.tie(
        inFlows.map((f) => (f as Flow).group),
        l.name,
      );
      flows.set(l.name, { group: root, steps: [] });
    } else {
      blockAll(
        inFlows,
        ELEMENTWISE_MERGE.has(cls)
          ? `it reaches ${l.name} (${cls}) together with channels that are not a prunable layer's own`
          : `it reaches ${l.name} (${cls}), which does not keep channels apart`,
      );
    }
  }
  for (const t of model.outputs) {
    const f = flows.get(t.sourceLayer.name);
    if (f) groups.block(f.group, `it is a model output (${t.sourceLayer.name})`);
  }
  const { groups: list, index } = groups.resolve();
  const order = new Map(model.layers.map((l, i) => [l.name, i]));
  const groupOf = new Map<string, number>();
  list.forEach((g, i) => {
    g.sources.sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
    g.sources.forEach((s) => groupOf.set(s, i));
  });
  return {
    groups: list,
    groupOf,
    uses: new Map(
      uses.map(({ raw, layer, className, steps }) => [
        layer,
        { layer, className, group: index(raw), steps },
      ]),
    ),
  };
}

/** The indices on a use's input last axis that carry the kept channels `keep` of its group. */
export function mapChannels(keep: readonly number[], steps: readonly ChannelMapStep[]): number[] {
  let idx = [...keep];
  for (const s of steps) {
    const prev = idx;
    idx = [];
    if (s.kind === 'expand')
      for (const c of prev) for (let j = 0; j < s.mult; j++) idx.push(c * s.mult + j);
    else for (let p = 0; p < s.positions; p++) for (const c of prev) idx.push(p * s.channels + c);
  }
  return idx;
}

/** Why a source layer cannot be pruned on its own (undefined when it can). */
export function soloBlocker(graph: ChannelGraph, layer: string): string | undefined {
  const i = graph.groupOf.get(layer);
  if (i === undefined)
    return `${layer} is not a Conv2D, SeparableConv2D or Dense layer of this model`;
  const g = graph.groups[i];
  if (g.blockers.length) return `${layer} cannot be pruned: ${g.blockers.join('; ')}`;
  if (g.sources.length > 1) {
    const others = g.sources.filter((s) => s !== layer).join(', ');
    return (
      `${layer} cannot be pruned on its own: its output channels are tied to ${others} by ` +
      `${g.tiedBy.join(', ')} (residual path); prune the group [${g.sources.join(', ')}] jointly`
    );
  }
  return undefined;
}
