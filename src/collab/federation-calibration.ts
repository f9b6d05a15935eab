/**
 * `classifierCalibration: 'ccvr'` at the end of a federation (Luo et al., NeurIPS 2021): after the
 * final round's aggregation the coordinator asks every site that trained in that round for the
 * per-class statistics of its own training examples' penultimate features under the final global
 * weights (computed at the site: site job, pod or agent), merges them, re-trains the head on
 * virtual features drawn from the merged Gaussians (seeded from the federation's seed; every other
 * layer bit-identical), and has the sites evaluate the calibrated model with the same
 * evaluateGlobal path as every round. The statistics are metered like any shared state.
 */
import type { ClassFeatureStats } from './core/classifier-calibration';
import { calibrateFromClassStats } from './core/classifier-calibration';
import { CCVR_SETTINGS, decodeClassStats } from './core/ccvr-protocol';
import { weightBytes } from './core/weights';
import { pooledEvaluation } from './federation-run';
import type { HeadFeatures } from './head-calibration';
import type { RoundScope, SiteEvaluation, SitePlacement } from './site-placement';

export interface CalibrationOutcome {
  /** The calibrated global weights (only the head's kernel and bias differ). */
  global: Float32Array[];
  /** The sites' evaluations of the calibrated model. */
  final: SiteEvaluation[];
  /** What goes into the model's metrics and the federation's summary. */
  summary: {
    method: 'ccvr';
    /** Sites whose statistics were merged. */
    sites: string[];
    /** Sites asked that gave none (and why). */
    failed: { site: string; reason: string }[];
    /** Examples behind the statistics, per class (summed over the sites). */
    classCounts: number[];
    /** Bytes of the statistics the sites sent (float32), and of the global weights sent to them. */
    bytesUp: number;
    bytesDown: number;
    /** Pooled test accuracy of the final model before and after calibration. */
    uncalibratedAccuracy: number | null;
    calibratedAccuracy: number | null;
    virtualPerClass: number;
    covariance: 'full' | 'diagonal';
    steps: number;
  };
}

/**
 * Runs CCVR on `global`. `scope` is the calibration's own (round, attempt) for the work items (not
 * a training round's, so the items of the final round are not mistaken for them), `skip` the
 * sites that failed the final round. Null when no site sent usable statistics: the model stays
 * uncalibrated (the caller logs it).
 */
export async function calibrateFederation(
  o: {
    placement: SitePlacement;
    global: Float32Array[];
    head: HeadFeatures;
    scope: RoundScope;
    seed: number;
    /** The final model's evaluations (before calibration). */
    uncalibrated: readonly SiteEvaluation[];
  },
  log: (message: string, level?: 'info' | 'warn') => Promise<void>,
): Promise<CalibrationOutcome | null> {
  const { placement, global, head: hf } = o;
  if (!placement.classStats)
    throw new Error(`the ${placement.placement} placement cannot gather feature statistics`);
  const answers = await placement.classStats(global, { ...o.scope, featureDim: hf.dim });
  const stats: ClassFeatureStats[][] = [];
  const sites: string[] = [];
  const failed: { site: string; reason: string }[] = [];
  let bytesUp = 0;
  for (const a of answers) {
    if ('error' in a) {
      failed.push({ site: a.site, reason: a.error });
      continue;
    }
    bytesUp += a.stats.byteLength;
    try {
      stats.push(decodeClassStats(a.stats, hf.classes, hf.dim));
      sites.push(a.site);
    } catch (error) {
      failed.push({ site: a.site, reason: (error as Error).message });
    }
  }
  for (const f of failed)
    await log(`classifier calibration: no statistics from site ${f.site}: ${f.reason}`, 'warn');
  if (stats.length === 0) return null;
  const outcome = calibrateFromClassStats(hf.head(global), stats, CCVR_SETTINGS, o.seed);
  const calibrated = hf.withHead(global, outcome.head);
  // A site that gave no statistics is not asked either (an absent agent costs one timeout).
  const final = await placement.evaluateGlobal(calibrated, {
    ...o.scope,
    skip: [...(o.scope.skip ?? []), ...failed.map((f) => f.site)],
  });
  const before = pooledEvaluation(o.uncalibrated)?.accuracy ?? null;
  const after = pooledEvaluation(final)?.accuracy ?? null;
  const classCounts = Array.from({ length: hf.classes }, (_, c) =>
    stats.reduce((a, s) => a + s[c].count, 0),
  );
  const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(4));
  await log(
    `classifier calibration (ccvr): statistics of ${sites.length} sites (${bytesUp} bytes), ${outcome.steps} head steps; test accuracy ${fmt(before)} -> ${fmt(after)}`,
  );
  return {
    global: calibrated,
    final,
    summary: {
      method: 'ccvr',
      sites,
      failed,
      classCounts,
      bytesUp,
      bytesDown: answers.length * weightBytes(global),
      uncalibratedAccuracy: before,
      calibratedAccuracy: after,
      virtualPerClass: CCVR_SETTINGS.virtualPerClass,
      covariance: CCVR_SETTINGS.covariance,
      steps: outcome.steps,
    },
  };
}
