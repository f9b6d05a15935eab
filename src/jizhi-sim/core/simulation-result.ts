import { LatencySketch } from './latency-sketch';
import { StageLoad } from './pipeline';
import type { ClassResult } from './request-classes';
import { StageRuntime } from './stage-runtime';
import { LatencySummary, summariseLatencies, sig } from './stats';

export interface StageResult {
  id: string;
  instances: number;
  costPerHour: number;
  /** Requests reaching the stage (arrived in the window). */
  visits: number;
  cacheHitRatio: number | null;
  dropped: number;
  utilisation: number;
  predictedUtilisation: number;
  meanQueueLength: number;
  maxQueueLength: number;
  meanWaitMs: number;
  /** Fraction of served requests that found no free server and waited in the queue. */
  waitedFraction: number;
  batches: number;
  meanBatchSize: number;
  batchSizes: { size: number; count: number }[];
  /** Fraction of batches served with features cut off. */
  cutoffFraction: number;
  /** Mean instances provisioned over the window (the instance count unless autoscaled). */
  meanInstances: number;
  /** Changes the autoscaler made. */
  scaleEvents: number;
}

export interface SimulationResult {
  pipeline: string;
  seed: number;
  window: { startS: number; endS: number };
  requests: { arrived: number; completed: number; dropped: number; dropRate: number };
  throughputRps: number;
  latencyMs: LatencySummary;
  latencyHistogram: { edgesMs: number[]; counts: number[] };
  /** Per request class (only with pipeline.classes): completed, dropped and latency. */
  classes?: ClassResult[];
  stages: StageResult[];
  queueLengths: { timesS: number[]; byStage: Record<string, number[]> };
  cost: { instances: number; perHour: number };
  /** Mean accuracy penalty per completed request from feature cut-off. */
  accuracyPenalty: number;
  /** Little's law L = lambda W over the window; relativeError = |L - lambda W| / L. */
  littleLaw: { L: number; lambda: number; W: number; relativeError: number };
  events: number;
  truncated: boolean;
}

/** What the event loop counted over the statistics window [startS, endS), pipeline-wide. */
export interface RunTotals {
  pipeline: string;
  seed: number;
  window: { startS: number; endS: number };
  /** Integral over the window of the number of requests in the system (L * T). */
  inSystemArea: number;
  arrived: number;
  completed: number;
  dropped: number;
  /** Sum of the time in system of every finished (completed or dropped) request. */
  sojournSum: number;
  /** Sum of the accuracy penalties of the completed requests. */
  penaltySum: number;
  /** Time in system (s) of the completed requests. */
  latencies: LatencySketch;
  classes: ClassResult[] | undefined;
  sampleTimes: number[];
  events: number;
  truncated: boolean;
}

/**
 * The statistics of a finished (or truncated) run: per-stage utilisation, queues, waits,
 * batching and cache figures, latency percentiles, cost and a Little's-law check. The stage
 * areas must already be accumulated up to the end of the window.
 */
export function simulationResult(
  totals: RunTotals,
  stages: readonly StageRuntime[],
  loads: readonly StageLoad[],
): SimulationResult {
  const { startS, endS } = totals.window;
  const T = endS - startS;
  const finished = totals.completed + totals.dropped;
  const L = totals.inSystemArea / T;
  const lambda = totals.arrived / T;
  const W = finished > 0 ? totals.sojournSum / finished : 0;
  const byStage: Record<string, number[]> = {};
  stages.forEach((st) => (byStage[st.spec.id] = st.series));
  const summary = summariseLatencies(totals.latencies);
  const instances = stages.reduce((a, st) => a + st.instances, 0);
  const perHour = stages.reduce((a, st) => a + stageCost(st, T), 0);
  return {
    pipeline: totals.pipeline,
    seed: totals.seed,
    window: { startS, endS },
    requests: {
      arrived: totals.arrived,
      completed: totals.completed,
      dropped: totals.dropped,
      dropRate: sig(finished > 0 ? totals.dropped / finished : 0),
    },
    throughputRps: sig(totals.completed / T),
    latencyMs: summary.summary,
    latencyHistogram: summary.histogram,
    ...(totals.classes ? { classes: totals.classes } : {}),
    stages: stages.map((st, i) => stageResult(st, loads[i], T)),
    queueLengths: { timesS: totals.sampleTimes.map(sig), byStage },
    cost: { instances, perHour: sig(perHour) },
    accuracyPenalty: sig(totals.completed > 0 ? totals.penaltySum / totals.completed : 0),
    littleLaw: {
      L: sig(L),
      lambda: sig(lambda),
      W: sig(W),
      relativeError: sig(L > 0 ? Math.abs(L - lambda * W) / L : 0),
    },
    events: totals.events,
    truncated: totals.truncated,
  };
}

/** One stage's figures over a window of T seconds. */
function stageResult(st: StageRuntime, load: StageLoad, T: number): StageResult {
  const sizes: { size: number; count: number }[] = [];
  let items = 0;
  for (let b = 1; b < st.batchHist.length; b++) {
    if (st.batchHist[b] > 0) sizes.push({ size: b, count: st.batchHist[b] });
    items += b * st.batchHist[b];
  }
  return {
    id: st.spec.id,
    instances: st.instances,
    costPerHour: sig(stageCost(st, T)),
    visits: st.visits,
    cacheHitRatio: st.cache ? sig(st.lookups > 0 ? st.hits / st.lookups : 0) : null,
    dropped: st.dropped,
    utilisation: sig(st.busyArea / (meanInstances(st, T) * T)),
    predictedUtilisation: sig(load.utilisation),
    meanQueueLength: sig(st.qArea / T),
    maxQueueLength: st.maxQ,
    meanWaitMs: sig(st.waitCount > 0 ? (1000 * st.waitSum) / st.waitCount : 0),
    waitedFraction: sig(st.waitCount > 0 ? st.waited / st.waitCount : 0),
    batches: st.batches,
    meanBatchSize: sig(st.batches > 0 ? items / st.batches : 0),
    batchSizes: sizes,
    cutoffFraction: sig(st.batches > 0 ? st.cutBatches / st.batches : 0),
    meanInstances: sig(meanInstances(st, T)),
    scaleEvents: st.scaleEvents,
  };
}

function meanInstances(st: StageRuntime, T: number): number {
  return st.spec.autoscale ? st.provArea / T : st.instances;
}

/** An autoscaled stage costs its mean instance count (its cache memory as configured). */
function stageCost(st: StageRuntime, T: number): number {
  if (!st.spec.autoscale) return st.spec.costPerHour;
  const cache = st.spec.costPerHour - st.instances * st.spec.pricePerInstance;
  return meanInstances(st, T) * st.spec.pricePerInstance + cache;
}
