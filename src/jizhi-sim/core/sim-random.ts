import { Rng } from '../../platform/core/rng';

/** What the simulator's models draw from: uniforms in [0, 1), standard normals and exponentials. */
export interface RandomSource {
  float(): number;
  normal(): number;
  /** Exponential with mean 1 (scale it by the mean you need). */
  exponential(): number;
}

/*
 * Tables of Marsaglia & Tsang's ziggurat for the exponential ("The ziggurat method for generating
 * random variables", J. Stat. Softw. 5(8), 2000; their REXP with 256 layers). 99% of draws take one
 * 32-bit integer, a table look-up and a multiply: no logarithm, which was the costliest step of
 * every arrival and every exponential service time.
 */
const ZIG_KE = new Uint32Array(256);
const ZIG_WE = new Float64Array(256);
const ZIG_FE = new Float64Array(256);
const ZIG_R = 7.697117470131487;
(function buildZigguratTables(): void {
  const m2 = 4294967296;
  const ve = 3.949659822581572e-3;
  let de = ZIG_R;
  let te = de;
  const q = ve / Math.exp(-de);
  ZIG_KE[0] = Math.floor((de / q) * m2);
  ZIG_KE[1] = 0;
  ZIG_WE[0] = q / m2;
  ZIG_WE[255] = de / m2;
  ZIG_FE[0] = 1;
  ZIG_FE[255] = Math.exp(-de);
  for (let i = 254; i >= 1; i--) {
    de = -Math.log(ve / de + Math.exp(-de));
    ZIG_KE[i + 1] = Math.floor((de / te) * m2);
    te = de;
    ZIG_FE[i] = Math.exp(-de);
    ZIG_WE[i] = de / m2;
  }
})();

/**
 * The event loop's random streams: xoshiro128** (Blackman & Vigna 2018), seeded from the
 * platform's PCG `Rng` (so a simulation seed still fixes every draw). The platform generator emulates
 * 64-bit arithmetic in 16-bit limbs and costs ~50 ns a uniform here; the simulator draws two or
 * more per request, which made random numbers a third of an M/M/c run. xoshiro128** needs only
 * 32-bit shifts, xors and one Math.imul: ~5 ns a draw, and it passes BigCrush.
 */
export class SimRandom implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = NaN;

  constructor(seedFrom: Rng) {
    this.s0 = seedFrom.uint32() | 0;
    this.s1 = seedFrom.uint32() | 0;
    this.s2 = seedFrom.uint32() | 0;
    this.s3 = seedFrom.uint32() | 0;
    // The all-zero state is the generator's only fixed point.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed signed 32-bit integer (the raw output). */
  private next(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Exponential of mean 1 by the ziggurat (see the tables above). */
  exponential(): number {
    let jz = this.next() >>> 0;
    let iz = jz & 255;
    if (jz < ZIG_KE[iz]) return jz * ZIG_WE[iz];
    for (;;) {
      // The base strip's tail is exponential again beyond ZIG_R (memorylessness).
      if (iz === 0) return ZIG_R - Math.log(1 - this.float());
      const x = jz * ZIG_WE[iz];
      if (ZIG_FE[iz] + this.float() * (ZIG_FE[iz - 1] - ZIG_FE[iz]) < Math.exp(-x)) return x;
      jz = this.next() >>> 0;
      iz = jz & 255;
      if (jz < ZIG_KE[iz]) return jz * ZIG_WE[iz];
    }
  }

  /** Standard normal (Marsaglia polar method, the spare kept for the next call). */
  normal(): number {
    const spare = this.spareNormal;
    if (spare === spare) {
      this.spareNormal = NaN;
      return spare;
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
    return u * m;
  }
}
