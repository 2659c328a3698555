/**
 * Raw SVI: one expiry's total implied variance w = sigma_BS^2 T against the log-moneyness
 * k = ln(K/F),
 *
 *   w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2)),
 *
 * its derivatives in k, and the butterfly-arbitrage test of J. Gatheral and A. Jacquier,
 * "Arbitrage-free SVI volatility surfaces", Quantitative Finance 14(1) (2014) (GJ below).
 *
 * Parameters (GJ section 3.1): b >= 0, sigma > 0, a + b sigma sqrt(1 - rho^2) >= 0 (the minimum
 * of w, so w >= 0). GJ ask |rho| < 1 and set rho = +-1 aside as trivial (one wing flat), not as
 * ill-formed: every formula here holds there, and Zeliade's calibration domain, which is closed,
 * reaches it (`svi-calibrate.ts`), so |rho| <= 1 is accepted.
 *
 * Wings: w is asymptotically linear, with slope b (1 + rho) as k -> +inf and b (1 - rho) as
 * k -> -inf. R. Lee, "The moment formula for implied volatility at extreme strikes",
 * Mathematical Finance 14(3) (2004): for any arbitrage-free smile the slope of w at either end
 * is at most 2, so b (1 + |rho|) <= 2 (`leeOk`).
 */
import { InputError } from '../model/errors.js';

/** Raw SVI parameters of one expiry's total variance against k = ln(K/F). */
export interface RawSvi {
  a: number;
  b: number;
  rho: number;
  m: number;
  sigma: number;
}

/** Options of `checkButterfly`. */
export interface ButterflyOptions {
  /**
   * g counts as negative below -tolerance x (|t1| + |t2| + |t3|), the sum of the sizes of the
   * three terms of g (see `sviG`): rounding in g is relative to its terms, not to g, which
   * cancels to 0 where the slice is on the edge of arbitrage. Default 1e-12.
   */
  tolerance?: number;
  /** Grid step in t, where k = m + sigma sinh(t). Default 1/128: see `checkButterfly`. */
  step?: number;
}

/** The verdict of `checkButterfly`. */
export interface ButterflyCheck {
  /** No butterfly arbitrage: valid parameters, w > 0, g >= 0 everywhere, both wing conditions. */
  free: boolean;
  /** Infimum of g over the grid and its two limits at -inf and +inf (NaN when not computed). */
  minG: number;
  /** Where minG is attained (+-Infinity when it is a limit). */
  minGAt: number;
  /** Maximal intervals of k where g < 0, ascending; an end is +-Infinity when g < 0 up to there. */
  negativeRegions: [number, number][];
  /** d+(k) -> -inf as k -> +inf (GJ Lemma 2.2), which for raw SVI is b (1 + rho) < 2. */
  wingsOk: boolean;
  /** Lee's moment bound on both wings: b (1 + |rho|) <= 2. */
  leeOk: boolean;
  /** Why the slice is not free; absent when it is. */
  reason?: string;
}

/**
 * Why these parameters are not a raw SVI slice, as the typed error a caller can throw; undefined
 * when they are one. `field` prefixes the field names in the error.
 */
export function rawSviError(p: RawSvi, field = 'svi'): InputError | undefined {
  for (const key of ['a', 'b', 'rho', 'm', 'sigma'] as const) {
    if (!Number.isFinite(p[key])) return new InputError(`${field}.${key}`, p[key], 'a finite number');
  }
  if (!(p.b >= 0)) return new InputError(`${field}.b`, p.b, '>= 0');
  if (!(Math.abs(p.rho) <= 1)) return new InputError(`${field}.rho`, p.rho, 'in [-1, 1]');
  if (!(p.sigma > 0)) return new InputError(`${field}.sigma`, p.sigma, '> 0');
  const minimum = sviMinimumVariance(p);
  if (!(minimum >= 0)) {
    return new InputError(
      `${field}.a`,
      p.a,
      `>= -b sigma sqrt(1 - rho^2) = ${String(p.a - minimum)} (w >= 0)`,
    );
  }
  return undefined;
}

/** Throws the `InputError` of `rawSviError` when the parameters are not a raw SVI slice. */
export function assertRawSvi(p: RawSvi, field = 'svi'): void {
  const error = rawSviError(p, field);
  if (error !== undefined) throw error;
}

/** w(k), the total implied variance at log-moneyness k. */
export function sviTotalVariance(p: RawSvi, k: number): number {
  const x = k - p.m;
  return p.a + p.b * (p.rho * x + Math.sqrt(x * x + p.sigma * p.sigma));
}

/** dw/dk = b (rho + (k - m) / sqrt((k - m)^2 + sigma^2)). */
export function sviDwDk(p: RawSvi, k: number): number {
  const x = k - p.m;
  return p.b * (p.rho + x / Math.sqrt(x * x + p.sigma * p.sigma));
}

/** d2w/dk2 = b sigma^2 / ((k - m)^2 + sigma^2)^(3/2). */
export function sviD2wDk2(p: RawSvi, k: number): number {
  const x = k - p.m;
  const s = Math.sqrt(x * x + p.sigma * p.sigma);
  return (p.b * p.sigma * p.sigma) / (s * s * s);
}

