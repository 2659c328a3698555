/**
 * The normalised Black function of P. Jäckel, "Let's Be Rational", Wilmott (2015):
 *
 *   b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2),   x = ln(F/K), s = sigma sqrt(T),
 *
 * the undiscounted call price divided by sqrt(F K). A put is b(-x, s) (reciprocal-strike
 * symmetry), and an in-the-money option is its intrinsic value plus the out-of-the-money one, so
 * everything reduces to x <= 0. With h = x/s, t = s/2, y = -h and the Mills ratio
 * M(y) = N(-y)/phi(y):
 *
 *   N(h + t) e^{x/2} = phi(0) E M(y - t),   N(h - t) e^{-x/2} = phi(0) E M(y + t),
 *   E = e^{-(h^2 + t^2)/2},   b = phi(0) E [M(y - t) - M(y + t)],   db/ds = phi(0) E.
 *
 * One exponential E serves the price, the vega and both probabilities; what is left are rational
 * functions, evaluated so that nothing cancels badly:
 * 1. y - t >= 10 and t < y/200: the asymptotic series of M, differenced term by term;
 * 2. t < 0.01, or t < 0.21 with y > 100 t: the Taylor series of M(y -+ t) in t, whose
 *    coefficients are the moments m_k = int_0^inf u^k e^{-yu - u^2/2} du (all positive);
 * 3. h + t below -1/sqrt 2: both probabilities are tails, b = E/2 [erfcx(..) - erfcx(..)]
 *    with Cody's erfcx (Jäckel's fourth region), which cancels by a factor ~y/(2t) (< 50 here);
 * 4. otherwise b = e^{x/2} N(h + t) - e^{-x/2} N(h - t) with each N from erf or erfcx as its
 *    argument needs: the first term dominates, or t >= 0.01, so the difference loses at most
 *    a factor ~1/(1.6 t) in relative precision (~1e-14).
 * Region 1's boundary is Jäckel's; region 2 is narrower than his t < 0.21 (the moment recursion
 * is latency-bound and the rational erfcx is cheaper wherever it keeps ~1e-14); the series of
 * regions 1 and 2 are written here in terms of the Mills-ratio moments, not his explicit
 * polynomials.
 */
import { erfSmall, erfcxLarge, normCdf } from './normal.js';

const INV_SQRT_2PI = 0.3989422804014326779399;
const SQRT_HALF = Math.SQRT1_2;
const SQRT_2PI = 2.5066282746310005024;
/** Below this t = s/2 the Taylor series in t (region 2) is always used. */
const SMALL_T = 0.01;
/** Jäckel's bound for the series in t, 2 eps^(1/16) ~ 0.21, and the y/t above which it is used. */
const SERIES_T = 0.21;
const SERIES_RATIO = 100;
/** From y - t >= 10 on, the asymptotic series of the Mills ratio converges to eps. */
const ASYMPTOTIC_Y = 10;
/**
 * The series is needed only where M(y - t) - M(y + t) from erfcx would cancel, that is for
 * t < 0.005 y (a cancellation factor y/(2t) above 100); elsewhere the rational erfcx is cheaper.
 */
const ASYMPTOTIC_T_SHARE = 0.005;
/** |z| <= CUT: N(z) from erf (|z|/sqrt 2 <= 0.5, Cody's first branch); beyond, from erfcx. */
const CUT = Math.SQRT2 * 0.5;
/** 1/((k+1)(k+2)) and 1/(k+1) for the small-t recursion, k = 1, 3, 5, ... */
const INV_PAIR = new Float64Array(32);
const INV_NEXT = new Float64Array(32);
for (let k = 1; k < 32; k += 2) {
  INV_PAIR[k] = 1 / ((k + 1) * (k + 2));
  INV_NEXT[k] = 1 / (k + 1);
}

/** The normalised intrinsic value of a call, e^{x/2} - e^{-x/2}, for x > 0 (else 0). */
export function normalisedIntrinsicCall(x: number): number {
  return x > 0 ? 2 * Math.sinh(0.5 * x) : 0;
}

/** db/ds = phi(0) e^{-(h^2 + t^2)/2}: the normalised vega, the same for calls and puts. */
export function normalisedVega(x: number, s: number): number {
  if (x === 0) return INV_SQRT_2PI * Math.exp(-0.125 * s * s);
  if (!(s > 0)) return 0;
  const h = x / s;
  const t = 0.5 * s;
  return INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
}

