import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withLeakCheck } from '../../ml/testing';
import { Rng } from '../../platform/core/rng';
import { dominates, toMinimize } from '../../search/core/multi-objective';
import { modelCost } from '../../ml/cost';
import { LatencyCache } from '../core/latency-cost';
import { NasData, runNas } from './run-nas';
import { CellCnnSpace } from '../core/spaces/cell-cnn';
import { MlpSpace } from '../core/spaces/mlp';

/** Three classes of 8x8 images: a bright top, middle or bottom band plus noise (learnable fast). */
function bands(n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const rng = new Rng(seed);
  const px = new Float32Array(n * 64);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(c);
    for (let r = 0; r < 8; r++)
      for (let q = 0; q < 8; q++)
        px[i * 64 + r * 8 + q] = (Math.floor(r / 3) === c ? 1 : 0) + rng.normal(0, 0.3);
  }
  return { x: tf.tensor4d(px, [n, 8, 8, 1]), y: tf.tensor1d(labels, 'int32') };
}

const space = new CellCnnSpace({ baseWidth: 4, maxBlocks: 3 });
let data: NasData;

describe('NAS driver', () => {
  before(() => {
    data = { train: bands(45, 1), validation: bands(30, 2), inputShape: [8, 8, 1], numClasses: 3 };
  });
  after(() => tf.dispose([data.train.x, data.train.y, data.validation.x, data.validation.y]));

  test('a tiny study completes for random, TPE and evolution; leaderboard best first; no leaks', async () => {
    for (const name of ['random', 'tpe', 'regularized-evolution']) {
      const r = await withLeakCheck(() =>
        runNas({
          space,
          data,
          strategy: { name, settings: name === 'tpe' ? { nStartupTrials: 2 } : {} },
          objective: { kind: 'accuracy' },
          budget: { trials: 4, epochsPerTrial: 1, batchSize: 16 },
          seed: 3,
        }),
      );
      assert.equal(r.trials.length, 4, name);
      assert.ok(r.trials.every((t) => t.state === 'complete' && t.epochsTrained === 1));
      const acc = r.leaderboard.map((t) => t.accuracy as number);
      assert.deepEqual(
        acc,
        [...acc].sort((a, b) => b - a),
      );
      assert.equal(r.best?.number, r.leaderboard[0].number);
      // The recorded encoding is valid and its cost is the compiled model's.
      for (const t of r.trials) space.validate(t.encoding);
    }
  });

  test('the same seed gives the same study: encodings, costs and accuracies (evolution)', async () => {
    const run = () =>
      runNas({
        space,
        data,
        strategy: { name: 'regularized-evolution', settings: { populationSize: 2, sampleSize: 2 } },
        objective: { kind: 'accuracy' },
        budget: { trials: 4, epochsPerTrial: 1, batchSize: 16 },
        seed: 11,
      });
    const strip = (r: Awaited<ReturnType<typeof run>>) =>
      r.trials.map((t) => [t.encoding, t.cost.flops, t.accuracy, t.parent ?? null]);
    assert.deepEqual(strip(await run()), strip(await run()));
  });

  test('a FLOPs budget is met by every trial: over-budget candidates are re-drawn, never trained', async () => {
    const flopsMax = 60_000;
    const run = (constraints: { metric: 'flops'; max: number }[]) =>
      runNas({
        space,
        data,
        strategy: { name: 'random' },
        objective: { kind: 'accuracy' },
        constraints,
        budget: { trials: 8, epochsPerTrial: 1, batchSize: 16 },
        seed: 5,
      });
    // The same seed without the budget: some candidates break it (so the budget is not vacuous).
    const free = await run([]);
    assert.ok(
      free.trials.some((t) => t.cost.flops > flopsMax),
      'the budget splits the space',
    );
    const r = await run([{ metric: 'flops', max: flopsMax }]);
    // All 8 trials of the budget are spent on candidates within it, each trained and feasible.
    assert.deepEqual(
      r.trials.map((t) => t.number),
      [...Array(8).keys()],
    );
    for (const t of r.trials) {
      assert.ok(t.cost.flops <= flopsMax, `trial ${t.number}: ${t.cost.flops} FLOPs`);
      assert.equal(t.state, 'complete');
      assert.equal(t.epochsTrained, 1);
      assert.equal(t.feasible, true);
    }
    assert.ok(r.counts.rejectedDraws > 0, 'over-budget draws were refused');
    assert.deepEqual(
      { ...r.counts, rejectedDraws: 0 },
      {
        complete: 8,
        infeasible: 0,
        pruned: 0,
        failed: 0,
        rejectedDraws: 0,
      },
    );
    assert.equal(r.leaderboard.length, 8);
    assert.ok(r.best && r.best.cost.flops <= flopsMax);
  });

  test('a latency budget (measured, not computable when drawing): violators are trained and recorded infeasible', async () => {
    // Fake latency: 1 ms per 10k FLOPs, so the budget splits this space deterministically.
    const latency = new LatencyCache(undefined, (m) => modelCost(m).flops / 10_000);
    const maxMs = 6;
    const r = await runNas({
      space,
      data,
      strategy: { name: 'random' },
      objective: { kind: 'accuracy' },
      constraints: [{ metric: 'latencyMs', max: maxMs }],
      budget: { trials: 8, epochsPerTrial: 1, batchSize: 16 },
      seed: 5,
      latency,
    });
    const infeasible = r.trials.filter((t) => (t.cost.latencyMs as number) > maxMs);
    assert.ok(infeasible.length > 0 && infeasible.length < 8, `${infeasible.length} infeasible`);
    for (const t of r.trials) {
      // Optuna's semantics: trained, real values, constraint value latency - max stored.
      assert.equal(t.state, 'complete');
      assert.equal(t.epochsTrained, 1);
      assert.equal(t.feasible, (t.cost.latencyMs as number) <= maxMs);
      assert.deepEqual(t.constraints, [(t.cost.latencyMs as number) - maxMs]);
      assert.equal((t.values as number[])[0], t.accuracy);
    }
    assert.equal(r.counts.infeasible, infeasible.length);
    assert.equal(r.counts.complete, 8 - infeasible.length);
    // The leaderboard lists every complete trial: feasible ones first (best first), then the
    // infeasible ones by violation; best and front are feasible only.
    assert.equal(r.leaderboard.length, 8);
    const k = 8 - infeasible.length;
    assert.ok(r.leaderboard.slice(0, k).every((t) => t.feasible));
    const tail = r.leaderboard.slice(k);
    assert.ok(tail.every((t) => !t.feasible));
    const v = tail.map((t) => (t.constraints as number[])[0]);
    assert.deepEqual(
      v,
      [...v].sort((a, b) => a - b),
    );
    assert.ok(r.best?.feasible);
    assert.ok(r.paretoFront.length > 0 && r.paretoFront.every((t) => t.feasible));
  });

  test('multi-objective evolution: children mutate a parent, inherit its matching layers; the front is non-dominated', async () => {
    const r = await runNas({
      space,
      data,
      strategy: { name: 'regularized-evolution', settings: { populationSize: 2, sampleSize: 2 } },
      objective: { kind: 'multi', costs: ['flops'] },
      budget: { trials: 6, epochsPerTrial: 1, batchSize: 16 },
      seed: 7,
    });
    const children = r.trials.filter((t) => t.parent !== undefined);
    assert.ok(children.length >= 3);
    for (const c of children) {
      assert.ok(c.mutation && c.mutation.length > 0);
      // The stem never changes shape in this space, so it is always inherited.
      assert.ok(c.inheritedLayers.includes('stem'), `trial ${c.number}: ${c.inheritedLayers}`);
    }
    assert.deepEqual(r.directions, ['maximize', 'minimize']);
    const pts = r.paretoFront.map((t) => toMinimize(t.values as number[], r.directions));
    for (const a of pts) for (const b of pts) assert.ok(!dominates(a, b));
    // Every feasible complete trial off the front is dominated by (or equal to) a front member.
    for (const t of r.leaderboard.filter((x) => !r.paretoFront.includes(x))) {
      const v = toMinimize(t.values as number[], r.directions);
      assert.ok(
        pts.some((p) => dominates(p, v) || p.every((x, i) => x === v[i])),
        `trial ${t.number}`,
      );
    }
  });

  test('scalarised accuracy - lambda * latency uses the latency cache once per architecture', async () => {
    const mlp = new MlpSpace({ maxLayers: 1, units: [16], activations: ['relu'], dropouts: [0] });
    let measured = 0;
    const latency = new LatencyCache(undefined, () => {
      measured++;
      return 5;
    });
    const tab: NasData = {
      train: { x: data.train.x.reshape([45, 64]), y: data.train.y },
      validation: { x: data.validation.x.reshape([30, 64]), y: data.validation.y },
      inputShape: [64],
      numClasses: 3,
    };
    const r = await runNas({
      space: mlp,
      data: tab,
      strategy: { name: 'random' },
      objective: { kind: 'scalarised', cost: 'latencyMs', lambda: 0.01 },
      budget: { trials: 3, epochsPerTrial: 1 },
      latency,
    });
    // The space has exactly one architecture: measured once, cached for the other two trials.
    assert.equal(measured, 1);
    for (const t of r.trials) {
      assert.equal(t.cost.latencyMs, 5);
      assert.ok(Math.abs((t.values as number[])[0] - ((t.accuracy as number) - 0.05)) < 1e-12);
    }
    tf.dispose([tab.train.x, tab.validation.x]);
  });

  test('ASHA stops poor candidates early (multi-fidelity over epochs); cancellation stops the study', async () => {
    const mlp = new MlpSpace({ maxLayers: 2 });
    const flat = (s: { x: tf.Tensor; y: tf.Tensor }): { x: tf.Tensor; y: tf.Tensor } => ({
      x: s.x.reshape([s.x.shape[0], 64]),
      y: s.y,
    });
    const tab: NasData = {
      train: flat(data.train),
      validation: flat(data.validation),
      inputShape: [64],
      numClasses: 3,
    };
    const r = await runNas({
      space: mlp,
      data: tab,
      strategy: { name: 'random' },
      objective: { kind: 'accuracy' },
      pruner: { name: 'asha', settings: { minResource: 1, reductionFactor: 2 } },
      budget: { trials: 8, epochsPerTrial: 4, batchSize: 16 },
      seed: 2,
    });
    const pruned = r.trials.filter((t) => t.state === 'pruned');
    assert.ok(pruned.length > 0, 'some candidate was pruned');
    assert.ok(pruned.every((t) => t.epochsTrained < 4));
    assert.ok(r.leaderboard.every((t) => t.epochsTrained === 4));

    let seen = 0;
    const c = await runNas({
      space: mlp,
      data: tab,
      strategy: { name: 'random' },
      objective: { kind: 'accuracy' },
      budget: { trials: 10, epochsPerTrial: 1 },
      hooks: { onTrial: () => void seen++, shouldStop: () => seen >= 2 },
    });
    assert.equal(c.stoppedBy, 'cancelled');
    assert.equal(c.trials.length, 2);
    tf.dispose([tab.train.x, tab.validation.x]);
  });
});
