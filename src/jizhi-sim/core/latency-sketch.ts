/**
 * Streaming latency quantiles with a bounded relative error: DDSketch (Masson, Rim & Lee, "DDSketch:
 * a fast and fully-mergeable quantile sketch with relative-error guarantees", VLDB 2019), with its
 * logarithmic mapping and a dense, growing bucket store.
 *
 * Buckets are geometric: each spans a ratio of at most gamma = (1 + a) / (1 - a) and answers the
 * value v = 2 lo hi / (lo + hi) of its ends, within a relative error a of every value in it. The
 * bucket of x is found without a logarithm, by DDSketch's linearly interpolated mapping: with
 * x = m 2^e (m in [1, 2), read from the float's bits) A(x) = e + m - 1 is a monotone
 * approximation of log2 x whose slope is at least ln 2 times that of log2 x, so buckets of width
 * ln(gamma) in A span at most a ratio gamma. So the value of any rank is known within a: quantiles need no sort and no
 * per-request memory (a run of 50 million requests used to keep and sort 400 MB of latencies).
 * Sketches with the same accuracy merge exactly (bucket counts add), which pools the latencies
 * of several simulation seeds. Count, sum, min and max are kept exactly; estimates are clamped
 * to [min, max], so a constant latency is reported exactly.
 *
 * The implementation is ours rather than @datadog/sketches-js: the same algorithm in ~100 lines
 * on one Float64Array, with no protobuf dependency, and it sits in the simulator's hot path.
 */
// A double's high word holds its sign, exponent and top 20 mantissa bits; where it sits in
// memory depends on the platform's byte order.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
F64[0] = 2;
const HI = U32[1] === 0x40000000 ? 1 : 0;
const LO = 1 - HI;

export class LatencySketch {
  /** Values at or below this are counted as zero (a latency below a picosecond is none). */
  static readonly MIN_POSITIVE = 1e-12;
  /** Buckets per unit of A(x), the approximate log2 (see above). */
  private readonly multiplier: number;
  private counts = new Float64Array(0);
  /** Bucket key of counts[0]. */
  private offset = 0;
  private zeroCount = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly relativeAccuracy = 0.001) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1))
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
    this.multiplier = 1 / Math.log((1 + relativeAccuracy) / (1 - relativeAccuracy));
  }

  add(x: number): void {
    this.count++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x <= LatencySketch.MIN_POSITIVE) {
      this.zeroCount++;
      return;
    }
    F64[0] = x;
    const hi = U32[HI];
    // A(x) = e + (m - 1): the unbiased exponent plus the mantissa's fraction.
    const approxLog2 = (hi >>> 20) - 1023 + (hi & 0xfffff) / 1048576 + U32[LO] / 4503599627370496;
    const k = Math.ceil(approxLog2 * this.multiplier);
    let i = k - this.offset;
    if (i < 0 || i >= this.counts.length) i = this.cover(k);
    this.counts[i]++;
  }

  /** Adds values[0..n) (one call for many: doubles in a typed array are never boxed). */
  addAll(values: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) this.add(values[i]);
  }

  /** Adds another sketch's values (same relative accuracy: the buckets must coincide). */
  merge(other: LatencySketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy)
      throw new RangeError(
        `cannot merge a sketch of accuracy ${other.relativeAccuracy} into one of ${this.relativeAccuracy}`,
      );
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    for (let j = 0; j < other.counts.length; j++) {
      const c = other.counts[j];
      if (c === 0) continue;
      const k = other.offset + j;
      let i = k - this.offset;
      if (i < 0 || i >= this.counts.length) i = this.cover(k);
      this.counts[i] += c;
    }
  }

  /**
   * The q-quantile as numpy's default (Hyndman & Fan type 7: linear between the values of ranks
   * floor and ceil of q (n - 1)), each value known within the relative accuracy; 0 when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const x = q * (this.count - 1);
    const lo = Math.floor(x);
    const a = this.valueAtRank(lo);
    return lo + 1 < this.count && x > lo ? a + (x - lo) * (this.valueAtRank(lo + 1) - a) : a;
  }

  /** The value of 0-based rank r (r-th smallest), within the relative accuracy (min, max exact). */
  valueAtRank(r: number): number {
    // The extremes are known exactly.
    if (r <= 0) return this.min;
    if (r >= this.count - 1) return this.max;
    let seen = this.zeroCount;
    if (r < seen) return this.clamp(0);
    for (let j = 0; j < this.counts.length; j++) {
      seen += this.counts[j];
      if (r < seen) return this.clamp(this.bucketValue(this.offset + j));
    }
    return this.max;
  }

  /** Every non-empty bucket in increasing order as (representative value, count). */
  forEachBucket(f: (value: number, count: number) => void): void {
    if (this.zeroCount > 0) f(this.clamp(0), this.zeroCount);
    for (let j = 0; j < this.counts.length; j++)
      if (this.counts[j] > 0) f(this.clamp(this.bucketValue(this.offset + j)), this.counts[j]);
  }

  /** Bucket k holds A(x) in ((k - 1) / multiplier, k / multiplier]; answer its ends' v. */
  private bucketValue(k: number): number {
    const lo = inverseApproxLog2((k - 1) / this.multiplier);
    const hi = inverseApproxLog2(k / this.multiplier);
    return (2 * lo * hi) / (lo + hi);
  }

  private clamp(v: number): number {
    return v < this.min ? this.min : v > this.max ? this.max : v;
  }

  /** Grow the store (with slack on the side that grew) so key k has a slot; returns its index. */
  private cover(k: number): number {
    const n = this.counts.length;
    if (n === 0) {
      this.counts = new Float64Array(64);
      this.offset = k - 32;
      return 32;
    }
    const lo = Math.min(this.offset, k);
    const hi = Math.max(this.offset + n - 1, k);
    const span = hi - lo + 1;
    const size = Math.max(span + 64, 2 * n);
    // Slack goes where the new key is: latencies spread upwards far more often than down.
    const newOffset = k < this.offset ? hi - size + 1 : lo;
    const grown = new Float64Array(size);
    grown.set(this.counts, this.offset - newOffset);
    this.counts = grown;
    this.offset = newOffset;
    return k - newOffset;
  }
}

/** The x with A(x) = y: e = floor(y), x = (1 + y - e) 2^e. */
function inverseApproxLog2(y: number): number {
  const e = Math.floor(y);
  return (1 + y - e) * Math.pow(2, e);
}
