import { Rng } from '../../../platform/core/rng';
import { TrafficModel } from './traffic-model';

/** Homogeneous Poisson arrivals: exponential inter-arrival times with the given rate. */
export class PoissonTraffic implements TrafficModel {
  constructor(readonly rateRps: number) {
    if (!(rateRps > 0) || !Number.isFinite(rateRps))
      throw new RangeError(`rateRps must be > 0, got ${rateRps}`);
  }
  next(now: number, rng: Rng): number {
    return now - Math.log(1 - rng.float()) / this.rateRps;
  }
  meanRate(): number {
    return this.rateRps;
  }
}
