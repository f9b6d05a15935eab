/**
 * Normal-distribution helpers for the Parzen kernels, ported from Optuna 5's
 * `samplers/_tpe/_truncnorm.py` (itself from SciPy) so that our densities agree with Optuna's to
 * ~1e-12: `logNdtr` (with the asymptotic series below -20), `logNormalMass` (the log of a
 * Gaussian's mass on an interval, per side for stability) and `truncNormPpf` (inverse CDF of a
 * truncated normal by Newton's method on log-ndtr). erf/erfc are FreeBSD's s_erf.c (Sun
 * Microsystems' fdlibm, 1993), the algorithm behind the C library's erf that Python calls.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT1_2 = Math.SQRT1_2;

const ERX = 8.45062911510467529297e-1;
const EFX = 1.28379167095512586316e-1;
const PP = [
  1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2,
  -5.77027029648944159157e-3, -2.37630166566501626084e-5,
];
const QQ = [
  1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3,
  1.32494738004321644526e-4, -3.9602282787753681232e-6,
];
const PA = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1,
  3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2,
  -2.166375594868790843e-3,
];
const QA = [
  1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2,
  1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.1984499846799107417e-2,
];
const RA = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1,
  -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2,
  -8.12874355063065934246e1, -9.81432934416914548592,
];
const SA = [
  1, 1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2,
  6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2,
  6.57024977031928170135, -6.04244152148580987438e-2,
];
const RB = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1,
  -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3,
  -4.83519191608651397019e2,
];
const SB = [
  1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3,
  3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2,
  -2.24409524465858183362e1,
];

function poly(c: readonly number[], x: number): number {
  let s = 0;
  for (let i = c.length - 1; i >= 0; i--) s = s * x + c[i];
  return s;
}

/** erfc(x) for x >= 1.25 (fdlibm's two tail fits). */
function erfcTail(x: number): number {
  if (x >= 28) return 0;
  const s = 1 / (x * x);
  const rs = x < 1 / 0.35 ? poly(RA, s) / poly(SA, s) : poly(RB, s) / poly(SB, s);
  // fdlibm splits x^2 into a high and a low part for the last ulp; this is within ~1e-15.
  return Math.exp(-x * x - 0.5625 + rs) / x;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 2 ** -28) r = a + EFX * a;
  else if (a < 0.84375) {
    const z = a * a;
    r = a + a * (poly(PP, z) / poly(QQ, z));
  } else if (a < 1.25) {
    const s = a - 1;
    r = ERX + poly(PA, s) / poly(QA, s);
  } else if (a < 6) r = 1 - erfcTail(a);
  else r = 1;
  return x < 0 ? -r : r;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0.84375) {
    if (x < -6) return 2;
    if (x <= -1.25) return 2 - erfcTail(-x);
    return 1 - erf(x);
  }
  if (x < 1.25) {
    const s = x - 1;
    return 1 - ERX - poly(PA, s) / poly(QA, s);
  }
  return erfcTail(x);
}

/** Standard normal CDF (SciPy's ndtr branches, as Optuna's _ndtr_single). */
export function ndtr(a: number): number {
  const x = a * SQRT1_2;
  if (x < -SQRT1_2) return 0.5 * erfc(-x);
  if (x < SQRT1_2) return 0.5 + 0.5 * erf(x);
  return 1 - 0.5 * erfc(x);
}

/** log Phi(a), accurate in both tails (Optuna's _log_ndtr_single). */
export function logNdtr(a: number): number {
  if (a > 6) return -ndtr(-a);
  if (a > -20) return Math.log(ndtr(a));
  // Asymptotic series of the lower tail: Phi(a) ~ phi(a) / -a * sum (-1)^i (2i-1)!! / a^(2i).
  const logLhs = -0.5 * a * a - Math.log(-a) - LOG_SQRT_2PI;
  let last = 0;
  let rhs = 1;
  let numerator = 1;
  let denom = 1;
  const denomCons = 1 / (a * a);
  let sign = 1;
  for (let i = 1; Math.abs(last - rhs) > Number.EPSILON; i++) {
    last = rhs;
    sign = -sign;
    denom *= denomCons;
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denom;
  }
  return logLhs + Math.log(rhs);
}

/** log(exp(p) - exp(q)) for p >= q. */
function logDiff(p: number, q: number): number {
  return p + Math.log1p(-Math.exp(q - p));
}

/** log(Phi(b) - Phi(a)) for a < b without cancellation or underflow (Optuna's _log_gauss_mass). */
export function logNormalMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  // Phi(-9) = 1.1e-19: beyond +-9 on both sides the mass is 1 to within 3e-19 (skips two erfc).
  if (a < -9 && b > 9) return 0;
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

const NDTRI_EXP_C = Math.sqrt(3) / Math.PI;

/** x with logNdtr(x) = y (y <= 0), by Newton's method from Optuna's initial guesses. */
export function ndtriExp(y: number): number {
  const flipped = y > -1e-2;
  const z = flipped ? Math.log(-Math.expm1(y)) : y;
  let x = z < -5 ? -Math.sqrt(-2 * (z + LOG_SQRT_2PI)) : -NDTRI_EXP_C * Math.log(Math.expm1(-z));
  for (let i = 0; i < 100; i++) {
    const l = logNdtr(x);
    const dx = (l - z) * Math.exp(l - logNormalPdf(x));
    x -= dx;
    if (Math.abs(dx) < 1e-8 * Math.abs(x)) break;
  }
  return flipped ? -x : x;
}

/** Inverse CDF at q of the standard normal truncated to [a, b] (Optuna's _truncnorm.ppf). */
export function truncNormPpf(q: number, a: number, b: number): number {
  if (q === 0) return a;
  if (q === 1) return b;
  const logMass = logNormalMass(a, b);
  if (a < 0) return ndtriExp(logAddExp(logNdtr(a), Math.log(q) + logMass));
  return -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + logMass));
}

function logAddExp(p: number, q: number): number {
  const m = Math.max(p, q);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(p - m) + Math.exp(q - m));
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
