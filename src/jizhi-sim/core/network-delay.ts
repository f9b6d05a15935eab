import type { RandomSource } from './sim-random';

/**
 * Network delay after a stage (docs/jizhi-sim.md, "Network delay"): the time from the stage's
 * end to the arrival at each next stage (or, after a sink, at the client). Hops do not queue:
 * the network is an infinite-server delay, so a Poisson stream stays Poisson across a hop
 * (a constant shift, or M/G/infinity output), and tandem closed forms just add the mean delay.
 */
export interface NetworkDelay {
  /** One hop's delay (seconds). */
  draw(rng: RandomSource): number;
  readonly meanS: number;
}

/**
 * `minMs` (exponential only): a shifted exponential, minMs + Exp(mean delayMs - minMs): a hop with
 * a floor (the wire, the parsing) and a right tail (a sender's or receiver's stalls). At most
 * delayMs (clamped); 0 or absent: the plain exponential.
 */
export type NetworkSpec = {
  delayMs: number;
  dist?: 'deterministic' | 'exponential';
  minMs?: number;
  /**
   * Stalls on top of the hop (a thread of the path waiting for a core, a GC pause): with
   * `probability` a hop also waits an exponential of mean `meanMs`. The hop's mean becomes
   * delayMs + probability x meanMs; beyond the base's spread its tail is
   * P(delay > t) ~ probability x exp(-(t - base) / meanMs).
   */
  stall?: { probability: number; meanMs: number };
};

class FixedHop implements NetworkDelay {
  constructor(readonly meanS: number) {}
  draw(): number {
    return this.meanS;
  }
}

class ExponentialHop implements NetworkDelay {
  constructor(
    readonly meanS: number,
    private readonly minS = 0,
  ) {}
  draw(rng: RandomSource): number {
    return this.minS + rng.exponential() * (this.meanS - this.minS);
  }
}

/** A hop with stalls: the base hop's draw plus, with probability p, an exponential of mean stallS. */
class StalledHop implements NetworkDelay {
  readonly meanS: number;
  constructor(
    private readonly base: NetworkDelay | undefined,
    private readonly p: number,
    private readonly stallS: number,
  ) {
    this.meanS = (base?.meanS ?? 0) + p * stallS;
  }
  draw(rng: RandomSource): number {
    const b = this.base ? this.base.draw(rng) : 0;
    return rng.float() < this.p ? b + rng.exponential() * this.stallS : b;
  }
}

export function networkDelay(spec: NetworkSpec): NetworkDelay | undefined {
  const s = spec.delayMs / 1000;
  const minS = Math.min(Math.max(0, spec.minMs ?? 0), spec.delayMs) / 1000;
  const base =
    spec.delayMs === 0
      ? undefined
      : spec.dist === 'exponential'
        ? new ExponentialHop(s, minS)
        : new FixedHop(s);
  const p = Math.min(1, Math.max(0, spec.stall?.probability ?? 0));
  const stallS = Math.max(0, spec.stall?.meanMs ?? 0) / 1000;
  return p > 0 && stallS > 0 ? new StalledHop(base, p, stallS) : base;
}
