/**
 * Pruning search under a resource budget (AutLearn's automatic pruning; the greedy per-layer
 * search of NetAdapt, Yang et al. 2018, which StyleNAS's pruning search also weighs as quality
 * vs complexity): starting from a trained model, repeat
 *   for every prunable layer: remove `stepFraction` of its original filters (smallest L2 norm)
 *   and measure validation accuracy without fine-tuning;
 *   keep the candidate with the least accuracy loss per unit of cost saved;
 *   fine-tune it briefly (`stepFineTuneEpochs`, default 0);
 * until the cost meets the budget, then fine-tune (`fineTuneEpochs`) a copy and add it to the
 * family, and continue pruning the model itself towards the next, tighter budget. Budgets are
 * fractions of the original model's cost (e.g. 0.75, 0.5, 0.25 of its FLOPs). When every layer is
 * down to one filter before a budget is met, the member is returned with `met: false`.
 *
 * The units pruned are the layers prunable on their own and, in residual graphs, the groups of
 * layers tied by an Add (pruned jointly: the same channels leave every member; see
 * channel-graph.ts). A step's `layer` names a group as its members joined by '+'.
 *
 * `uniformPrune` is the baseline: the same fraction of filters removed from every prunable layer,
 * the smallest fraction (binary search) that meets the budget, then the same fine-tuning.
 *
 * The uniform allocation is also a point of the search space the greedy path may miss: with
 * `compareUniform` (default on) each budget's greedy member is compared, after the same
 * fine-tuning, with the uniform model on validation accuracy, and the better one is kept
 * (`allocation` says which). The greedy criterion is measured before fine-tuning, so a layer it
 * cut deep can recover less than it promised (measured at 28x28 in docs/benchmarks/nas.md).
 */
import * as tf from '@tensorflow/tfjs';
import { evaluate } from '../../../ml/train/evaluate';
import { TrainSet, trainModel } from '../../../ml/train/trainer';
import { ValidationError } from '../../../platform/errors/domain-error';
import { CostMetric, staticCost } from '../latency-cost';
import {
  cloneModel,
  filterNorms,
  groupNorms,
  keepLargest,
  layerPrunability,
  prunableGroups,
  prunableLayers,
  pruneFilters,
  pruneModel,
  pruneTiedFilters,
} from './filter-pruning';

export interface PruneSearchOptions {
  train: TrainSet;
  validation: TrainSet;
  /** Budgets as fractions of the original cost, each in (0, 1]. */
  budgets: number[];
  metric?: CostMetric;
  /** Fraction of a layer's original filters removed per step (default 1/8, at least 1 filter). */
  stepFraction?: number;
  stepFineTuneEpochs?: number;
  fineTuneEpochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Restrict the search to these layers (default: every prunable layer and tied group). */
  layers?: string[];
  /** Keep the uniform allocation when it validates better than the greedy one (default true). */
  compareUniform?: boolean;
  /** Latency in ms of a model (needed when metric is latencyMs). */
  measureLatency?: (model: tf.LayersModel) => number;
  onProgress?: (fraction: number, message: string) => void | Promise<void>;
  shouldStop?: () => boolean;
}

export interface PrunedModel {
  budget: number;
  /** The absolute cost target (budget * original cost). */
  target: number;
  cost: { params: number; flops: number; latencyMs?: number };
  /** Whether the cost is within the target (false only when pruning could go no further). */
  met: boolean;
  /** Validation accuracy after fine-tuning. */
  accuracy: number;
  /** Output filters/units per prunable layer. */
  widths: Record<string, number>;
  /** How the filters were allocated: the greedy search's path, or the uniform fraction. */
  allocation: 'greedy' | 'uniform';
  model: tf.LayersModel;
}

export interface PruneSearchResult {
  metric: CostMetric;
  original: {
    cost: { params: number; flops: number; latencyMs?: number };
    accuracy: number;
    widths: Record<string, number>;
  };
  family: PrunedModel[];
  /** The greedy choices in order: layer and filters removed at each step. */
  steps: Array<{ layer: string; removed: number; cost: number; accuracy: number }>;
}

export const PRUNE_DEFAULTS = {
  metric: 'flops' as CostMetric,
  stepFraction: 0.125,
  stepFineTuneEpochs: 0,
  fineTuneEpochs: 1,
  batchSize: 32,
  learningRate: 5e-4,
  seed: 0,
  compareUniform: true,
};

function costOf(model: tf.LayersModel, metric: CostMetric, o: PruneSearchOptions): number {
  if (metric === 'latencyMs') {
    if (!o.measureLatency)
      throw ValidationError.field('metric', 'latencyMs needs a measureLatency function');
    return o.measureLatency(model);
  }
  return staticCost(model)[metric];
}

