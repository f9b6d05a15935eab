import type { SimulationResult } from '../../jizhi-sim/core/simulation-result';
import { ContentionLoad, contentionLoadOf } from './serving-pipeline';

/**
 * A deployment simulated under the host contention its own traffic causes, solved as a fixed
 * point. Contention and utilisation feed each other: a slower batch keeps its instance busy
 * longer, which slows the event loop (and the other instances) more, which in turn ... Two
 * passes (no contention, then the first pass's utilisations) stop after one step of that
 * iteration, so they under-predict the contention, the more the busier the host (the closed
 * case in contention-fixed-point.spec.ts: 0.56 where the fixed point is 0.67). Each pass here
 * simulates with the previous pass's load (a damped mean of the last two, as successive
 * substitution on a mean-value equation is usually damped) until the instance's and the loop's
 * utilisations move less than `tolerance` (absolute), or `maxPasses` is reached.
 *
 * Utilisation rises with the slowdown and the slowdown with utilisation, so from the
 * contention-free start the iterates rise monotonically to the least fixed point when there is
 * one; past saturation the utilisations pin at 1 and the run shows the growing queue and drops.
 */
export interface ContendedRun {
  result: SimulationResult;
  /** The load `result` was simulated under (undefined: one contention-free pass). */
  load?: ContentionLoad;
  passes: number;
  converged: boolean;
}

export interface FixedPointOptions {
  /** Most simulations, the contention-free first one included (>= 2). */
  maxPasses?: number;
  /** Largest change of a utilisation between passes that counts as converged. */
  tolerance?: number;
  /** Weight of the newest pass in the next load (1 = undamped substitution). */
  damping?: number;
}

export function runUnderContention(
  run: (load: ContentionLoad | undefined) => SimulationResult,
  others: readonly number[],
  options: FixedPointOptions = {},
): ContendedRun {
  const maxPasses = Math.max(2, options.maxPasses ?? 8);
  const tolerance = options.tolerance ?? 0.01;
  const damping = options.damping ?? 0.7;
  const busy = [...others];
  let result = run(undefined);
  let load = contentionLoadOf(result, busy);
  for (let pass = 2; pass <= maxPasses; pass++) {
    result = run(load);
    const next = contentionLoadOf(result, busy);
    const moved = Math.max(
      Math.abs(next.instanceUtilisation - load.instanceUtilisation),
      Math.abs(next.eventLoopUtilisation - load.eventLoopUtilisation),
    );
    if (moved < tolerance) return { result, load, passes: pass, converged: true };
    if (pass < maxPasses) load = blend(load, next, damping);
  }
  return { result, load, passes: maxPasses, converged: false };
}

/** (1 - w) x previous + w x next, utilisations, mean batch and turn rate alike. */
function blend(prev: ContentionLoad, next: ContentionLoad, w: number): ContentionLoad {
  const mix = (a: number, b: number) => (1 - w) * a + w * b;
  // An optional figure is mixed when both passes have it, else the newest pass's is taken.
  const mixOptional = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined ? mix(a, b) : b;
  return {
    instanceUtilisation: mix(prev.instanceUtilisation, next.instanceUtilisation),
    eventLoopUtilisation: mix(prev.eventLoopUtilisation, next.eventLoopUtilisation),
    others: next.others,
    meanBatchSize: mixOptional(prev.meanBatchSize, next.meanBatchSize),
    turnsPerSecond: mixOptional(prev.turnsPerSecond, next.turnsPerSecond),
  };
}
