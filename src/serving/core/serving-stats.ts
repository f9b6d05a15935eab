import { DROP_REASONS, type DropReason } from './batcher';

/** Latencies kept for the quantiles of a snapshot: the most recent ones. */
export const LATENCY_WINDOW = 8192;

export interface BatchSizeStats {
  batches: number;
  /** Mean, p50 and p99 service time (dispatch to result, ms) over the recent batches of this size. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ServingSnapshot {
  queueLength: number;
  instances: number;
  busyInstances: number;
  requests: { served: number; dropped: number };
  drops: Record<DropReason, number>;
  /** Batches sent, by size. */
  batchSizes: Record<number, number>;
  serviceMsByBatchSize: Record<number, BatchSizeStats>;
  /** End-to-end latency (queue + service) over the last LATENCY_WINDOW served requests, ms. */
  latencyMs: { count: number; mean: number; p50: number; p95: number; p99: number; max: number };
  queueMs: { mean: number; p99: number };
}

/** The nearest-rank quantile of sorted values (Hyndman & Fan type 1); 0 for none. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** A ring of the last `size` values. */
class Ring {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  push(v: number): void {
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.values.length;
    this.filled = Math.min(this.filled + 1, this.values.length);
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.filled).sort();
  }
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? 0 : s / xs.length;
}

/** Counters and recent-value windows of one deployment (pure; the runtime feeds it). */
export class ServingStats {
  private served = 0;
  private readonly drops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<
    DropReason,
    number
  >;
  private readonly batches = new Map<number, { count: number; service: Ring }>();
  private readonly latency = new Ring(LATENCY_WINDOW);
  private readonly queueWait = new Ring(LATENCY_WINDOW);

  batch(size: number, serviceMs: number): void {
    let b = this.batches.get(size);
    if (!b) {
      b = { count: 0, service: new Ring(1024) };
      this.batches.set(size, b);
    }
    b.count++;
    b.service.push(serviceMs);
  }

  request(queueMs: number, serviceMs: number): void {
    this.served++;
    this.latency.push(queueMs + serviceMs);
    this.queueWait.push(queueMs);
  }

  drop(reason: DropReason): void {
    this.drops[reason]++;
  }

  snapshot(live: {
    queueLength: number;
    instances: number;
    busyInstances: number;
  }): ServingSnapshot {
    const lat = this.latency.sorted();
    const wait = this.queueWait.sorted();
    const sizes = [...this.batches.keys()].sort((a, b) => a - b);
    return {
      ...live,
      requests: {
        served: this.served,
        dropped: Object.values(this.drops).reduce((a, b) => a + b, 0),
      },
      drops: { ...this.drops },
      batchSizes: Object.fromEntries(sizes.map((s) => [s, this.batches.get(s)?.count ?? 0])),
      serviceMsByBatchSize: Object.fromEntries(
        sizes.map((s) => {
          const b = this.batches.get(s) as { count: number; service: Ring };
          const sorted = b.service.sorted();
          return [
            s,
            {
              batches: b.count,
              meanMs: mean(sorted),
              p50Ms: quantileSorted(sorted, 0.5),
              p99Ms: quantileSorted(sorted, 0.99),
            },
          ];
        }),
      ),
      latencyMs: {
        count: lat.length,
        mean: mean(lat),
        p50: quantileSorted(lat, 0.5),
        p95: quantileSorted(lat, 0.95),
        p99: quantileSorted(lat, 0.99),
        max: lat.length === 0 ? 0 : lat[lat.length - 1],
      },
      queueMs: { mean: mean(wait), p99: quantileSorted(wait, 0.99) },
    };
  }
}
