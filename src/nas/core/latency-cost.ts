/**
 * Cost models of a candidate: parameters and exact FLOPs from src/ml/flops.ts (one multiply-add =
 * 2 FLOPs, see its header), and measured inference latency on the running backend (median of
 * timed batches) cached per architecture, so each architecture is timed once per run.
 */
import * as tf from '@tensorflow/tfjs';
import { modelCost } from '../../ml/flops';
import { LatencyOptions, measureLatency } from '../../ml/latency';
import { hashString } from '../../platform/core/rng';
import { canonicalJson } from './spaces/architecture-space';

export const COST_METRICS = ['params', 'flops', 'latencyMs'] as const;
export type CostMetric = (typeof COST_METRICS)[number];

export interface ArchitectureCost {
  params: number;
  flops: number;
  /** Median latency of one batch in ms; measured only when an objective or constraint uses it. */
  latencyMs?: number;
}

/** Parameters and FLOPs of one example's forward pass. */
export function staticCost(model: tf.LayersModel): { params: number; flops: number } {
  const c = modelCost(model);
  return { params: c.params, flops: c.flops };
}

/**
 * A stable key for an architecture in a given setting: space type and config, encoding and input
 * shape (latency depends on all of them), hashed from canonical JSON.
 */
export function architectureKey(parts: {
  type: string;
  config: object;
  encoding: unknown;
  inputShape: readonly number[];
}): string {
  const json = canonicalJson(parts);
  return `${parts.type}:${hashString(json).toString(16)}:${json.length}`;
}

/**
 * Latency per architecture key, measured once (the first time the key is asked for). The
 * measuring function is injectable (tests count calls; the default times `measureLatency` with
 * the given options and takes the median).
 */
export class LatencyCache {
  private readonly cache = new Map<string, number>();
  private readonly measure: (model: tf.LayersModel) => number;
  measurements = 0;

  constructor(
    options: LatencyOptions = { batchSize: 1, runs: 10, warmup: 2 },
    measure?: (model: tf.LayersModel) => number,
  ) {
    this.measure = measure ?? ((m) => measureLatency(m, options).medianMs);
  }

  latency(key: string, model: tf.LayersModel): number {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const ms = this.measure(model);
    this.measurements++;
    this.cache.set(key, ms);
    return ms;
  }

  get size(): number {
    return this.cache.size;
  }
}
