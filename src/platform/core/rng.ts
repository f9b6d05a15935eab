/**
 * Seeded pseudo-random generator shared by every pure core.
 *
 * PCG-XSH-RR 32 (O'Neill 2014) on a 64-bit state held in two 32-bit halves so that it runs on
 * plain numbers. Same seed, same stream, on every platform. `fork(label)` derives an independent
 * stream, so components can draw without disturbing each other's sequences.
 */
export class Rng {
  private hi: number;
  private lo: number;
  private spareNormal: number | undefined;

  constructor(seed: number | string = 0) {
    const s = typeof seed === 'string' ? hashString(seed) : seed;
    if (!Number.isFinite(s)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    this.hi = (Math.floor(s / 0x100000000) ^ 0x853c49e6) >>> 0;
    this.lo = (s >>> 0) ^ 0x748fea9b;
    this.uint32();
    this.uint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const oldHi = this.hi;
    const oldLo = this.lo;
    // state = state * 6364136223846793005 + 1442695040888963407 (mod 2^64), in 16-bit limbs.
    this.step();
    const xorshifted =
      (((oldHi ^ (oldHi >>> 18)) << 5) | ((((oldHi << 14) | (oldLo >>> 18)) ^ oldLo) >>> 27)) >>> 0;
    const rot = oldHi >>> 27;
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /** Uniform integer in [low, high] (both inclusive). */
  int(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high < low) {
      throw new RangeError(`int(low, high) needs integers with low <= high, got ${low}, ${high}`);
    }
    return low + Math.floor(this.float() * (high - low + 1));
  }

  /** Standard normal (Marsaglia polar method). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * m;
    return mean + std * u * m;
  }

  /** Exponential with the given rate. */
  exponential(rate: number): number {
    return -Math.log(1 - this.float()) / rate;
  }

  /** One element of a non-empty array. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice() needs a non-empty array');
    return items[Math.floor(this.float() * items.length)];
  }

  /** Index drawn with probability proportional to weights (non-negative, not all zero). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new RangeError('weightedIndex() needs a positive total weight');
    let r = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** An independent generator derived from this one's next output and a label. */
  fork(label: string | number = ''): Rng {
    return new Rng((this.uint32() ^ hashString(String(label))) >>> 0);
  }

  private step(): void {
    // 64-bit multiply-add split into 16-bit limbs to stay exact in doubles.
    const mulHi = 0x5851f42d;
    const mulLo = 0x4c957f2d;
    const incHi = 0x14057b7e;
    const incLo = 0xf767814f;
    const lo = this.lo;
    const hi = this.hi;
    const a0 = lo & 0xffff;
    const a1 = lo >>> 16;
    const b0 = mulLo & 0xffff;
    const b1 = mulLo >>> 16;
    const c0 = a0 * b0;
    let c1 = (c0 >>> 16) + a1 * b0;
    let c2 = c1 >>> 16;
    c1 = (c1 & 0xffff) + a0 * b1;
    c2 += c1 >>> 16;
    c2 += a1 * b1;
    const newLo = (((c1 & 0xffff) << 16) | (c0 & 0xffff)) >>> 0;
    const newHi = (c2 + Math.imul(hi, mulLo) + Math.imul(lo, mulHi)) >>> 0;
    const sumLo = newLo + incLo;
    this.lo = sumLo >>> 0;
    this.hi = (newHi + incHi + (sumLo > 0xffffffff ? 1 : 0)) >>> 0;
  }
}

/** FNV-1a 32-bit hash, used to turn string seeds and labels into numbers. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
