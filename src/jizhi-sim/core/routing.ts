import type { CompiledStage } from './pipeline';
import { Problems } from './problems';

/**
 * Conditional routing (docs/jizhi-sim.md, "Routing"): where a request goes after a stage.
 *  - `next` (AND): to every listed stage; a stage with several upstream stages joins them.
 *  - `route` (XOR): to ONE stage, drawn with the given probabilities. A probabilistic split of a
 *    Poisson stream is a Poisson stream of rate p lambda (thinning), so each branch is the
 *    queue it would be alone.
 *  - a cache with `onHit: exit` ends the request's branch at a hit: the rest is skipped.
 * A request is done when all its live branches reached a sink or exited (the event loop counts
 * branches). Joins wait for every upstream branch, so no XOR route or early exit may lie upstream
 * of a join: the join could wait for a branch that never comes. Checked here.
 */
export interface StageRoute {
  /** Target stage indices and the cumulative probabilities to draw one by a uniform. */
  to: Int32Array;
  cumulative: Float64Array;
}

/** The stage one uniform u in [0, 1) picks. */
export function pickRoute(route: StageRoute, u: number): number {
  const c = route.cumulative;
  for (let i = 0; i < c.length - 1; i++) if (u < c[i]) return route.to[i];
  return route.to[c.length - 1];
}

/** Compiles a stage's `route` against the stage index; problems go to `r` under `field`. */
export function compileRoute(
  r: Problems,
  route: readonly { to: string; probability: number }[],
  index: ReadonlyMap<string, number>,
  self: number,
  field: string,
): StageRoute {
  const to: number[] = [];
  const cumulative: number[] = [];
  let total = 0;
  route.forEach((x, k) => {
    const j = index.get(x.to);
    if (j === undefined) r.fail(`${field}[${k}].to`, `unknown stage ${JSON.stringify(x.to)}`);
    else if (j === self) r.fail(`${field}[${k}].to`, 'a stage cannot route to itself');
    else if (to.includes(j))
      r.fail(`${field}[${k}].to`, `duplicate route to ${JSON.stringify(x.to)}`);
    else {
      to.push(j);
      total += x.probability;
      cumulative.push(total);
    }
  });
  if (Math.abs(total - 1) > 1e-9 && to.length === route.length)
    r.fail(field, `probabilities must sum to 1, got ${total}`);
  return { to: Int32Array.from(to), cumulative: Float64Array.from(cumulative) };
}

/** Stages a request may leave from after this one (AND next or XOR route). */
export function successors(s: CompiledStage): readonly number[] {
  return s.route ? Array.from(s.route.to) : s.next;
}

/** A stage after which not every branch goes on: an XOR route or a cache that exits on a hit. */
function splitsBranches(s: CompiledStage): boolean {
  return s.route !== undefined || s.exitOnHit;
}

/** Refuses joins downstream of a route, a class's own route or an early exit (see above). */
export function checkJoinsReachable(
  r: Problems,
  stages: readonly CompiledStage[],
  field: string,
  classRouted: ReadonlySet<number> = new Set(),
): void {
  stages.forEach((s, i) => {
    if (!splitsBranches(s) && !classRouted.has(i)) return;
    const seen = new Set<number>();
    const stack = [...successors(s)];
    while (stack.length > 0) {
      const j = stack.pop() as number;
      if (seen.has(j)) continue;
      seen.add(j);
      if (stages[j].predecessors > 1) {
        r.fail(
          `${field}[${i}]`,
          `stage ${JSON.stringify(stages[j].id)} joins branches, but stage ${JSON.stringify(s.id)} upstream of it ${s.exitOnHit ? 'ends requests at a cache hit' : 'routes requests to one branch'}: the join would wait for branches that never come`,
        );
        return;
      }
      stack.push(...successors(stages[j]));
    }
  });
}

/**
 * Mean request rate reaching each stage (visits, before its cache) for `meanRateRps` entering
 * every source: propagated in topological order; AND edges carry the whole outflow, XOR routes
 * their share, an exiting cache keeps only its misses. A join sees the rate of its branches
 * (equal, as no split lies upstream of a join).
 */
export function visitRates(
  stages: readonly CompiledStage[],
  order: readonly number[],
  meanRateRps: number,
  hitRatio: (i: number) => number,
  classRoute: (stage: number) => StageRoute | undefined = () => undefined,
): number[] {
  const rate = stages.map((s) => (s.predecessors === 0 ? meanRateRps : 0));
  const joined = stages.map(() => Infinity);
  for (const i of order) {
    const s = stages[i];
    if (s.predecessors > 1) rate[i] = joined[i];
    const out = s.exitOnHit ? rate[i] * (1 - hitRatio(i)) : rate[i];
    const feed = (j: number, x: number) => {
      if (stages[j].predecessors > 1) joined[j] = Math.min(joined[j], x);
      else rate[j] += x;
    };
    const route = classRoute(i) ?? s.route;
    if (route) route.to.forEach((j, k) => feed(j, out * routeProbability(route, k)));
    else for (const j of s.next) feed(j, out);
  }
  return rate;
}

function routeProbability(route: StageRoute, k: number): number {
  return route.cumulative[k] - (k > 0 ? route.cumulative[k - 1] : 0);
}