/**
 * Side results of the last `normalisedBlackOtm` call, kept in a module slot so that the hot
 * paths allocate nothing: [SIDE_VEGA] = db/ds, [SIDE_CDF_PLUS] = N(h + t),
 * [SIDE_CDF_MINUS] = N(h - t). A Float64Array, not an object: its stores never box a double.
 */
export const normalisedSide = new Float64Array(3);
export const SIDE_VEGA = 0;
export const SIDE_CDF_PLUS = 1;
export const SIDE_CDF_MINUS = 2;

/** b(x, s) for a call (theta = 1); for a put use b(-x, s). */
export function normalisedBlackCall(x: number, s: number): number {
  const ax = Math.abs(x);
  const otm = normalisedBlackOtm(-ax, s, Math.exp(0.5 * ax));
  return x > 0 ? normalisedIntrinsicCall(x) + otm : otm;
}

/**
 * b(x, s) for x <= 0 (an out-of-the-money or at-the-money call), given halfExp = e^{-x/2}
 * (which callers have at hand: sqrt(F/K) or 1/b_max). Sets `normalisedSide`.
 */
export function normalisedBlackOtm(x: number, s: number, halfExp: number): number {
  const side = normalisedSide;
  if (!(s > 0)) {
    side[SIDE_VEGA] = x === 0 ? INV_SQRT_2PI : 0;
    side[SIDE_CDF_PLUS] = x === 0 ? 0.5 : 0;
    side[SIDE_CDF_MINUS] = side[SIDE_CDF_PLUS]!;
    return 0;
  }
  const h = x / s;
  const t = 0.5 * s;
  const y = -h;
  const e = Math.exp(-0.5 * (h * h + t * t));
  const density = INV_SQRT_2PI * e;
  side[SIDE_VEGA] = density;
  if (y - t >= ASYMPTOTIC_Y && t < ASYMPTOTIC_T_SHARE * y) {
    // Far out of the money with t small against y, where the erfcx difference below would
    // cancel: the asymptotic series, differenced term by term.
    const difference = millsDifferenceAsymptotic(y, t);
    const millsLow = asymptoticMills[0]!; // M(y - t)
    side[SIDE_CDF_PLUS] = density * halfExp * millsLow;
    side[SIDE_CDF_MINUS] = (density / halfExp) * (millsLow - difference);
    return density * difference;
  }
  if (!(halfExp < Infinity)) {
    // |x| beyond ~1400: e^{|x|/2} overflows, so the probabilities come without it.
    side[SIDE_CDF_PLUS] = normCdf(h + t);
    side[SIDE_CDF_MINUS] = normCdf(h - t);
    const bMax = Math.exp(0.5 * x);
    const b = side[SIDE_CDF_PLUS]! * bMax - side[SIDE_CDF_MINUS]! / bMax;
    return b > 0 ? b : 0;
  }
  // Region 2 where the erfcx difference would lose more than ~50 ulps: small t near the money,
  // or t small against y out of the money (cancellation factor y/(2t)).
  if (t < SERIES_T && (t < SMALL_T || SERIES_RATIO * t < y)) return smallT(y, t, e, density, halfExp);
  const zPlus = h + t;
  const zMinus = h - t;
  const wPlus = 0.5 * e * halfExp; // e^{-(h+t)^2/2} / 2
  const wMinus = (0.5 * e) / halfExp; // e^{-(h-t)^2/2} / 2
  if (zPlus < -CUT) {
    const e1 = erfcxLarge(-SQRT_HALF * zPlus);
    const e2 = erfcxLarge(-SQRT_HALF * zMinus);
    side[SIDE_CDF_PLUS] = wPlus * e1;
    side[SIDE_CDF_MINUS] = wMinus * e2;
    const b = 0.5 * e * (e1 - e2);
    return b > 0 ? b : 0;
  }
  const plus = cdfWithWeight(zPlus, wPlus);
  const minus = cdfWithWeight(zMinus, wMinus);
  side[SIDE_CDF_PLUS] = plus;
  side[SIDE_CDF_MINUS] = minus;
  const b = plus / halfExp - minus * halfExp;
  return b > 0 ? b : 0;
}

