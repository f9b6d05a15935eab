import { LatencySketch } from './latency-sketch';
import { Problems } from './problems';
import { StageRoute, compileRoute } from './routing';
import type { RandomSource } from './sim-random';
import { LatencySummary, summariseLatencies } from './stats';

/**
 * Request classes sharing stages (docs/jizhi-sim.md, "Request classes"): each arrival belongs to
 * a class drawn by `share` (a probabilistic split of the traffic, so each class of Poisson
 * traffic is Poisson), and a class may take longer or shorter at a stage (`serviceScale`, a
 * factor on the stage's service time; a batch of mixed classes takes its slowest member's
 * factor) and may take its own route after a stage (`route`: per stage id, the class's
 * `[{to, probability}]` among that stage's next stages, instead of the stage's own next/route).
 * Classes share every queue in FIFO order; the result reports latency per class.
 */
export interface RequestClassSpec {
  id: string;
  share: number;
  serviceScale?: Record<string, number>;
  route?: Record<string, { to: string; probability: number }[]>;
}

export interface CompiledClasses {
  ids: string[];
  cumulativeShare: Float64Array;
  /** scale[stage][class]: the service-time factor of a class at a stage. */
  scale: Float64Array[];
  /** Per stage, the mean factor over the class mix (for the stability check). */
  meanScale: Float64Array;
  shares: Float64Array;
  /** routes[class][stage]: the class's own route after the stage, or undefined. */
  routes: (StageRoute | undefined)[][];
  /** Stages after which some class takes its own route. */
  routedStages: Set<number>;
}

export function compileClasses(
  r: Problems,
  classes: readonly RequestClassSpec[],
  stageIds: readonly string[],
  successorsOf: (stage: number) => readonly number[],
  field: string,
): CompiledClasses {
  const ids = classes.map((c) => c.id);
  ids.forEach((id, k) => {
    if (ids.indexOf(id) !== k) r.fail(`${field}[${k}].id`, `duplicate class ${JSON.stringify(id)}`);
  });
  let total = 0;
  const cumulative = classes.map((c) => (total += c.share));
  if (Math.abs(total - 1) > 1e-9) r.fail(field, `shares must sum to 1, got ${total}`);
  const scale = stageIds.map(() => new Float64Array(classes.length).fill(1));
  classes.forEach((c, k) => {
    for (const [stage, factor] of Object.entries(c.serviceScale ?? {})) {
      const i = stageIds.indexOf(stage);
      if (i < 0)
        r.fail(`${field}[${k}].serviceScale.${stage}`, `unknown stage ${JSON.stringify(stage)}`);
      else scale[i][k] = factor;
    }
  });
  const meanScale = Float64Array.from(scale, (row) =>
    classes.reduce((a, c, k) => a + c.share * row[k], 0),
  );
  const index = new Map(stageIds.map((id, i) => [id, i]));
  const routedStages = new Set<number>();
  const routes = classes.map((c, k) => {
    const byStage: (StageRoute | undefined)[] = stageIds.map(() => undefined);
    for (const [stage, route] of Object.entries(c.route ?? {})) {
      const f = `${field}[${k}].route.${stage}`;
      const i = index.get(stage);
      if (i === undefined) {
        r.fail(f, `unknown stage ${JSON.stringify(stage)}`);
        continue;
      }
      const compiled = compileRoute(r, route, index, i, f);
      // Only among the stage's own next stages: the graph (joins, order) stays the stage's.
      compiled.to.forEach((j, m) => {
        if (!successorsOf(i).includes(j))
          r.fail(
            `${f}[${m}].to`,
            `${JSON.stringify(stageIds[j])} is not a next stage of ${JSON.stringify(stage)}`,
          );
      });
      byStage[i] = compiled;
      routedStages.add(i);
    }
    return byStage;
  });
  return {
    ids,
    cumulativeShare: Float64Array.from(cumulative),
    scale,
    meanScale,
    shares: Float64Array.from(classes, (c) => c.share),
    routes,
    routedStages,
  };
}

/** The class of an arrival, from one uniform. */
export function drawClass(c: CompiledClasses, rng: RandomSource): number {
  const u = rng.float();
  const cum = c.cumulativeShare;
  for (let k = 0; k < cum.length - 1; k++) if (u < cum[k]) return k;
  return cum.length - 1;
}

/** Per-class counters of a run. */
export class ClassStats {
  readonly latencies: LatencySketch[];
  readonly completed: Float64Array;
  readonly dropped: Float64Array;
  constructor(readonly classes: CompiledClasses) {
    this.latencies = classes.ids.map(() => new LatencySketch());
    this.completed = new Float64Array(classes.ids.length);
    this.dropped = new Float64Array(classes.ids.length);
  }

  summary(): ClassResult[] {
    return this.classes.ids.map((id, k) => ({
      id,
      completed: this.completed[k],
      dropped: this.dropped[k],
      latencyMs: summariseLatencies(this.latencies[k]).summary,
    }));
  }
}

export interface ClassResult {
  id: string;
  completed: number;
  dropped: number;
  latencyMs: LatencySummary;
}