function fullCost(model: tf.LayersModel, o: PruneSearchOptions): PrunedModel['cost'] {
  const c: PrunedModel['cost'] = staticCost(model);
  if (o.measureLatency) c.latencyMs = o.measureLatency(model);
  return c;
}

function accuracyOf(model: tf.LayersModel, set: TrainSet): number {
  return evaluate(model, set.x, set.y).accuracy;
}

/** A layer prunable on its own, or a group of layers tied by a residual merge. */
interface PruneUnit {
  key: string;
  layers: string[];
  size: number;
}

function pruneUnits(model: tf.LayersModel): PruneUnit[] {
  return [
    ...prunableLayers(model).map((p) => ({ key: p.name, layers: [p.name], size: p.size })),
    ...prunableGroups(model).map((g) => ({
      key: g.layers.join('+'),
      layers: g.layers,
      size: g.size,
    })),
  ];
}

function pruneUnit(model: tf.LayersModel, u: PruneUnit, k: number): Promise<tf.LayersModel> {
  return u.layers.length === 1
    ? pruneFilters(model, u.key, k)
    : pruneTiedFilters(model, u.layers[0], k);
}

function unitNorms(model: tf.LayersModel, u: PruneUnit): number[] {
  return u.layers.length === 1 ? filterNorms(model, u.key) : groupNorms(model, u.layers);
}

function widthsOf(model: tf.LayersModel): Record<string, number> {
  return Object.fromEntries(
    pruneUnits(model).flatMap((u) => u.layers.map((l) => [l, u.size] as const)),
  );
}

/** The units containing any of `layers` (all units when absent); names the unprunable ones. */
function selectUnits(model: tf.LayersModel, layers: string[] | undefined): PruneUnit[] {
  const all = pruneUnits(model);
  if (!layers) return all;
  const report = layerPrunability(model);
  layers.forEach((n, i) => {
    if (!all.some((u) => u.layers.includes(n))) {
      const why = report.find((r) => r.name === n)?.reason;
      const prunable = all.map((u) => u.key).join(', ') || 'none';
      throw ValidationError.field(
        `layers[${i}]`,
        `${why ?? `${n} is not a Conv2D, SeparableConv2D or Dense layer of this model`} (prunable: ${prunable})`,
      );
    }
  });
  return all.filter((u) => u.layers.some((l) => layers.includes(l)));
}

function validateOptions(o: PruneSearchOptions): void {
  if (!Array.isArray(o.budgets) || o.budgets.length === 0)
    throw ValidationError.field('budgets', 'must be a non-empty array of fractions in (0, 1]');
  o.budgets.forEach((b, i) => {
    if (!(typeof b === 'number' && b > 0 && b <= 1))
      throw ValidationError.field(
        `budgets[${i}]`,
        `must be a fraction in (0, 1], got ${JSON.stringify(b)}`,
      );
  });
  const sf = o.stepFraction ?? PRUNE_DEFAULTS.stepFraction;
  if (!(sf > 0 && sf < 1))
    throw ValidationError.field('stepFraction', `must be in (0, 1), got ${sf}`);
}

async function fineTune(
  model: tf.LayersModel,
  epochs: number,
  o: PruneSearchOptions,
  seed: number,
): Promise<void> {
  if (epochs <= 0) return;
  await trainModel(model, o.train, {
    epochs,
    batchSize: o.batchSize ?? PRUNE_DEFAULTS.batchSize,
    learningRate: o.learningRate ?? PRUNE_DEFAULTS.learningRate,
    seed,
    shouldStop: o.shouldStop,
  });
}

/** The member kept at a budget: the uniform model only when it meets it and validates better. */
export function preferOnValidation(greedy: PrunedModel, uniform: PrunedModel): PrunedModel {
  return uniform.met && uniform.accuracy > greedy.accuracy ? uniform : greedy;
}

