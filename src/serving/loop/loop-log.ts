/**
 * The log lines of the serving loop's jobs (`deployment-profile`, `deployment-tune`), so a job
 * page says what was measured and why a config was chosen, not only a progress bar. Pure
 * formatting: the handlers write the lines through JobContext.log.
 */
import type { TrafficSpec } from '../../jizhi-sim/core/traffic/traffic-model-registry';
import type { ProfileRow } from '../core/service-profile';
import type { DeploymentConfig, ServingOverheads } from '../core/serving-pipeline';
import type { DeploymentTuning } from '../core/tune-deployment';

const ms = (x: number) => `${Number(x.toPrecision(3))} ms`;
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');

export function profileRowLine(r: ProfileRow, targetRelCi: number): string {
  const stop = r.converged
    ? `within the ±${pct(targetRelCi)} target`
    : `NOT within ±${pct(targetRelCi)}: sample or time budget spent`;
  return (
    `batch ${r.batchSize}: ${r.latenciesMs.length} samples, mean ${ms(r.meanMs)}, ` +
    `p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)} ±${pct(r.p99RelCi)} (95% bootstrap CI, ${stop})`
  );
}

export function overheadsLine(
  o: ServingOverheads,
  capacityPerInstanceRps: number,
  eventLoopCapacityRps = Infinity,
): string {
  return (
    `overheads: timer ${ms(o.timerLateMs)} late, reply hand-off ${ms(o.replyMs)}` +
    (o.handoffMs !== undefined ? `, thread hand-off ${ms(o.handoffMs)} per batch` : '') +
    '; ' +
    `one instance sustains up to ${Math.round(capacityPerInstanceRps)} req/s at full batches` +
    (Number.isFinite(eventLoopCapacityRps)
      ? `, the API's event loop up to ${Math.round(eventLoopCapacityRps)} req/s`
      : '')
  );
}

export function configText(c: DeploymentConfig): string {
  const queue = c.queue.capacity > 0 ? `, queue capacity ${c.queue.capacity}` : '';
  return `${c.instances} instance(s), maxSize ${c.batch.maxSize}, maxDelayMs ${c.batch.maxDelayMs}${queue}`;
}

export function trafficText(t: TrafficSpec): string {
  switch (t.model) {
    case 'poisson':
      return `Poisson ${t.rateRps} req/s`;
    case 'diurnal':
      return `diurnal mean ${t.meanRps} req/s (amplitude ${t.amplitude}, period ${t.periodS} s)`;
    case 'mmpp':
      return `MMPP rates ${t.rates.join('/')} req/s`;
    case 'replay':
      return `a replayed trace of ${t.timestampsS?.length ?? 'csv'} arrivals`;
  }
}

export function tuneStartLine(input: {
  traffic: TrafficSpec;
  slo: { p99Ms: number; maxDropRate: number };
  maxInstances: number;
  batchSizes: number[];
  delaysMs: number[];
  profileId: string;
}): string {
  return (
    `tuning for ${trafficText(input.traffic)} against p99 <= ${ms(input.slo.p99Ms)} and ` +
    `drops <= ${pct(input.slo.maxDropRate)}: instances 1-${input.maxInstances}, maxSize in ` +
    `{${input.batchSizes.join(', ')}}, maxDelayMs in {${input.delaysMs.join(', ')}}, ` +
    `profile ${input.profileId}`
  );
}

/**
 * Why the tuner chose what it chose: the cheapest feasible config (fewest instances, then the
 * lowest p99) and what the simulator promises for it; or, when none met the SLO, the lowest p99
 * it saw.
 */
export function tuneChoiceLines(t: DeploymentTuning, bestSeenP99Ms: number): string[] {
  const head = `${t.simulations} simulations over ${t.trials} trials, ${t.feasible.length} config(s) met the SLO`;
  if (!t.config || !t.predicted)
    return [
      head,
      `no configuration met p99 <= ${ms(t.slo.p99Ms)} with drops <= ${pct(t.slo.maxDropRate)}` +
        (Number.isFinite(bestSeenP99Ms)
          ? `; the lowest p99 simulated was ${ms(bestSeenP99Ms)}`
          : '') +
        ': allow more instances or relax the SLO',
    ];
  const p = t.predicted;
  const chosen = t.config;
  const lines = [
    head,
    `chosen: ${configText(t.config)}: the cheapest feasible (fewest instances, then lowest p99); ` +
      `queue capacity sized so a request admitted can still meet the SLO`,
    `promised: p50 ${ms(p.p50Ms)}, p99 ${ms(p.p99Ms)} (SLO ${ms(t.slo.p99Ms)}), ` +
      `drops ${pct(p.dropRate)}, throughput ${Math.round(p.throughputRps)} req/s`,
  ];
  const faster = t.feasible.find((f) => f.config.instances > chosen.instances);
  if (faster)
    lines.push(`next cheapest: ${faster.config.instances} instance(s) for p99 ${ms(faster.p99Ms)}`);
  return lines;
}