/** N(z) given w = e^{-z^2/2}/2, without another exponential. */
function cdfWithWeight(z: number, w: number): number {
  if (z < -CUT) return w * erfcxLarge(-SQRT_HALF * z);
  if (z > CUT) return 1 - w * erfcxLarge(SQRT_HALF * z);
  return 0.5 + 0.5 * erfSmall(SQRT_HALF * z);
}

/**
 * Region 2: M(y -+ t) = sum_k (+-t)^k m_k / k! with the moments m_0 = M(y), m_1 = 1 - y m_0,
 * m_{k+1} = k m_{k-1} - y m_k (from M' = yM - 1); every m_k is positive, so neither the odd
 * sum nor the even sum cancels, and M(y - t) - M(y + t) = 2 odd. Forward recursion loses about
 * log10(y^2) digits at the largest y used here (~10): a relative error of order 1e-14.
 */
function smallT(y: number, t: number, e: number, density: number, halfExp: number): number {
  const side = normalisedSide;
  // m_0 = M(y) = sqrt(2 pi) N(-y) e^{y^2/2}, and e^{y^2/2} = e^{-t^2/2} / E.
  let m0: number;
  if (y > CUT) m0 = SQRT_2PI * 0.5 * erfcxLarge(SQRT_HALF * y);
  else {
    // e^{-t^2/2} by its Taylor series: u = t^2/2 < 0.00125, so u^5/120 < 3e-17.
    const u = 0.5 * t * t;
    const expHalfT2 = 1 - u * (1 - u * (0.5 - u * (1 / 6 - u * (1 / 24))));
    m0 = (SQRT_2PI * (0.5 - 0.5 * erfSmall(SQRT_HALF * y)) * expHalfT2) / e;
  }
  let previous = m0; // m_{k-1}
  let current = 1 - y * m0; // m_k, k = 1
  const t2 = t * t;
  let factor = t; // t^k / k!
  let odd = current * factor;
  let even = m0;
  for (let k = 1; k < 31; k += 2) {
    const next = k * previous - y * current; // m_{k+1}
    const next2 = (k + 1) * current - y * next; // m_{k+2}
    previous = next;
    current = next2;
    even += next * factor * t * INV_NEXT[k]!;
    factor *= t2 * INV_PAIR[k]!;
    const term = current * factor;
    odd += term;
    if (term <= 1e-17 * odd) break;
  }
  side[SIDE_CDF_PLUS] = density * halfExp * (even + odd);
  side[SIDE_CDF_MINUS] = (density / halfExp) * (even - odd);
  return 2 * density * odd;
}

/**
 * M(y - t) - M(y + t) for y - t >= 10 (and M(y - t) itself, in `asymptoticMills`) from
 * M(v) ~ sum_n (-1)^n (2n-1)!! / v^{2n+1}
 * (Abramowitz and Stegun 26.2.12), differenced term by term: with a = y - t, c = y + t,
 * r = a/c, a^{-k} - c^{-k} = a^{-k} (1 - r^k), and u_k = 1 - r^k follows u_{k+2} = u_2 + r^2 u_k
 * from u_1 = 2t/c without cancellation.
 */
const asymptoticMills = new Float64Array(1);

function millsDifferenceAsymptotic(y: number, t: number): number {
  const a = y - t;
  const c = y + t;
  const r = a / c;
  const r2 = r * r;
  const u1 = (2 * t) / c;
  const u2 = u1 * (1 + r);
  const invA2 = 1 / (a * a);
  let u = u1;
  let power = 1 / a; // (-1)^n (2n-1)!! / a^{2n+1}
  let mills = power; // M(a)
  let sum = power * u;
  let previous = Math.abs(sum);
  for (let n = 1; n < 60; n++) {
    power *= -(2 * n - 1) * invA2;
    u = u2 + r2 * u;
    const term = power * u;
    const size = Math.abs(term);
    if (size >= previous) break; // the asymptotic series has reached its smallest term
    sum += term;
    mills += power;
    if (size <= 1e-17 * Math.abs(sum) && Math.abs(power) <= 1e-17 * mills) break;
    previous = size;
  }
  asymptoticMills[0] = mills;
  return sum;
}
