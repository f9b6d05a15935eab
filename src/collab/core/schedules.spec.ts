import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSchedule } from '../../ml/train/schedules';
import { EspClr } from './esp-clr';
import { FedAvg } from './fedavg';

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('ESP + CLR (arXiv 1810.06877) with the SGDR cycle (Loshchilov & Hutter 2017, eq. 5)', () => {
  const esp = new EspClr({ period: 4, maxLr: 0.1, minLr: 0.001 });

  test('lr(t) = min + (max - min)(1 + cos(pi t / T)) / 2 at hand-computed points', () => {
    const T = 400;
    close(esp.learningRateAt(0, T), 0.1);
    close(esp.learningRateAt(200, T), 0.0505); // cos(pi/2) = 0
    close(esp.learningRateAt(100, T), 0.001 + (0.099 * (1 + Math.SQRT1_2)) / 2);
    close(esp.learningRateAt(400, T), 0.001); // the low point, where sites average
  });

  test('the plan restarts the cycle each period and the trainer runs exactly that cycle', () => {
    const plan = esp.localPlan(5);
    assert.equal(plan.epochs, 4);
    assert.deepEqual(plan.schedule, { kind: 'cosine', minLr: 0.001 });
    assert.deepEqual(esp.localPlan(0), plan); // restarted: every period is the same cycle
    const stepsPerEpoch = 25;
    const lr = makeSchedule(plan.schedule, plan.learningRate, stepsPerEpoch, plan.epochs);
    for (const t of [0, 1, 37, 50, 99]) close(lr.at(t), esp.learningRateAt(t, 100));
  });

  test('the enlarged period: T0 = 4 synchronises 4x less often than FedAvg (E = 1)', () => {
    const fedavg = new FedAvg({ localEpochs: 1, learningRate: 0.1 });
    assert.equal(fedavg.rounds(16) / esp.rounds(16), 4);
    assert.equal(esp.rounds(10), 3); // a last, shorter total still gets its round
  });

  test('peakDecay: period r starts at min + (max - min) gamma^r and still ends at min', () => {
    const decayed = new EspClr({ period: 4, maxLr: 0.1, minLr: 0.001, peakDecay: 0.5 });
    close(decayed.localPlan(0).learningRate, 0.1);
    close(decayed.localPlan(1).learningRate, 0.001 + 0.099 * 0.5); // 0.0505
    close(decayed.localPlan(2).learningRate, 0.001 + 0.099 * 0.25); // 0.02575
    close(decayed.learningRateAt(200, 400, 1), 0.001 + (0.0495 * (1 + 0)) / 2);
    close(decayed.learningRateAt(400, 400, 3), 0.001); // every period still ends at the low point
    // the trainer runs the same cycle from the plan's peak
    const plan = decayed.localPlan(2);
    const lr = makeSchedule(plan.schedule, plan.learningRate, 25, plan.epochs);
    for (const t of [0, 13, 50, 99]) close(lr.at(t), decayed.learningRateAt(t, 100, 2));
    assert.equal(esp.localPlan(7).learningRate, 0.1); // gamma absent: the paper's constant cycle
  });

  test('cycleWarmup: a linear rise (Goyal et al. 2017) to the peak, then the cosine to the low point', () => {
    const warm = new EspClr({ period: 4, maxLr: 0.1, minLr: 0.001, cycleWarmup: 2 });
    // 100 steps per period: the first 50 (2 of 4 epochs) rise by 0.1 / 50 a step.
    close(warm.learningRateAt(0, 100), 0.002);
    close(warm.learningRateAt(24, 100), 0.05);
    close(warm.learningRateAt(49, 100), 0.1);
    close(warm.learningRateAt(50, 100), 0.1); // the cosine's start
    close(warm.learningRateAt(75, 100), 0.0505); // half-way down the cosine
    close(warm.learningRateAt(100, 100), 0.001); // still averaged at the low point
    const plan = warm.localPlan(3);
    assert.deepEqual(plan.schedule, { kind: 'cosine', minLr: 0.001, warmupEpochs: 2 });
    const lr = makeSchedule(plan.schedule, plan.learningRate, 25, plan.epochs);
    for (const t of [0, 10, 49, 50, 63, 99]) close(lr.at(t), warm.learningRateAt(t, 100));
    assert.throws(
      () => new EspClr({ period: 4, maxLr: 0.1, minLr: 0.001, cycleWarmup: 4 }),
      /cycleWarmup/,
    );
  });

  test('anneal: the periods are consecutive stretches of one cosine over all epochs (SGDR without restarts)', () => {
    const one = new EspClr({ period: 4, maxLr: 0.1, minLr: 0.001, anneal: { totalEpochs: 12 } });
    // 12 epochs of 25 steps: lr(t) = min + (max - min)(1 + cos(pi t / 300)) / 2 over the run.
    const whole = (t: number) => 0.001 + (0.099 * (1 + Math.cos((Math.PI * t) / 300))) / 2;
    for (const round of [0, 1, 2]) {
      const plan = one.localPlan(round);
      assert.equal(plan.learningRate, 0.1);
      const lr = makeSchedule(plan.schedule, plan.learningRate, 25, plan.epochs);
      for (const t of [0, 17, 50, 99]) close(lr.at(t), whole(round * 100 + t));
    }
    // Round 1 starts half-way down (cos(pi/3) = 0.5) and ends where round 2 starts.
    close(makeSchedule(one.localPlan(1).schedule, 0.1, 25, 4).at(0), 0.001 + 0.099 * 0.75);
    close(makeSchedule(one.localPlan(2).schedule, 0.1, 25, 4).at(0), whole(200));
    assert.throws(
      () =>
        new EspClr({
          period: 4,
          maxLr: 0.1,
          minLr: 0,
          anneal: { totalEpochs: 12 },
          peakDecay: 0.5,
        }),
      /anneal/,
    );
    assert.throws(
      () =>
        makeSchedule({ kind: 'cosine', span: { offsetEpochs: 10, totalEpochs: 12 } }, 0.1, 25, 4),
      /span/,
    );
  });

  test('settings are checked', () => {
    assert.throws(
      () => new EspClr({ period: 4, maxLr: 0.1, minLr: 0.001, peakDecay: 0 }),
      /peakDecay/,
    );
    assert.throws(
      () => new EspClr({ period: 4, maxLr: 0.1, minLr: 0.001, peakDecay: 1.5 }),
      /peakDecay/,
    );
    assert.throws(() => new EspClr({ period: 4, maxLr: 0.1, minLr: 0.2 }), /minLr/);
    assert.throws(() => new EspClr({ period: 0, maxLr: 0.1, minLr: 0 }), /period/);
  });
});
