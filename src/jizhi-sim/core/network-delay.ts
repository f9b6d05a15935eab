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

export function networkDelay(spec: NetworkSpec): NetworkDelay | undefined {
  if (spec.delayMs === 0) return undefined;
  const s = spec.delayMs / 1000;
  const minS = Math.min(Math.max(0, spec.minMs ?? 0), spec.delayMs) / 1000;
  return spec.dist === 'exponential' ? new ExponentialHop(s, minS) : new FixedHop(s);
}
