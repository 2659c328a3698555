/**
 * The normalised Black function of P. Jäckel, "Let's Be Rational", Wilmott (2015):
 *
 *   b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2),   x = ln(F/K), s = sigma sqrt(T),
 *
 * the undiscounted call price divided by sqrt(F K). A put is b(-x, s) (reciprocal-strike
 * symmetry). Evaluated without cancellation in four regions of h = x/s and t = s/2 (x <= 0):
 *
 * With the Mills ratio M(y) = N(-y)/phi(y), N(h + t) e^{ht} = phi(0) e^{-(h^2+t^2)/2} M(-h-t), so
 *
 *   b = phi(0) e^{-(h^2+t^2)/2} [M(y - t) - M(y + t)],   y = -h >= 0,
 *
 * and the bracket is what must be computed well:
 * 1. y - t >= 10: the asymptotic series of M, differenced term by term (no cancellation);
 * 2. t < 0.21: the Taylor series of the bracket in t, whose coefficients are the moments
 *    m_k = int_0^inf u^k e^{-yu - u^2/2} du (all positive: no cancellation);
 * 3. h + t > 0.85: b is close to its maximum e^{x/2}, and the plain formula loses nothing;
 * 4. otherwise: M through Cody's erfcx, M(y) = sqrt(pi/2) erfcx(y/sqrt 2).
 * The region boundaries are Jäckel's; the series in regions 1 and 2 are written here in terms
 * of the Mills-ratio moments rather than his explicit polynomials.
 */
import { erfcx, normCdf } from './normal.js';

const INV_SQRT_2PI = 0.3989422804014326779399;
const SQRT_HALF = Math.SQRT1_2;
const SQRT_HALF_PI = 1.2533141373155002512; // sqrt(pi/2)
const DBL_EPSILON = 2.220446049250313e-16;

/** Below this t = s/2 the Taylor series in t (region 2) is used: 2 eps^(1/16) ~ 0.21. */
const SMALL_T = 2 * Math.pow(DBL_EPSILON, 1 / 16);
/** From y - t >= 10 on, the asymptotic series of the Mills ratio converges to eps. */
const ASYMPTOTIC_Y = 10;

/** The normalised intrinsic value of a call, e^{x/2} - e^{-x/2}, for x > 0 (else 0). */
export function normalisedIntrinsicCall(x: number): number {
  return x > 0 ? 2 * Math.sinh(0.5 * x) : 0;
}

/**
 * db/ds = phi(0) e^{-(h^2 + t^2)/2}: the normalised vega, the same for calls and puts.
 */
export function normalisedVega(x: number, s: number): number {
  if (x === 0) return INV_SQRT_2PI * Math.exp(-0.125 * s * s);
  if (!(s > 0)) return 0;
  const h = x / s;
  const t = 0.5 * s;
  return INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
}

/**
 * Side results of the last `normalisedBlackOtm` call, kept in a module slot so that the hot
 * paths allocate nothing: `vega` = db/ds, and (when asked for) `cdfPlus` = N(h + t) and
 * `cdfMinus` = N(h - t), the two normal probabilities of the Black formula.
 */
export const normalisedSide = { vega: 0, cdfPlus: 0, cdfMinus: 0 };

/** Moments sums of the small-t series: even and odd parts of M(y - t). */
const series = { even: 0, odd: 0 };

/** b(x, s) for a call (theta = 1); for a put use b(-x, s). */
export function normalisedBlackCall(x: number, s: number): number {
  if (x > 0) return normalisedIntrinsicCall(x) + normalisedBlackOtm(-x, s);
  return normalisedBlackOtm(x, s);
}

/**
 * b(x, s) for x <= 0 (an out-of-the-money or at-the-money call); sets `normalisedSide.vega`.
 * With `halfExp` = e^{-x/2} given (> 0), also sets `normalisedSide.cdfPlus/cdfMinus`, which
 * the regions get almost for free: N(h + t) = phi(0) e^{-(h^2+t^2)/2} e^{-x/2} M(y - t) and
 * N(h - t) = phi(0) e^{-(h^2+t^2)/2} e^{x/2} M(y + t).
 */
