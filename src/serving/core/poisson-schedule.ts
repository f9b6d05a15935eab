import { Rng } from '../../platform/core/rng';

/**
 * Send times of an open-loop Poisson load: exponential inter-arrival gaps of mean 1/rate from a
 * seeded generator, in milliseconds after the start, every time in [0, durationS). The same seed
 * gives the same schedule, so two runs (or the simulator and the real server) see one trace.
 */
export function poissonSchedule(rateRps: number, durationS: number, seed = 0): Float64Array {
  if (!(rateRps > 0) || !Number.isFinite(rateRps))
    throw new RangeError(`rate must be a positive number of requests per second, got ${rateRps}`);
  if (!(durationS > 0) || !Number.isFinite(durationS))
    throw new RangeError(`duration must be a positive number of seconds, got ${durationS}`);
  if (rateRps * durationS > 10_000_000)
    throw new RangeError(
      `rate x duration asks for ${Math.round(rateRps * durationS)} requests; at most 10,000,000`,
    );
  const rng = new Rng(seed);
  const endMs = durationS * 1000;
  const meanGapMs = 1000 / rateRps;
  const out: number[] = [];
  for (let t = rng.exponential(1) * meanGapMs; t < endMs; t += rng.exponential(1) * meanGapMs)
    out.push(t);
  return Float64Array.from(out);
}
