import { RandomSource } from '../sim-random';
import { TrafficModel } from './traffic-model';

/**
 * Markov-modulated Poisson process (Fischer & Meier-Hellstern 1993) for bursty traffic: phase k
 * emits Poisson arrivals at rates[k] and lasts an exponential time of mean meanDwellS[k], then
 * moves to phase k+1 (cyclically; two phases give the classic ON/OFF burst model). The first
 * phase is drawn from the stationary distribution (proportional to the mean dwell times).
 */
export class MmppTraffic implements TrafficModel {
  private phase = -1;
  private switchAt = 0;
  constructor(
    readonly rates: readonly number[],
    readonly meanDwellS: readonly number[],
  ) {
    if (rates.length < 1 || rates.length !== meanDwellS.length) {
      throw new RangeError(
        `rates and meanDwellS must be non-empty and of equal length, got ${rates.length} and ${meanDwellS.length}`,
      );
    }
    rates.forEach((r, i) => {
      if (!(r >= 0) || !Number.isFinite(r))
        throw new RangeError(`rates[${i}] must be >= 0, got ${r}`);
    });
    meanDwellS.forEach((d, i) => {
      if (!(d > 0) || !Number.isFinite(d))
        throw new RangeError(`meanDwellS[${i}] must be > 0, got ${d}`);
    });
    if (this.meanRate() <= 0) throw new RangeError('rates must not all be 0');
  }
  next(now: number, rng: RandomSource): number {
    if (this.phase < 0) {
      this.phase = stationaryPhase(this.meanDwellS, rng.float());
      this.switchAt = now + rng.exponential() * this.meanDwellS[this.phase];
    }
    let t = now;
    for (;;) {
      const rate = this.rates[this.phase];
      const cand = rate > 0 ? t + rng.exponential() / rate : Infinity;
      if (cand < this.switchAt) return cand;
      // Memorylessness lets us restart the exponential clock at the phase switch.
      t = this.switchAt;
      this.phase = (this.phase + 1) % this.rates.length;
      this.switchAt = t + rng.exponential() * this.meanDwellS[this.phase];
    }
  }
  meanRate(): number {
    let num = 0;
    let den = 0;
    for (let i = 0; i < this.rates.length; i++) {
      num += this.rates[i] * this.meanDwellS[i];
      den += this.meanDwellS[i];
    }
    return num / den;
  }
}

/** The phase found at a random time: phase k with probability proportional to its dwell time. */
function stationaryPhase(meanDwellS: readonly number[], u: number): number {
  let total = 0;
  for (const d of meanDwellS) total += d;
  let r = u * total;
  for (let i = 0; i < meanDwellS.length; i++) {
    r -= meanDwellS[i];
    if (r < 0) return i;
  }
  return meanDwellS.length - 1;
}