export function normalisedBlackOtm(x: number, s: number, halfExp = 0): number {
  const side = normalisedSide;
  if (!(s > 0)) {
    side.vega = x === 0 ? INV_SQRT_2PI : 0;
    side.cdfPlus = x === 0 ? 0.5 : 0;
    side.cdfMinus = side.cdfPlus;
    return 0;
  }
  const h = x / s;
  const t = 0.5 * s;
  const y = -h;
  let b: number;
  if (y - t >= ASYMPTOTIC_Y) {
    const density = INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
    side.vega = density;
    b = density * millsDifferenceAsymptotic(y, t);
    if (halfExp > 0) {
      side.cdfPlus = normCdf(h + t);
      side.cdfMinus = normCdf(h - t);
    }
    return b;
  }
  if (t < SMALL_T) {
    const density = INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
    side.vega = density;
    millsSeriesSmallT(y, t);
    b = 2 * density * series.odd;
    if (halfExp > 0) {
      side.cdfPlus = density * halfExp * (series.even + series.odd);
      side.cdfMinus = (density / halfExp) * (series.even - series.odd);
      if (!(side.cdfPlus <= 1 && side.cdfMinus >= 0)) {
        side.cdfPlus = normCdf(h + t);
        side.cdfMinus = normCdf(h - t);
      }
    }
    return b;
  }
  if (h + t > 0.85) {
    const bMax = Math.exp(0.5 * x);
    const plus = normCdf(h + t);
    const minus = normCdf(h - t);
    side.cdfPlus = plus;
    side.cdfMinus = minus;
    side.vega = INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
    b = plus * bMax - minus / bMax;
    return b > 0 ? b : 0;
  }
  const e = Math.exp(-0.5 * (h * h + t * t));
  const e1 = erfcx(-SQRT_HALF * (h + t));
  const e2 = erfcx(-SQRT_HALF * (h - t));
  side.vega = INV_SQRT_2PI * e;
  if (halfExp > 0) {
    side.cdfPlus = 0.5 * e * halfExp * e1;
    side.cdfMinus = (0.5 * e * e2) / halfExp;
    if (!(side.cdfPlus <= 1 && side.cdfMinus >= 0)) {
      side.cdfPlus = normCdf(h + t);
      side.cdfMinus = normCdf(h - t);
    }
  }
  b = 0.5 * e * (e1 - e2);
  return b > 0 ? b : 0;
}

/**
 * M(y - t) - M(y + t) for y - t >= 10 from M(v) ~ sum_n (-1)^n (2n-1)!! / v^{2n+1}
 * (Abramowitz and Stegun 26.2.12), differenced term by term: with a = y - t, c = y + t,
 * r = a/c, a^{-k} - c^{-k} = a^{-k} (1 - r^k), and u_k = 1 - r^k follows u_{k+2} = u_2 + r^2 u_k
 * from u_1 = 2t/c without cancellation.
 */
function millsDifferenceAsymptotic(y: number, t: number): number {
  const a = y - t;
  const c = y + t;
  const r = a / c;
  const r2 = r * r;
  const u1 = (2 * t) / c;
  const u2 = u1 * (1 + r);
  const invA2 = 1 / (a * a);
  let u = u1;
  let power = 1 / a; // (2n-1)!! / a^{2n+1} with its sign
  let sum = power * u;
  let previous = Math.abs(sum);
  for (let n = 1; n < 60; n++) {
    power *= -(2 * n - 1) * invA2;
    u = u2 + r2 * u;
    const term = power * u;
    const size = Math.abs(term);
    if (size >= previous) break; // the asymptotic series has reached its smallest term
    sum += term;
    if (size <= 1e-17 * Math.abs(sum)) break;
    previous = size;
  }
  return sum;
}

/**
 * The Taylor series of M(y - t) = sum_k m_k t^k / k! in t, split into its even and odd parts
 * (written to `series`), with the moments m_0 = M(y), m_1 = 1 - y m_0,
 * m_{k+1} = k m_{k-1} - y m_k (from M' = yM - 1). Then M(y - t) - M(y + t) = 2 odd and
 * M(y + t) = even - odd. Every m_k is positive, so neither sum cancels. Forward recursion loses
 * about log10(y^2) digits for the largest y used here (~10): a relative error of order 1e-14.
 */
function millsSeriesSmallT(y: number, t: number): void {
  const m0 = SQRT_HALF_PI * erfcx(SQRT_HALF * y);
  let previous = m0; // m_{k-1}
  let current = 1 - y * m0; // m_k, k = 1
  const t2 = t * t;
  let factor = t; // t^k / k!
  let odd = current * factor;
  let even = m0;
  for (let k = 1; k < 30; k += 2) {
    const next = k * previous - y * current; // m_{k+1}
    const next2 = (k + 1) * current - y * next; // m_{k+2}
    previous = next;
    current = next2;
    even += next * factor * (t / (k + 1));
    factor *= t2 / ((k + 1) * (k + 2));
    const term = current * factor;
    odd += term;
    if (term <= 1e-17 * odd) break;
  }
  series.even = even;
  series.odd = odd;
}
