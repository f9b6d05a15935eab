/**
 * CPU contention between the threads of one host: a deployment's instance threads, the API's
 * event loop and (on a test host) the load generator share `cores`. When more of them are
 * runnable than there are cores, each runs slower. The slowdown is MEASURED, not assumed: the
 * profile runs a full batch while k spinning threads hold the cores (k = 0..cores) and keeps
 * `slowdown[k]` = service time with k competitors / alone (runtime-measurements.ts).
 *
 * Under load the competitors are busy only part of the time: thread i is runnable with
 * probability p_i (its utilisation, from the simulator). The number K of busy competitors is
 * then Poisson-binomial, and the expected slowdown of a batch is sum_k P(K = k) slowdown[k]
 * (the batch sees the mix of competitors of a random moment; batches are short against the
 * time the others' states persist only roughly, hence "expected"). Beyond the measured k, the
 * slowdown grows as processor sharing would: (k + 1) / cores.
 *
 * Spinning threads over-measure on a shared host: the spinners also take cores from other
 * processes' work, and the scheduler's shares are not the real competitors' (one spinner measured
 * x2.97 on 2 cores where processor sharing says x1). So the measured slowdown is bounded by
 * processor sharing on the cores actually FREE during the profile (`freeCores`: the host's cores
 * minus what other processes used, measured beside it): a thread alone gets min(1, f) of a
 * core, with k competitors min(1, f / (k + 1)), a slowdown of at most
 * min(1, f) / min(1, f / (k + 1)).
 */
export interface ContentionProfile {
  /** Cores the host offers this process (os.availableParallelism()). */
  cores: number;
  /** slowdown[k]: a full batch's mean service time with k busy competitors / alone (slowdown[0] = 1). */
  slowdown: number[];
  /** Cores other processes left free while it was measured (absent: no bound). */
  freeCores?: number;
}

/** P(K = k), k = 0..n, for independent Bernoulli(p_i) (the Poisson-binomial distribution). */
export function poissonBinomial(ps: readonly number[]): number[] {
  let dist = [1];
  for (const raw of ps) {
    const p = Math.min(1, Math.max(0, raw));
    const next = new Array<number>(dist.length + 1).fill(0);
    dist.forEach((q, k) => {
      next[k] += q * (1 - p);
      next[k + 1] += q * p;
    });
    dist = next;
  }
  return dist;
}

/** The slowdown with k busy competitors: measured, or processor sharing beyond the last measured k. */
export function slowdownAt(profile: ContentionProfile, k: number): number {
  const s = profile.slowdown;
  const last = s.length - 1;
  const share = (n: number) => Math.max(1, (n + 1) / profile.cores);
  const measured = k < s.length ? s[k] : s[last] * (share(k) / share(last));
  return Math.max(1, Math.min(measured, freeCoreBound(profile.freeCores, k)));
}

/** Processor sharing's slowdown with k competitors on f free cores: min(1, f) / min(1, f / (k + 1)). */
export function freeCoreBound(freeCores: number | undefined, k: number): number {
  if (freeCores === undefined || !(freeCores > 0)) return Infinity;
  return Math.min(1, freeCores) / Math.min(1, freeCores / (k + 1));
}

/** Expected service-time factor of a thread whose competitors are busy with probabilities `busy`. */
export function expectedSlowdown(profile: ContentionProfile, busy: readonly number[]): number {
  return poissonBinomial(busy).reduce((a, q, k) => a + q * slowdownAt(profile, k), 0);
}
