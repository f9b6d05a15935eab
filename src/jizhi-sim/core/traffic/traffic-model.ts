import { RandomSource } from '../sim-random';

/**
 * An arrival process. `next(now, rng)` returns the absolute time (seconds) of the next arrival
 * after `now`, or Infinity when the process has no more arrivals. Instances are stateful (MMPP
 * phase, replay cursor): create a fresh one per simulation run.
 */
export interface TrafficModel {
  next(now: number, rng: RandomSource): number;
  /** Long-run mean arrival rate (requests per second), for the stability check. */
  meanRate(): number;
}
