/**
 * Black-76 implied volatility by P. Jäckel, "Let's Be Rational", Wilmott (2015): maximum
 * attainable precision in at most two iterations for every input.
 *
 * The price is normalised to beta = (undiscounted time value) / sqrt(FK) of the equivalent
 * out-of-the-money call with x = -|ln(F/K)| <= 0, and s = sigma sqrt(T) solves b(x, s) = beta
 * (`normalised-black.ts`). The initial guess comes from four branches split at the inflection
 * point s_c = sqrt(2|x|) and at the tangent points s_l, s_h of the line through it:
 *  - lowest  (beta < b(s_l)): rational cubic interpolation of the "lower map"
 *    f = 2 pi |x| / sqrt(27) N(-|x|/(sqrt 3 s))^3, inverted in closed form;
 *  - two middle branches: rational cubic interpolation of s(beta) itself;
 *  - highest (beta > b(s_h)): rational cubic of the "upper map" f = N(-s/2), inverted by normInv.
 * Then Householder's third-order method on an objective that is nearly linear in each branch:
 * 1/ln b - 1/ln beta (lowest), b - beta (middle), ln((b_max - beta)/(b_max - b)) (highest).
 */
import { InputError } from '../model/errors.js';
import { checkBlackInputs, logMoneyness } from './black76.js';
import { erfcxLarge, erfSmall, normCdf, normInvAs241 } from './normal.js';
import { normalisedBlackOtm, normalisedSide, SIDE_VEGA } from './normalised-black.js';
import { controlForLeftCurvature, controlForRightCurvature, rationalCubic } from './rational-cubic.js';
import type { OptionKind } from './types.js';

const DBL_EPSILON = 2.220446049250313e-16;
const DBL_MIN = 2.2250738585072014e-308;
const SQRT_DBL_MAX = Math.sqrt(Number.MAX_VALUE);
const SQRT_THREE = Math.sqrt(3);
const TWO_PI = 2 * Math.PI;
const TWO_PI_OVER_SQRT_27 = (2 * Math.PI) / Math.sqrt(27);
const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);
const INV_SQRT_2PI = 0.3989422804014326779399;
const SQRT_HALF = Math.SQRT1_2;
/** Below this |z| the normal tail comes from erf, above from erfcx (Cody's branch point 0.5). */
const CUT = 0.5 * Math.SQRT2;
/** Jäckel shows two iterations reach the attainable precision; the bound is enforced. */
export const MAX_IV_ITERATIONS = 2;

/** Iterations used by the most recent solve (kept in a module slot so solving allocates nothing). */
let iterationsUsed = 0;

/** Result of `impliedVolWithIterations`. */
export interface ImpliedVolResult {
  vol: number;
  iterations: number;
}

/** Inputs for the implied-volatility column API. `isCall` is 1 for a call, 0 for a put. */
export interface IvColumns {
  isCall: Uint8Array;
  price: Float64Array;
  forward: Float64Array;
  strike: Float64Array;
  expiryYears: Float64Array;
  rate: Float64Array;
}

/**
 * The Black-76 implied volatility of a discounted option price. Throws `InputError` for a price
 * that is negative, NaN, below the discounted intrinsic value, or at or above the discounted
 * forward (call) or strike (put); a price exactly at the intrinsic value gives 0.
 */
export function impliedVol(
  kind: OptionKind,
  price: number,
  forward: number,
  strike: number,
  expiryYears: number,
  rate: number,
): number {
  return impliedVolWithIterations(kind, price, forward, strike, expiryYears, rate).vol;
}

