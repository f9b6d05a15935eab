import { RandomSource } from './sim-random';
import { Problems } from './problems';

/**
 * Service time of one batch at a stage, in seconds. A batch of b requests costs
 * `fixed + perItem * b` on average (the usual linear latency model of batched inference, e.g.
 * Triton Model Analyzer's profiles); the distribution around that mean is per model.
 */
export interface ServiceTimeModel {
  sample(batchSize: number, rng: RandomSource): number;
  mean(batchSize: number): number;
}

export type ServiceSpec =
  | { dist: 'deterministic' | 'exponential'; fixedMs: number; perItemMs?: number }
  | { dist: 'lognormal'; fixedMs: number; perItemMs?: number; cv: number }
  | { dist: 'empirical'; profile: { batchSize: number; latenciesMs: number[] }[] };

export class DeterministicService implements ServiceTimeModel {
  constructor(
    private readonly fixedS: number,
    private readonly perItemS: number,
  ) {}
  sample(b: number): number {
    return this.fixedS + this.perItemS * b;
  }
  mean(b: number): number {
    return this.fixedS + this.perItemS * b;
  }
}

export class ExponentialService implements ServiceTimeModel {
  constructor(
    private readonly fixedS: number,
    private readonly perItemS: number,
  ) {}
  sample(b: number, rng: RandomSource): number {
    return rng.exponential() * (this.fixedS + this.perItemS * b);
  }
  mean(b: number): number {
    return this.fixedS + this.perItemS * b;
  }
}

/** Log-normal with the linear mean and a coefficient of variation: sigma^2 = ln(1 + cv^2). */
export class LogNormalService implements ServiceTimeModel {
  private readonly sigma: number;
  private readonly halfVar: number;
  constructor(
    private readonly fixedS: number,
    private readonly perItemS: number,
    cv: number,
  ) {
    const v = Math.log(1 + cv * cv);
    this.sigma = Math.sqrt(v);
    this.halfVar = v / 2;
  }
  sample(b: number, rng: RandomSource): number {
    const m = this.fixedS + this.perItemS * b;
    return m * Math.exp(this.sigma * rng.normal() - this.halfVar);
  }
  mean(b: number): number {
    return this.fixedS + this.perItemS * b;
  }
}

/**
 * Empirical latencies from a profile table (measured latencies per batch size). A draw takes one
 * uniform u and reads the u-quantile of the two profiled batch sizes around b, interpolated
 * linearly in b; below the smallest profiled size the smallest row is used.
 */
export class EmpiricalService implements ServiceTimeModel {
  private readonly sizes: number[];
  private readonly sorted: Float64Array[];
  private readonly means: number[];
  constructor(profile: { batchSize: number; latenciesMs: number[] }[]) {
    const rows = profile.slice().sort((x, y) => x.batchSize - y.batchSize);
    this.sizes = rows.map((r) => r.batchSize);
    this.sorted = rows.map((r) => Float64Array.from(r.latenciesMs, (ms) => ms / 1000).sort());
    this.means = this.sorted.map((s) => s.reduce((acc, x) => acc + x, 0) / s.length);
  }
  sample(b: number, rng: RandomSource): number {
    const u = rng.float();
    const [i, j, w] = this.bracket(b);
    const qi = quantile(this.sorted[i], u);
    return i === j ? qi : qi + w * (quantile(this.sorted[j], u) - qi);
  }
  mean(b: number): number {
    const [i, j, w] = this.bracket(b);
    return this.means[i] + w * (this.means[j] - this.means[i]);
  }
  private bracket(b: number): [number, number, number] {
    const s = this.sizes;
    if (b <= s[0]) return [0, 0, 0];
    for (let j = 1; j < s.length; j++) {
      if (b <= s[j]) return [j - 1, j, (b - s[j - 1]) / (s[j] - s[j - 1])];
    }
    return [s.length - 1, s.length - 1, 0];
  }
}

function quantile(sorted: Float64Array, u: number): number {
  const x = u * (sorted.length - 1);
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i] + (x - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * The model of a service spec (shapes and ranges checked by the job schema); records what only
 * the simulator knows: distinct profiled batch sizes covering the stage's largest batch, and a
 * positive mean. A spec with problems gets a stand-in model (the caller throws them).
 */
export function serviceModel(
  r: Problems,
  spec: ServiceSpec,
  field: string,
  maxBatch: number,
): ServiceTimeModel {
  if (spec.dist === 'empirical') {
    const sizes = spec.profile.map((x) => x.batchSize);
    if (new Set(sizes).size !== sizes.length)
      r.fail(`${field}.profile`, 'batch sizes must be distinct');
    if (Math.max(...sizes) < maxBatch) {
      r.fail(
        `${field}.profile`,
        `must profile the stage's maximum batch size ${maxBatch}, largest is ${Math.max(...sizes)}`,
      );
    }
    return new EmpiricalService(spec.profile);
  }
  const perItemMs = spec.perItemMs ?? 0;
  if (spec.fixedMs + perItemMs <= 0) r.fail(field, 'fixedMs + perItemMs must be > 0');
  const f = spec.fixedMs / 1000;
  const p = perItemMs / 1000;
  if (spec.dist === 'lognormal') return new LogNormalService(f, p, spec.cv);
  return spec.dist === 'deterministic'
    ? new DeterministicService(f, p)
    : new ExponentialService(f, p);
}
