import { RandomSource } from '../sim-random';
import { TrafficModel } from './traffic-model';

/** Homogeneous Poisson arrivals: exponential inter-arrival times with the given rate. */
export class PoissonTraffic implements TrafficModel {
  constructor(readonly rateRps: number) {
    if (!(rateRps > 0) || !Number.isFinite(rateRps))
      throw new RangeError(`rateRps must be > 0, got ${rateRps}`);
  }
  next(now: number, rng: RandomSource): number {
    return now + rng.exponential() / this.rateRps;
  }
  meanRate(): number {
    return this.rateRps;
  }
}
