import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../platform/errors/domain-error';
import { ConstantLr, CosineLr, makeSchedule, OneCycleLr, StepLr } from './schedules';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

describe('learning-rate schedules against their formulas', () => {
  test('StepLR: lr * gamma^floor(t / stepSize) (torch StepLR)', () => {
    const s = new StepLr(0.1, 3, 0.5);
    [0, 1, 2].forEach((t) => close(s.at(t), 0.1));
    [3, 4, 5].forEach((t) => close(s.at(t), 0.05));
    close(s.at(9), 0.1 * 0.125);
    close(new ConstantLr(0.3).at(1000), 0.3);
  });

  test('cosine with linear warm-up: lr(t+1)/W during warm-up, then min + (lr-min)(1+cos(pi u))/2', () => {
    const s = new CosineLr(1, 110, 10, 0.1);
    close(s.at(0), 0.1);
    close(s.at(4), 0.5);
    close(s.at(9), 1);
    close(s.at(10), 1); // u = 0
    close(s.at(60), 0.55); // u = 1/2: (1 + 0.1) / 2
    close(s.at(35), 0.1 + (0.9 * (1 + Math.cos(Math.PI / 4))) / 2);
    close(s.at(110), 0.1); // u = 1
    close(s.at(500), 0.1); // held at the minimum past the end
  });

  test('one-cycle (Smith & Topin 2019) as torch OneCycleLR: lr/25 up to lr at step 0.3T-1, cosine down to lr/25/1e4 at T-1', () => {
    const s = new OneCycleLr(1, 100);
    close(s.at(0), 1 / 25);
    close(s.at(29), 1); // torch: step_size_up = 0.3 * 100 - 1
    // Half way up (t = 14.5 / 29) and half way down (step 29 + 35 of 70): the cosine midpoints.
    close(s.at(14.5), (1 / 25 + 1) / 2);
    close(s.at(64), (1 + 1 / 25 / 1e4) / 2);
    close(s.at(99), 1 / 25 / 1e4);
    const viaSpec = makeSchedule({ kind: 'onecycle' }, 1, 10, 10);
    close(viaSpec.at(64), s.at(64));
    assert.throws(() => new OneCycleLr(1, 100, 1), /pctStart/);
  });

  test('makeSchedule converts epochs to steps', () => {
    const step = makeSchedule({ kind: 'step', everyEpochs: 2, gamma: 0.1 }, 1, 5, 10);
    close(step.at(9), 1);
    close(step.at(10), 0.1);
    const cos = makeSchedule({ kind: 'cosine', warmupEpochs: 1 }, 1, 4, 3);
    close(cos.at(3), 1);
    close(cos.at(12), 0);
  });

  test('invalid arguments name the field and value', () => {
    assert.throws(
      () => new StepLr(0.1, 0, 0.5),
      (e: unknown) =>
        e instanceof ValidationError &&
        /stepSize: must be a positive integer, got 0/.test(e.message),
    );
    assert.throws(() => new CosineLr(0.1, 10, 10), /warmupSteps/);
    assert.throws(() => new ConstantLr(-1), /learningRate: must be a positive number, got -1/);
  });
});
