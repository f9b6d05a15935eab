import {
  barsHeight,
  barsOption,
  chartPng,
  latencyCdfOption,
  tuningParetoOption,
} from '../platform/charts';
import { SimulationResult } from './core/simulation-result';
import { TuneResult } from './core/tune/tuner';

/** `latency-cdf.png`: the shared latency CDF definition (the console draws the same one). */
export function latencyCdfPng(r: SimulationResult): Buffer {
  return chartPng(
    latencyCdfOption({
      pipeline: r.pipeline,
      edgesMs: r.latencyHistogram.edgesMs,
      counts: r.latencyHistogram.counts,
      p99Ms: r.latencyMs.p99,
    }),
  );
}

/** `utilisation.png`: busy fraction per stage. */
export function utilisationPng(r: SimulationResult): Buffer {
  return chartPng(
    barsOption({
      title: 'Utilisation per stage',
      labels: r.stages.map((s) => s.id),
      values: r.stages.map((s) => s.utilisation),
      valueLabel: 'busy fraction of instances',
    }),
    { width: 640, height: barsHeight(r.stages.length) },
  );
}

/** `pareto.png`: configs tried on (cost, p99), the front, the chosen config and the SLO line. */
export function paretoPng(t: TuneResult, sloMs?: number): Buffer {
  return chartPng(
    tuningParetoOption({
      history: t.history,
      front: t.paretoFront,
      chosen: t.best,
      sloMs: t.objective === 'pareto' ? undefined : sloMs,
    }),
  );
}
