import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SimulationResult } from '../../jizhi-sim/core/simulation-result';
import { runUnderContention } from './contention-fixed-point';
import { ContentionLoad, REQUEST_PATH_STAGE_ID, SERVING_STAGE_ID } from './serving-pipeline';

/**
 * A stand-in for the simulator whose instance utilisation under a load is given in closed form;
 * runUnderContention reads only the stages' utilisations and mean batch (contentionLoadOf), so
 * the other fields of a result are left out.
 */
function resultWith(instance: number, loop: number): SimulationResult {
  return {
    stages: [
      { id: SERVING_STAGE_ID, utilisation: instance, meanBatchSize: 4 },
      { id: REQUEST_PATH_STAGE_ID, utilisation: loop, meanBatchSize: 1 },
    ],
  } as unknown as SimulationResult;
}

test('two instances sharing one core: the fixed point of u = a (1 + u) is a / (1 - a) (mean-value processor sharing)', () => {
  // Each instance alone would be busy a = lambda s / 2; under processor sharing on one core its
  // service stretches by 1 + (the other's busy probability) in the mean-value approximation,
  // so u = a (1 + u), whose solution is a / (1 - a): 2/3 at a = 0.4. Two passes stop at
  // a (1 + a) = 0.56.
  const a = 0.4;
  const calls: (ContentionLoad | undefined)[] = [];
  const run = (load: ContentionLoad | undefined) => {
    calls.push(load);
    return resultWith(Math.min(1, a * (1 + (load?.instanceUtilisation ?? 0))), 0.1);
  };
  const solved = runUnderContention(run, [0.3], { tolerance: 1e-4, maxPasses: 60 });
  assert.equal(solved.converged, true);
  assert.ok(Math.abs(solved.load!.instanceUtilisation - a / (1 - a)) < 1e-3);
  assert.equal(calls[0], undefined, 'the first pass is contention-free');
  assert.deepEqual(solved.load!.others, [0.3], 'the other threads are passed through');
  // The two-pass answer, for contrast: the load of the second pass is the first's utilisation.
  assert.ok(Math.abs(calls[1]!.instanceUtilisation - a) < 1e-12);
  assert.ok(solved.load!.instanceUtilisation > a * (1 + a) + 0.1);
});

test('past saturation the utilisation pins at 1 (no fixed point below it): u = min(1, a (1 + u)), a = 0.6', () => {
  const run = (load: ContentionLoad | undefined) =>
    resultWith(Math.min(1, 0.6 * (1 + (load?.instanceUtilisation ?? 0))), 0.2);
  const solved = runUnderContention(run, [], { tolerance: 1e-4, maxPasses: 60 });
  assert.equal(solved.converged, true);
  assert.ok(solved.load!.instanceUtilisation > 0.999);
});

test('no contention to solve: two passes when the first already agrees with the second', () => {
  let n = 0;
  const run = () => {
    n++;
    return resultWith(0.25, 0.05);
  };
  const solved = runUnderContention(run, []);
  assert.equal(solved.passes, 2);
  assert.equal(n, 2);
  assert.equal(solved.converged, true);
});

test('a pass budget is kept: unconverged after maxPasses simulations', () => {
  let n = 0;
  // Slowly rising: each pass moves the utilisation by 0.05.
  const run = () => resultWith(Math.min(0.9, 0.05 * ++n), 0);
  const solved = runUnderContention(run, [], { maxPasses: 4, tolerance: 0.01 });
  assert.equal(n, 4);
  assert.equal(solved.passes, 4);
  assert.equal(solved.converged, false);
});
