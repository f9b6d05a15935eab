/**
 * Server momentum on the model average (FedAvgM; Hsu, Qi & Brown, "Measuring the Effects of
 * Non-Identical Data Distribution for Federated Visual Classification", 2019, Algorithm 1 -- the
 * paper whose Dirichlet(alpha) label skew the benchmark uses). With w the global weights before the
 * round and avg the sample-weighted average of the sites' weights:
 *   delta = w - avg,   v <- beta * v + delta,   w' = w - v
 * beta = 0 is plain model averaging (w' = avg). Under label skew each round's average is pulled
 * towards the sites of that round's drift; the momentum keeps the direction the rounds agree on.
 * The buffer v is coordinator state: it is not shared with the sites and not checkpointed (a
 * resumed federation restarts it at 0, which is the first round's behaviour).
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { sameShape, type WeightSet } from './weights';

export class ServerMomentum {
  private velocity: Float32Array[] | null = null;

  constructor(readonly beta: number) {
    if (!(beta >= 0 && beta < 1))
      throw ValidationError.field('serverMomentum', `must be in [0, 1), got ${beta}`);
  }

  /** The new global weights from the previous ones and this round's average. */
  step(global: WeightSet, average: WeightSet): Float32Array[] {
    if (!sameShape(global, average))
      throw ValidationError.field('serverMomentum', 'global and average differ in shape');
    if (this.velocity && !sameShape(this.velocity, global)) this.velocity = null;
    const v = global.map((g, i) => {
      const out = new Float32Array(g.length);
      const prev = this.velocity?.[i];
      for (let j = 0; j < g.length; j++)
        out[j] = this.beta * (prev ? prev[j] : 0) + (g[j] - average[i][j]);
      return out;
    });
    this.velocity = v;
    return global.map((g, i) => {
      const out = new Float32Array(g.length);
      for (let j = 0; j < g.length; j++) out[j] = g[j] - v[i][j];
      return out;
    });
  }
}