/** min_k w(k) = a + b sigma sqrt(1 - rho^2), attained at k = m - rho sigma / sqrt(1 - rho^2). */
export function sviMinimumVariance(p: RawSvi): number {
  return p.a + p.b * p.sigma * Math.sqrt(Math.max(0, 1 - p.rho * p.rho));
}

/**
 * Gatheral-Jacquier g(k) = (1 - k w'/(2w))^2 - (w'^2/4)(1/w + 1/4) + w''/2 (GJ eq. 2.1): the
 * risk-neutral density is p(k) = g(k) / sqrt(2 pi w) exp(-d-(k)^2 / 2), so the slice is free of
 * butterfly arbitrage only where g >= 0. NaN or infinite where w(k) = 0.
 */
export function sviG(p: RawSvi, k: number): number {
  return gAt(p, k, SCRATCH);
}

/** d+(k) = -k / sqrt(w) + sqrt(w) / 2 (GJ section 2.2). */
export function sviDPlus(p: RawSvi, k: number): number {
  const rootW = Math.sqrt(sviTotalVariance(p, k));
  return -k / rootW + rootW / 2;
}

/** Receives the size of g's terms from `gAt`, so that the scan allocates nothing. */
const SCRATCH = new Float64Array(1);

/** g(k), writing |t1| + |t2| + |t3| (the scale its rounding is relative to) in scale[0]. */
function gAt(p: RawSvi, k: number, scale: Float64Array): number {
  const x = k - p.m;
  const s = Math.sqrt(x * x + p.sigma * p.sigma);
  const w = p.a + p.b * (p.rho * x + s);
  const w1 = p.b * (p.rho + x / s);
  const w2 = (p.b * p.sigma * p.sigma) / (s * s * s);
  const u = 1 - (k * w1) / (2 * w);
  const t1 = u * u;
  const t2 = ((w1 * w1) / 4) * (1 / w + 0.25);
  const t3 = w2 / 2;
  scale[0] = t1 + Math.abs(t2) + t3;
  return t1 - t2 + t3;
}

/**
 * Butterfly arbitrage of one raw SVI slice, by GJ Lemma 2.2: free iff g(k) >= 0 for every k and
 * d+(k) -> -inf as k -> +inf.
 *
 * Wings, analytically. With beta = b (1 + rho) the right-wing slope and gamma = a - beta m the
 * intercept of the asymptote (w = beta k + gamma + O(1/k)), d+(k) = sqrt(k) (sqrt(beta)/2 -
 * 1/sqrt(beta)) + O(1/sqrt k) for beta > 0: it tends to -inf iff beta < 2. At beta = 2 it tends
 * to 0 (w - 2k stays bounded), and when beta = 0 (b = 0 or rho = -1), w stays bounded and
 * d+ ~ -k/sqrt(w) -> -inf. So `wingsOk` is b (1 + rho) < 2. Expanding g the same way,
 *
 *   g(k) = (4 - beta^2)/16 + (2 gamma - beta^2) / (4 beta k) + O(1/k^2),   k -> +inf,
 *
 * and the mirror image on the left (beta = b (1 - rho), gamma = a + beta m, k -> -k): g tends
 * to (4 - beta^2)/16 at each end, which is >= 0 exactly when Lee's bound holds there. For an
 * SSVI slice the 1/k term is GJ's (4 - theta phi^2 (1 + rho)) / (8 phi k) (proof of Lemma 4.2).
 *
 * The rest, numerically: g on the grid k = m + sigma sinh(t), t a multiple of `step`, which is
 * spaced sigma x step at the vertex of the smile and step x |k - m| in the wings (Vogt's
 * negative region, 0.6 wide, gets about 110 points). Each side reaches |k - m| =
 * 1e4 (1 + |m| + sigma), or further when the 1/k term could hold g below 0 there: up to
 * 64 |1/k coefficient| / limit, capped at 1e12 (1 + |m| + sigma). Beyond, the two leading terms
 * keep g above 15/16 of its limit. The ends of a negative region are refined by bisection and
 * the minimum by golden-section search. A negative region narrower than the local spacing can be
 * missed. About 3,000 to 4,000 evaluations of g, each one square root: some 60 us.
 */