/** As `impliedVol`, also returning the number of Householder iterations used (at most 2). */
export function impliedVolWithIterations(
  kind: OptionKind,
  price: number,
  forward: number,
  strike: number,
  expiryYears: number,
  rate: number,
): ImpliedVolResult {
  checkBlackInputs(kind, forward, strike, expiryYears, rate);
  if (typeof price !== 'number' || Number.isNaN(price)) throw new InputError('price', price, 'a number');
  const isCall = kind === 'call';
  const discount = Math.exp(-rate * expiryYears);
  const intrinsic = Math.max(isCall ? forward - strike : strike - forward, 0);
  const lower = discount * intrinsic;
  const upper = discount * (isCall ? forward : strike);
  if (price < 0) throw new InputError('price', price, 'a non-negative price');
  if (price < lower) {
    throw new InputError('price', price, `at least the discounted intrinsic value ${lower}`);
  }
  if (price >= upper) {
    throw new InputError(
      'price',
      price,
      `below the discounted ${isCall ? 'forward' : 'strike'} ${upper} (no volatility gives it)`,
    );
  }
  const vol = solve(isCall, price / discount, forward, strike, expiryYears);
  if (Number.isNaN(vol)) {
    throw new InputError('price', price, `below the discounted ${isCall ? 'forward' : 'strike'} ${upper}`);
  }
  return { vol, iterations: iterationsUsed };
}

/**
 * Implied volatilities from columns into `outVol`, allocating nothing. A row whose price is
 * outside the attainable range (or has invalid inputs) gets NaN; at the intrinsic value, 0.
 */
export function impliedVolColumns(input: IvColumns, outVol: Float64Array, count = input.price.length): void {
  const { isCall, price, forward, strike, expiryYears, rate } = input;
  for (let i = 0; i < count; i++) {
    const call = isCall[i] === 1;
    const f = forward[i]!;
    const k = strike[i]!;
    const t = expiryYears[i]!;
    const p = price[i]!;
    const discount = Math.exp(-rate[i]! * t);
    if (!(f > 0 && k > 0 && t > 0 && p >= 0) || discount === 0 || !Number.isFinite(discount)) {
      outVol[i] = NaN;
      continue;
    }
    const intrinsic = Math.max(call ? f - k : k - f, 0);
    if (p < discount * intrinsic || p >= discount * (call ? f : k)) {
      outVol[i] = NaN;
      continue;
    }
    outVol[i] = solve(call, p / discount, f, k, t);
  }
}

/** Vol from an undiscounted price already inside the bounds; NaN if rounding puts it at b_max. */
function solve(
  isCall: boolean,
  undiscounted: number,
  forward: number,
  strike: number,
  expiryYears: number,
): number {
  iterationsUsed = 0;
  const x = logMoneyness(forward, strike);
  const intrinsic = isCall ? forward - strike : strike - forward;
  const timeValue = intrinsic > 0 ? undiscounted - intrinsic : undiscounted;
  if (!(timeValue > 0)) return 0;
  const beta = timeValue / (Math.sqrt(forward) * Math.sqrt(strike));
  const s = normalisedImpliedVol(beta, -Math.abs(x));
  return s / Math.sqrt(expiryYears);
}

/** d2b/ds2 / (db/ds) and d3b/ds3 / (db/ds) of the normalised Black function. */
function curvature(x: number, s: number): number {
  const h = x / s;
  return (h * h) / s - 0.25 * s;
}
function thirdOverFirst(x: number, s: number, halley: number): number {
  const q = x / (s * s);
  return halley * halley - 3 * q * q - 0.25;
}

/** One Householder(3) step from newton = -g/g', halley = g''/g', hh3 = g'''/g'. */
function householderStep(newton: number, halley: number, hh3: number): number {
  return (newton * (1 + 0.5 * halley * newton)) / (1 + newton * (halley + (hh3 * newton) / 6));
}

/** f, df/dbeta, d2f/dbeta2 of the last lower or upper map (a module slot: no allocation). */
const map = new Float64Array(3);
const MAP_F = 0;
const MAP_FP = 1;
const MAP_FPP = 2;

/**
 * The lower map f(s) = 2 pi |x| / sqrt(27) N(-z)^3, z = |x|/(sqrt 3 s), and its first two
 * derivatives with respect to beta = b(x, s); f(0) = 0 and f'(0) = 1, so f is close to linear
 * in beta where b is tiny.
 */
