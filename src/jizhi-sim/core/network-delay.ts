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

export type NetworkSpec = { delayMs: number; dist?: 'deterministic' | 'exponential' };

class FixedHop implements NetworkDelay {
  constructor(readonly meanS: number) {}
  draw(): number {
    return this.meanS;
  }
}

class ExponentialHop implements NetworkDelay {
  constructor(readonly meanS: number) {}
  draw(rng: RandomSource): number {
    return rng.exponential() * this.meanS;
  }
}

export function networkDelay(spec: NetworkSpec): NetworkDelay | undefined {
  if (spec.delayMs === 0) return undefined;
  const s = spec.delayMs / 1000;
  return spec.dist === 'exponential' ? new ExponentialHop(s) : new FixedHop(s);
}
