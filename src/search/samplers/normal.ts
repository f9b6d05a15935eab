/** Normal-distribution helpers in log space, accurate far into the tails (for Parzen kernels). */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log erfc(z) for z >= 0, from Numerical Recipes' erfcc (relative error < 1.2e-7). */
function logErfc(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 +
                            t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) + poly;
}

/** log of the upper tail Q(z) = 1 - Phi(z), for z >= 0. */
function logUpperTail(z: number): number {
  return logErfc(z / Math.SQRT2) - Math.LN2;
}

/** log(Phi(b) - Phi(a)) for a < b without cancellation or underflow. */
export function logNormalMass(a: number, b: number): number {
  if (!(b > a)) return -Infinity;
  if (a >= 0) {
    const la = a === Infinity ? -Infinity : logUpperTail(a);
    const lb = b === Infinity ? -Infinity : logUpperTail(b);
    if (la === -Infinity) return -Infinity;
    return la + Math.log1p(-Math.exp(lb - la));
  }
  if (b <= 0) return logNormalMass(-b, -a);
  const qa = a === -Infinity ? 0 : Math.exp(logUpperTail(-a));
  const qb = b === Infinity ? 0 : Math.exp(logUpperTail(b));
  return Math.log1p(-(qa + qb));
}

export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

export function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i] > m) m = xs[i];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  // Terms more than 50 nats below the maximum change the sum by < 2e-22 relative: skip their exp.
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - m;
    if (d > -50) s += Math.exp(d);
  }
  return m + Math.log(s);
}
