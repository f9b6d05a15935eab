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
 */
export interface ContentionProfile {
  /** Cores the host offers this process (os.availableParallelism()). */
  cores: number;
  /** slowdown[k]: a full batch's mean service time with k busy competitors / alone (slowdown[0] = 1). */
  slowdown: number[];
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
  if (k < s.length) return s[k];
  const last = s.length - 1;
  const share = (n: number) => Math.max(1, (n + 1) / profile.cores);
  return s[last] * (share(k) / share(last));
}

/** Expected service-time factor of a thread whose competitors are busy with probabilities `busy`. */
export function expectedSlowdown(profile: ContentionProfile, busy: readonly number[]): number {
  return poissonBinomial(busy).reduce((a, q, k) => a + q * slowdownAt(profile, k), 0);
}