/** Greedy layer-wise pruning search producing one fine-tuned model per budget (tightest last). */
export async function pruneSearch(
  model: tf.LayersModel,
  o: PruneSearchOptions,
): Promise<PruneSearchResult> {
  validateOptions(o);
  const metric = o.metric ?? PRUNE_DEFAULTS.metric;
  const seed = o.seed ?? PRUNE_DEFAULTS.seed;
  const stepFraction = o.stepFraction ?? PRUNE_DEFAULTS.stepFraction;
  const units = selectUnits(model, o.layers);
  const candidates = units.map((u) => u.key);
  const originalSize = new Map(units.map((u) => [u.key, u.size]));
  const originalCost = costOf(model, metric, o);
  const original = {
    cost: fullCost(model, o),
    accuracy: accuracyOf(model, o.validation),
    widths: widthsOf(model),
  };
  const budgets = [...o.budgets].sort((a, b) => b - a);
  const finalTarget = budgets[budgets.length - 1] * originalCost;
  const family: PrunedModel[] = [];
  const steps: PruneSearchResult['steps'] = [];
  let current = await cloneModel(model);
  let cost = originalCost;
  try {
    for (const budget of budgets) {
      const target = budget * originalCost;
      while (cost > target) {
        if (o.shouldStop?.()) return { metric, original, family, steps };
        const acc = accuracyOf(current, o.validation);
        let best:
          | {
              model: tf.LayersModel;
              layer: string;
              removed: number;
              cost: number;
              acc: number;
              score: number;
            }
          | undefined;
        for (const p of pruneUnits(current).filter((u) => candidates.includes(u.key))) {
          const step = Math.max(1, Math.round(stepFraction * (originalSize.get(p.key) as number)));
          const removed = Math.min(step, p.size - 1);
          if (removed < 1) continue;
          const cand = await pruneUnit(current, p, removed);
          const c = costOf(cand, metric, o);
          const a = accuracyOf(cand, o.validation);
          // Least accuracy lost per unit of cost saved (NetAdapt's criterion, per unit resource).
          const score = (acc - a) / Math.max(cost - c, Number.EPSILON);
          if (!best || score < best.score) {
            best?.model.dispose();
            best = { model: cand, layer: p.key, removed, cost: c, acc: a, score };
          } else cand.dispose();
        }
        if (!best) break; // every layer is down to one filter: the budget cannot be met
        current.dispose();
        current = best.model;
        cost = best.cost;
        await fineTune(
          current,
          o.stepFineTuneEpochs ?? PRUNE_DEFAULTS.stepFineTuneEpochs,
          o,
          seed + steps.length,
        );
        steps.push({ layer: best.layer, removed: best.removed, cost, accuracy: best.acc });
        const done = (originalCost - cost) / Math.max(originalCost - finalTarget, Number.EPSILON);
        await o.onProgress?.(
          Math.min(1, done),
          `pruned ${best.removed} filters from ${best.layer}`,
        );
      }
      const member = await cloneModel(current);
      // The same fine-tuning (epochs and seed) as uniformPrune's, so the comparison is fair.
      await fineTune(member, o.fineTuneEpochs ?? PRUNE_DEFAULTS.fineTuneEpochs, o, seed + 1000);
      const greedy: PrunedModel = {
        budget,
        target,
        cost: fullCost(member, o),
        met: cost <= target,
        accuracy: accuracyOf(member, o.validation),
        widths: widthsOf(member),
        allocation: 'greedy',
        model: member,
      };
      // Only over the whole model: uniformPrune cuts every unit, which a `layers` list forbids.
      if ((o.compareUniform ?? PRUNE_DEFAULTS.compareUniform) && o.layers === undefined) {
        const uniform = await uniformPrune(model, budget, o);
        const better = preferOnValidation(greedy, uniform);
        (better === uniform ? greedy : uniform).model.dispose();
        family.push(better);
      } else family.push(greedy);
    }
  } finally {
    current.dispose();
  }
  return { metric, original, family, steps };
}

/**
 * Baseline: remove the same fraction r of filters from every prunable layer and tied group
 * (smallest L2 norm),
 * with r the smallest multiple of 1/64 whose model meets `budget * cost`, then fine-tune.
 */
export async function uniformPrune(
  model: tf.LayersModel,
  budget: number,
  o: PruneSearchOptions,
): Promise<PrunedModel> {
  validateOptions({ ...o, budgets: [budget] });
  const metric = o.metric ?? PRUNE_DEFAULTS.metric;
  const target = budget * costOf(model, metric, o);
  const units = pruneUnits(model);
  const build = (r: number): Promise<tf.LayersModel> =>
    pruneModel(
      model,
      Object.fromEntries(
        units.flatMap((u) => {
          const keep = keepLargest(
            unitNorms(model, u),
            Math.min(u.size - 1, Math.round(r * u.size)),
          );
          return u.layers.map((l) => [l, keep] as const);
        }),
      ),
    );
  let lo = 0;
  let hi = 64;
  let chosen = await build(1);
  if (costOf(chosen, metric, o) <= target) {
    // Binary search over r = s/64 for the smallest step that meets the budget.
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const m = await build(mid / 64);
      if (costOf(m, metric, o) <= target) {
        chosen.dispose();
        chosen = m;
        hi = mid;
      } else {
        m.dispose();
        lo = mid;
      }
    }
  }
  await fineTune(
    chosen,
    o.fineTuneEpochs ?? PRUNE_DEFAULTS.fineTuneEpochs,
    o,
    (o.seed ?? 0) + 1000,
  );
  return {
    budget,
    target,
    cost: fullCost(chosen, o),
    met: costOf(chosen, metric, o) <= target,
    accuracy: accuracyOf(chosen, o.validation),
    widths: widthsOf(chosen),
    allocation: 'uniform',
    model: chosen,
  };
}