function lowerMap(x: number, s: number): void {
  const ax = Math.abs(x);
  const z = ax / (SQRT_THREE * s);
  const y = z * z;
  const s2 = s * s;
  // One exponential for phi(z), N(-z) and e^{y + s^2/8} = e^{s^2/8} / (e^{-y/2})^2.
  const halfGauss = Math.exp(-0.5 * y);
  const pdf = INV_SQRT_2PI * halfGauss;
  const cdf = z > CUT ? 0.5 * halfGauss * erfcxLarge(SQRT_HALF * z) : 0.5 - 0.5 * erfSmall(SQRT_HALF * z);
  const cdf2 = cdf * cdf;
  const growth = Math.exp(0.125 * s2) / (halfGauss * halfGauss);
  map[MAP_F] = TWO_PI_OVER_SQRT_27 * ax * cdf2 * cdf;
  map[MAP_FP] = TWO_PI * y * cdf2 * growth;
  map[MAP_FPP] =
    (((Math.PI / 6) * y) / (s2 * s)) *
    cdf *
    (8 * SQRT_THREE * s * ax + (3 * s2 * (s2 - 8) - 8 * x * x) * (cdf / pdf)) *
    growth *
    growth;
}

function inverseLowerMap(x: number, f: number): number {
  if (!(f > 0)) return 0;
  const ax = Math.abs(x);
  return Math.abs(ax / (SQRT_THREE * normInvAs241(Math.cbrt(f / (TWO_PI_OVER_SQRT_27 * ax)))));
}

/** The upper map f(s) = N(-s/2) and its first two derivatives with respect to beta. */
function upperMap(x: number, s: number): void {
  const w = (x / s) * (x / s);
  const half = Math.exp(0.5 * w);
  map[MAP_F] = normCdf(-0.5 * s);
  map[MAP_FP] = -0.5 * half;
  map[MAP_FPP] = SQRT_HALF_PI * half * half * Math.exp(0.125 * s * s) * (w / s);
}

type Objective = 0 | 1 | 2; // 0: lowest (log-reciprocal), 1: middle (plain), 2: highest (log of distance to max)

/**
 * s with b(x, s) = beta for x <= 0 and 0 < beta < e^{x/2}; NaN at or above e^{x/2}. Records
 * the iteration count.
 */
export function normalisedImpliedVol(beta: number, x: number): number {
  iterationsUsed = 0;
  if (!(beta > 0)) return 0;
  const bMax = Math.exp(0.5 * x);
  if (beta >= bMax) return NaN;
  const halfExp = 1 / bMax;
  const side = normalisedSide;
  // At the inflection point s_c = sqrt(2|x|): h + t = 0 and (h^2 + t^2)/2 = |x|/2, so
  // db/ds = phi(0) b_max and b = b_max/2 - erfcx(sqrt|x|) / (2 b_max) without another exp
  // (the guess needs b_c only to a few digits; this loses ~1/sqrt|x| ulps for tiny |x|).
  const sC = Math.sqrt(-2 * x);
  const vC = INV_SQRT_2PI * bMax;
  const rootX = Math.sqrt(-x);
  const erfcxRoot = rootX >= 0.5 ? erfcxLarge(rootX) : (1 - erfSmall(rootX)) * halfExp * halfExp;
  const bC = Math.max(0.5 * (bMax - erfcxRoot / halfExp), 0);
  let s: number;
  let sLeft = DBL_MIN;
  let sRight = Number.MAX_VALUE;
  let objective: Objective = 1;
  if (beta < bC) {
    const sL = sC - bC / vC;
    const bL = normalisedBlackOtm(x, sL, halfExp);
    const vL = side[SIDE_VEGA]!;
    if (beta < bL) {
      lowerMap(x, sL);
      const fL = map[MAP_F]!;
      const fpL = map[MAP_FP]!;
      const fppL = map[MAP_FPP]!;
      const r = controlForRightCurvature(0, bL, 0, fL, 1, fpL, fppL, true);
      let f = rationalCubic(beta, 0, bL, 0, fL, 1, fpL, r);
      if (!(f > 0)) {
        // Rounding at extreme |x|: the quadratic through f(0) = 0, f'(0) = 1 and f(b_l).
        const u = beta / bL;
        f = (fL * u + bL * (1 - u)) * u;
      }
      s = inverseLowerMap(x, f);
      sRight = sL;
      objective = 0;
    } else {
      const r = controlForRightCurvature(bL, bC, sL, sC, 1 / vL, 1 / vC, 0, false);
      s = rationalCubic(beta, bL, bC, sL, sC, 1 / vL, 1 / vC, r);
      sLeft = sL;
      sRight = sC;
    }
  } else {
    const sH = vC > DBL_MIN ? sC + (bMax - bC) / vC : sC;
    const bH = normalisedBlackOtm(x, sH, halfExp);
    const vH = side[SIDE_VEGA]!;
    if (beta <= bH) {
      const r = controlForLeftCurvature(bC, bH, sC, sH, 1 / vC, 1 / vH, 0, false);
      s = rationalCubic(beta, bC, bH, sC, sH, 1 / vC, 1 / vH, r);
      sLeft = sC;
      sRight = sH;
    } else {
      upperMap(x, sH);
      const fH = map[MAP_F]!;
      const fpH = map[MAP_FP]!;
      const fppH = map[MAP_FPP]!;
      let f = NaN;
      if (fppH > -SQRT_DBL_MAX && fppH < SQRT_DBL_MAX) {
        const r = controlForLeftCurvature(bH, bMax, fH, 0, fpH, -0.5, fppH, true);
        f = rationalCubic(beta, bH, bMax, fH, 0, fpH, -0.5, r);
      }
      if (!(f > 0)) {
        // The quadratic through f(b_h), f(b_max) = 0 and f'(b_max) = -1/2.
        const width = bMax - bH;
        const u = (beta - bH) / width;
        f = (fH * (1 - u) + 0.5 * width * u) * (1 - u);
      }
      s = -2 * normInvAs241(f);
      sLeft = sH;
      if (beta > 0.5 * bMax) objective = 2;
    }
  }
  return householder(beta, x, bMax, halfExp, s, sLeft, sRight, objective);
}

