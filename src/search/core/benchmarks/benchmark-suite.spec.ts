import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contains } from '../distributions';
import { BENCHMARK_SUITE, FORMULAS } from './benchmark-suite';
import { Rng } from '../../../platform/core/rng';
import { sampleUniform } from '../samplers/random';

// Reference: Surjanovic & Bingham, Virtual Library of Simulation Experiments
// (https://www.sfu.ca/~ssurjano/optimization.html), the published optima (rounded there).
describe('benchmark suite (known optima from the Virtual Library of Simulation Experiments)', () => {
  for (const p of BENCHMARK_SUITE) {
    test(`${p.name}: f(argmin) = f*, f* matches the literature, argmin lies in the space`, () => {
      const f = FORMULAS[p.formula](p.argmin);
      assert.ok(Math.abs(f - p.optimum) < 1e-9, `${p.name}: f(argmin) = ${f}, f* = ${p.optimum}`);
      assert.ok(
        Math.abs(p.optimum - p.literatureOptimum) <= 1e-5 * Math.max(1, Math.abs(p.optimum)),
        `${p.name}: ${p.optimum} vs literature ${p.literatureOptimum}`,
      );
      assert.equal(p.argmin.length, p.space.length);
      p.space.forEach((s, i) =>
        assert.ok(contains(s.distribution, p.argmin[i]), `${p.name}.${s.name} = ${p.argmin[i]}`),
      );
    });

    test(`${p.name}: no point of the space beats f* (10,000 random points)`, () => {
      const rng = new Rng(p.name);
      for (let k = 0; k < 10000; k++) {
        const x = p.space.map((s) => sampleUniform(rng, s.distribution) as number);
        assert.ok(FORMULAS[p.formula](x) >= p.optimum - 1e-9, `${p.name} at ${x}`);
      }
    });
  }

  test('Branin has its three global minima at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475)', () => {
    for (const x of [
      [-Math.PI, 12.275],
      [Math.PI, 2.275],
      [9.42478, 2.475],
    ])
      assert.ok(Math.abs(FORMULAS.branin(x) - 0.397887) < 1e-5, String(x));
  });
});
