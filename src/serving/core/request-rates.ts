/**
 * Requests per second over a sliding window (the console's req/s column and the list's rates),
 * counted in fixed buckets so memory stays constant whatever the rate. Pure: the caller passes
 * the time (ms, monotonic), as the batcher's clock does.
 */
export interface RecentRates {
  /** The window the rates are averaged over, s (shorter while the deployment is younger). */
  windowS: number;
  servedRps: number;
  droppedRps: number;
}

export class RequestRates {
  private readonly served: Float64Array;
  private readonly dropped: Float64Array;
  /** The bucket index (time / bucketMs) each slot holds. */
  private readonly slotOf: Float64Array;
  private readonly startMs: number;

  constructor(
    nowMs: number,
    windowMs = 10_000,
    private readonly bucketMs = 1000,
  ) {
    if (!(bucketMs > 0 && windowMs >= bucketMs))
      throw new RangeError(`need 0 < bucketMs <= windowMs, got ${bucketMs}, ${windowMs}`);
    const n = Math.ceil(windowMs / bucketMs);
    this.served = new Float64Array(n);
    this.dropped = new Float64Array(n);
    this.slotOf = new Float64Array(n).fill(-1);
    this.startMs = nowMs;
  }

  record(outcome: 'served' | 'dropped', nowMs: number): void {
    const bucket = Math.floor(nowMs / this.bucketMs);
    const i = bucket % this.slotOf.length;
    if (this.slotOf[i] !== bucket) {
      this.slotOf[i] = bucket;
      this.served[i] = 0;
      this.dropped[i] = 0;
    }
    (outcome === 'served' ? this.served : this.dropped)[i]++;
  }

  /**
   * Counts of the buckets inside the window ending now, over the time they cover: the full
   * buckets plus the elapsed part of the current one, and no more than the deployment's age.
   */
  rates(nowMs: number): RecentRates {
    const current = Math.floor(nowMs / this.bucketMs);
    const n = this.slotOf.length;
    let served = 0;
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      if (this.slotOf[i] > current - n && this.slotOf[i] <= current) {
        served += this.served[i];
        dropped += this.dropped[i];
      }
    }
    const covered = (n - 1) * this.bucketMs + (nowMs - current * this.bucketMs);
    const seconds = Math.max(1e-3, Math.min(covered, nowMs - this.startMs)) / 1000;
    return { windowS: seconds, servedRps: served / seconds, droppedRps: dropped / seconds };
  }
}