export function checkButterfly(p: RawSvi, options: ButterflyOptions = {}): ButterflyCheck {
  const tolerance = options.tolerance ?? 1e-12;
  const step = options.step ?? 1 / 128;
  const betaRight = p.b * (1 + p.rho);
  const betaLeft = p.b * (1 - p.rho);
  const wingsOk = betaRight < 2;
  const leeOk = Math.max(betaRight, betaLeft) <= 2;
  const invalid = rawSviError(p);
  const minimum = sviMinimumVariance(p);
  const base: ButterflyCheck = { free: false, minG: NaN, minGAt: NaN, negativeRegions: [], wingsOk, leeOk };
  if (invalid !== undefined) return { ...base, reason: invalid.message };
  if (!(minimum > 0)) {
    return { ...base, reason: `minimum total variance a + b sigma sqrt(1 - rho^2) = ${minimum} is not > 0` };
  }
  const limitRight = (4 - betaRight * betaRight) / 16;
  const limitLeft = (4 - betaLeft * betaLeft) / 16;
  const unit = 1 + Math.abs(p.m) + p.sigma;
  const reachRight = wingReach(betaRight, p.a - betaRight * p.m, limitRight, unit);
  const reachLeft = wingReach(betaLeft, p.a + betaLeft * p.m, limitLeft, unit);
  const first = -Math.ceil(Math.asinh(reachLeft / p.sigma) / step);
  const last = Math.ceil(Math.asinh(reachRight / p.sigma) / step);
  const negativeAt = (k: number): boolean => gAt(p, k, SCRATCH) < -tolerance * SCRATCH[0]!;

  // k_i = m + sigma sinh(i step), with e^(i step) carried by one multiplication a point (its
  // rounding, a few thousand ulps at the far ends, only moves grid points).
  const growth = Math.exp(step);
  let e = Math.exp(first * step);
  const negativeRegions: [number, number][] = [];
  let minG = Infinity;
  let minIndex = first;
  let minLo = NaN;
  let minHi = NaN;
  let regionStart = NaN;
  let previousK = NaN;
  let previousNegative = false;
  for (let i = first; i <= last; i++, e *= growth) {
    const k = p.m + p.sigma * ((e - 1 / e) / 2);
    const g = gAt(p, k, SCRATCH);
    const negative = g < -tolerance * SCRATCH[0]!;
    if (i === minIndex + 1) minHi = k;
    if (g < minG) {
      minG = g;
      minIndex = i;
      minLo = previousK;
      minHi = NaN;
    }
    if (negative && !previousNegative) {
      regionStart = i === first ? (limitLeft <= 0 ? -Infinity : k) : bisect(negativeAt, previousK, k);
    } else if (!negative && previousNegative) {
      negativeRegions.push([regionStart, bisect(negativeAt, k, previousK)]);
    }
    previousNegative = negative;
    previousK = k;
  }
  if (previousNegative) negativeRegions.push([regionStart, limitRight <= 0 ? Infinity : previousK]);

  let minGAt = p.m + p.sigma * Math.sinh(minIndex * step);
  if (minIndex > first && minIndex < last) {
    minGAt = goldenMinimum(p, minLo, minHi);
    minG = Math.min(minG, sviG(p, minGAt));
  }
  if (limitLeft < minG) {
    minG = limitLeft;
    minGAt = -Infinity;
  }
  if (limitRight < minG) {
    minG = limitRight;
    minGAt = Infinity;
  }

  const check: ButterflyCheck = { free: false, minG, minGAt, negativeRegions, wingsOk, leeOk };
  if (negativeRegions.length > 0) {
    const where = negativeRegions
      .map(([lo, hi]) => `(${lo.toPrecision(4)}, ${hi.toPrecision(4)})`)
      .join(', ');
    return { ...check, reason: `g(k) < 0 for k in ${where}` };
  }
  if (!leeOk)
    return { ...check, reason: `a wing slope b (1 + |rho|) = ${p.b * (1 + Math.abs(p.rho))} > 2 (Lee)` };
  if (!wingsOk)
    return {
      ...check,
      reason: `right wing slope b (1 + rho) = ${betaRight} is not < 2: d+ does not tend to -inf`,
    };
  return { ...check, free: true };
}

/**
 * How far from m the grid goes on one wing: the base reach, or further when the limit of g there
 * is positive but the 1/k term, (2 gamma - beta^2) / (4 beta k), could still hold g below it.
 */
function wingReach(beta: number, gamma: number, limit: number, unit: number): number {
  const base = 1e4 * unit;
  if (!(beta > 0) || !(limit > 0)) return base;
  const coefficient = Math.abs((2 * gamma - beta * beta) / (4 * beta));
  return Math.min(1e12 * unit, Math.max(base, (64 * coefficient) / limit));
}

/** The point between `inside` (predicate false) and `outside` (true) where the predicate turns. */
function bisect(predicate: (k: number) => boolean, inside: number, outside: number): number {
  let lo = inside;
  let hi = outside;
  for (let i = 0; i < 200; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid === lo || mid === hi) break;
    if (predicate(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Golden-section search for the minimum of g on [lo, hi], which brackets the grid minimum. */
function goldenMinimum(p: RawSvi, lo: number, hi: number): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - ratio * (hi - lo);
  let x2 = lo + ratio * (hi - lo);
  let g1 = sviG(p, x1);
  let g2 = sviG(p, x2);
  for (let i = 0; i < 200 && hi - lo > 4e-16 * (Math.abs(lo) + Math.abs(hi)); i++) {
    if (g1 <= g2) {
      hi = x2;
      x2 = x1;
      g2 = g1;
      x1 = hi - ratio * (hi - lo);
      g1 = sviG(p, x1);
    } else {
      lo = x1;
      x1 = x2;
      g1 = g2;
      x2 = lo + ratio * (hi - lo);
      g2 = sviG(p, x2);
    }
  }
  return g1 <= g2 ? x1 : x2;
}
