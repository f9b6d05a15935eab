/**
 * How the console's plots cut a parameter's axis into bins (slice bins, contour cells), so that
 * the SQL that counts trials per bin and the axis that labels the bins agree.
 *
 * - A categorical parameter: one bin per choice.
 * - An integer parameter, or a float with a step, with no more values than the bins asked for:
 *   one bin per value, so `layers` in 1..4 is four rows labelled 1, 2, 3, 4, as Optuna's contour
 *   and slice plots show an int parameter, not 25 rows labelled 1.06, 1.18, ... of which 21 are
 *   empty.
 * - Any other range: `requested` equal bins between low and high (of ln values for a log
 *   distribution).
 */
import type { CategoricalChoice, Distribution } from './distributions';

export type PlotBins =
  | { kind: 'choices'; count: number; choices: readonly CategoricalChoice[] }
  | { kind: 'values'; count: number; low: number; step: number }
  | { kind: 'ranges'; count: number; lo: number; hi: number; log: boolean };

export function plotBins(dist: Distribution, requested: number): PlotBins {
  if (dist.type === 'categorical')
    return { kind: 'choices', count: dist.choices.length, choices: dist.choices };
  const step = dist.step;
  if (step !== undefined && step > 0) {
    // (high - low) / step is a whole number up to float rounding: 0.3 / 0.1 is 2.9999999999999996.
    const values = Math.floor((dist.high - dist.low) / step + 1e-9) + 1;
    if (values <= requested) return { kind: 'values', count: values, low: dist.low, step };
  }
  const log = dist.log && dist.low > 0;
  return {
    kind: 'ranges',
    count: requested,
    lo: log ? Math.log(dist.low) : dist.low,
    hi: log ? Math.log(dist.high) : dist.high,
    log,
  };
}

/** The parameter value bin `bin` (1-based) stands for: its choice, its value, or its middle. */
export function binCenter(bins: PlotBins, bin: number): unknown {
  switch (bins.kind) {
    case 'choices':
      return bins.choices[bin - 1];
    case 'values':
      return bins.low + (bin - 1) * bins.step;
    case 'ranges': {
      const mid = bins.lo + ((bin - 0.5) * (bins.hi - bins.lo)) / bins.count;
      return bins.log ? Math.exp(mid) : mid;
    }
  }
}

/** Every bin's label, in bin order (a contour's axis). */
export function binTicks(bins: PlotBins): unknown[] {
  return Array.from({ length: bins.count }, (_, i) => binCenter(bins, i + 1));
}
