/**
 * How well does the GP model a study's objective? The mean leave-one-out log predictive density
 * of the GP (Rasmussen & Williams 2006, sec. 5.4.2: its closed-form LOO pseudo-likelihood, the
 * same hyper-parameters the sampler would use) minus that of the model-free predictor (a normal
 * with the mean and variance of the other n - 1 scores), in nats per observation. Near 0 the GP
 * predicts an unseen trial no better than the spread of the values does: its lengthscales chase
 * structure it cannot resolve (the ripples of Rastrigin or Michalewicz: it then reads them as
 * noise or short wiggles and its expected improvement goes to the emptiest corners of the box),
 * and expected improvement has nothing to exploit.
 */
import { StudyView } from '../study-view';
import { covers, encodeParams, encodeSpace, relativeSpace } from './gp-encoding';
import { GaussianProcess, fitKernelParams } from '../gp/gp';
import { objectiveScores } from './gp-sampler';

const LOG_2PI = Math.log(2 * Math.PI);

function normalLogDensity(y: number, mean: number, variance: number): number {
  return -0.5 * (LOG_2PI + Math.log(variance) + (y - mean) ** 2 / variance);
}

/** Mean LOO log predictive density of the GP's own observations (closed form). */
export function gpLooLogDensity(gp: GaussianProcess): number {
  const { mean, variance } = gp.leaveOneOut();
  let s = 0;
  for (let i = 0; i < gp.n; i++) s += normalLogDensity(gp.y[i], mean[i], variance[i]);
  return s / gp.n;
}

/** Mean LOO log density under a normal fitted (unbiased variance) to the other n - 1 values. */
export function constantLooLogDensity(y: ArrayLike<number>): number {
  const n = y.length;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    sum += y[i];
    sumSq += y[i] * y[i];
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    const m = (sum - y[i]) / (n - 1);
    const v = Math.max((sumSq - y[i] * y[i] - (n - 1) * m * m) / (n - 2), 1e-12);
    s += normalLogDensity(y[i], m, v);
  }
  return s / n;
}

/**
 * The GP's LOO gain (nats per observation) on a single-objective study's complete trials, as the
 * GP sampler would fit them (auto's defaults); undefined with fewer than 3 usable trials or
 * several objectives.
 */
export function gpLooGain(view: StudyView): number | undefined {
  if (view.directions.length !== 1) return undefined;
  const space = relativeSpace(view);
  if (Object.keys(space).length === 0) return undefined;
  const enc = encodeSpace(space);
  const observed = [...(view.priorTrials ?? []), ...view.trials].filter(
    (t) => t.state === 'complete' && t.values !== undefined && covers(enc, t),
  );
  if (observed.length < 3) return undefined;
  const x = observed.map((t) => encodeParams(enc, t.params));
  const y = objectiveScores(observed, view.directions[0], 0, true);
  const gp = new GaussianProcess(x, y, enc.isCategorical, fitKernelParams(x, y, enc.isCategorical));
  return gpLooLogDensity(gp) - constantLooLogDensity(y);
}
