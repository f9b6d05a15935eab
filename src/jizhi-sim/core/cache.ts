import { RandomSource } from './sim-random';

/**
 * A cache in front of a stage: a hit skips the stage's queue and service. Two models:
 * a fixed hit ratio, or an LRU cache of `capacity` entries over keys drawn from a Zipf(s)
 * popularity law on `keys` items.
 */
export interface CacheModel {
  /** Look up one request; true on a hit (an LRU also inserts the key on a miss). */
  lookup(rng: RandomSource): boolean;
  /** Long-run hit ratio, used for the stability check before simulating. */
  expectedHitRatio(): number;
}

export class HitRatioCache implements CacheModel {
  constructor(private readonly hitRatio: number) {
    if (!(hitRatio >= 0 && hitRatio <= 1))
      throw new RangeError(`hitRatio must be in [0, 1], got ${hitRatio}`);
  }
  lookup(rng: RandomSource): boolean {
    return rng.float() < this.hitRatio;
  }
  expectedHitRatio(): number {
    return this.hitRatio;
  }
}

/** LRU over Zipf-distributed keys: a doubly linked list in typed arrays, key -> slot index. */
export class LruZipfCache implements CacheModel {
  private readonly zipf: ZipfSampler;
  private readonly slotOfKey: Int32Array;
  private readonly keyOfSlot: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  private used = 0;

  constructor(
    readonly capacity: number,
    readonly keys: number,
    readonly zipfS: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new RangeError(`capacity must be an integer >= 0, got ${capacity}`);
    if (!Number.isInteger(keys) || keys < 1)
      throw new RangeError(`keys must be an integer >= 1, got ${keys}`);
    if (!(zipfS >= 0)) throw new RangeError(`zipfS must be >= 0, got ${zipfS}`);
    this.zipf = new ZipfSampler(keys, zipfS);
    this.slotOfKey = new Int32Array(keys).fill(-1);
    const c = Math.min(capacity, keys);
    this.keyOfSlot = new Int32Array(c);
    this.prev = new Int32Array(c);
    this.next = new Int32Array(c);
  }

  lookup(rng: RandomSource): boolean {
    const key = this.zipf.sample(rng) - 1;
    const cap = this.keyOfSlot.length;
    if (cap === 0) return false;
    const slot = this.slotOfKey[key];
    if (slot >= 0) {
      this.unlink(slot);
      this.pushFront(slot);
      return true;
    }
    let s: number;
    if (this.used < cap) {
      s = this.used++;
    } else {
      s = this.tail;
      this.unlink(s);
      this.slotOfKey[this.keyOfSlot[s]] = -1;
    }
    this.keyOfSlot[s] = key;
    this.slotOfKey[key] = s;
    this.pushFront(s);
    return false;
  }

  /**
   * Che's approximation of the LRU hit ratio (Che, Tung, Wang 2002; Fricker et al. 2012):
   * the characteristic time T solves sum_i (1 - e^{-p_i T}) = C, and hit = sum_i p_i (1 - e^{-p_i T}).
   * The left side is concave and increasing in T, so Newton's method from T = C (<= the root)
   * climbs monotonically to it. Memoised per (capacity, keys, s): the tuner asks repeatedly.
   */
  expectedHitRatio(): number {
    const c = Math.min(this.capacity, this.keys);
    if (c === 0) return 0;
    if (c >= this.keys) return 1;
    const memoKey = `${c}:${this.keys}:${this.zipfS}`;
    const known = CHE_MEMO.get(memoKey);
    if (known !== undefined) return known;
    const probs = zipfProbabilities(this.keys, this.zipfS);
    let t = c;
    for (let it = 0; it < 200; it++) {
      let f = -c;
      let df = 0;
      for (let i = 0; i < probs.length; i++) {
        const p = probs[i];
        const e = Math.exp(-p * t);
        f += 1 - e;
        df += p * e;
      }
      const step = f / df;
      t -= step;
      if (Math.abs(step) <= 1e-9 * t) break;
    }
    let hit = 0;
    for (let i = 0; i < probs.length; i++) {
      const p = probs[i];
      hit += p * (1 - Math.exp(-p * t));
    }
    if (CHE_MEMO.size >= 256) CHE_MEMO.clear();
    CHE_MEMO.set(memoKey, hit);
    return hit;
  }

  private unlink(s: number): void {
    const p = this.prev[s];
    const n = this.next[s];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private pushFront(s: number): void {
    this.prev[s] = -1;
    this.next[s] = this.head;
    if (this.head >= 0) this.prev[this.head] = s;
    this.head = s;
    if (this.tail < 0) this.tail = s;
  }
}

const CHE_MEMO = new Map<string, number>();

/** Zipf(s) probabilities of ranks 1..n (rank i has weight i^-s). */
export function zipfProbabilities(n: number, s: number): Float64Array {
  const p = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    p[i] = Math.pow(i + 1, -s);
    acc += p[i];
  }
  for (let i = 0; i < n; i++) p[i] /= acc;
  return p;
}

/**
 * Zipf(s) ranks 1..n in O(1) expected time without tables: rejection-inversion of Hörmann &
 * Derflinger (1996), as in Apache Commons Math's ZipfRejectionInversionSampler. s = 0 is uniform.
 */
export class ZipfSampler {
  private readonly hIntegralX1: number;
  private readonly hIntegralN: number;
  private readonly squeeze: number;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  sample(rng: RandomSource): number {
    if (this.s === 0) return 1 + Math.floor(rng.float() * this.n);
    for (;;) {
      const u = this.hIntegralN + rng.float() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }

  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return helper2((1 - this.s) * logX) * logX;
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  }
}

/** log1p(x) / x, continuous at 0. */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x) / x, continuous at 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}