function householder(
  beta: number,
  x: number,
  bMax: number,
  halfExp: number,
  start: number,
  left: number,
  right: number,
  objective: Objective,
): number {
  let s = start;
  let sLeft = left;
  let sRight = right;
  const lnBeta = objective === 0 ? Math.log(beta) : 0;
  for (let iteration = 0; iteration < MAX_IV_ITERATIONS; iteration++) {
    if (iteration > 0 && !(s > sLeft && s < sRight)) {
      // The guess or the last step left the bracket (only at extreme |x|): bisect instead.
      s = 0.5 * (sLeft + (sRight === Number.MAX_VALUE ? Math.max(2 * sLeft, 1) : sRight));
    }
    const b = normalisedBlackOtm(x, s, halfExp);
    const bp = normalisedSide[SIDE_VEGA]!;
    if (b > beta && s < sRight) sRight = s;
    else if (b < beta && s > sLeft) sLeft = s;
    iterationsUsed = iteration + 1;
    let ds: number;
    const halleyB = curvature(x, s);
    const hh3B = thirdOverFirst(x, s, halleyB);
    if (objective === 0) {
      if (!(b > 0 && bp > 0)) {
        ds = 0.5 * (sLeft + sRight) - s;
      } else {
        const lnB = Math.log(b);
        const q = bp / b;
        const newton = ((lnBeta - lnB) * lnB) / lnBeta / q;
        const c = 1 + 2 / lnB;
        const halley = halleyB - q * c;
        const hh3 = hh3B + 2 * q * q * (1 + (3 / lnB) * (1 + 1 / lnB)) - 3 * halleyB * q * c;
        ds = householderStep(newton, halley, hh3);
      }
    } else if (objective === 2) {
      if (!(b < bMax && bp > DBL_MIN)) {
        ds = 0.5 * (sLeft + sRight) - s;
      } else {
        const gap = bMax - b;
        const g = Math.log((bMax - beta) / gap);
        const gp = bp / gap;
        const newton = -g / gp;
        ds = householderStep(newton, halleyB + gp, hh3B + gp * (2 * gp + 3 * halleyB));
      }
    } else {
      ds = householderStep((beta - b) / bp, halleyB, hh3B);
    }
    if (!(ds > -0.5 * s)) ds = Number.isNaN(ds) ? 0.5 * (sLeft + sRight) - s : -0.5 * s;
    s += ds;
    if (Math.abs(ds) <= DBL_EPSILON * s) break;
  }
  return s;
}
