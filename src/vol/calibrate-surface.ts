/**
 * Calibration of the surface to bid/ask implied vols, expiry by expiry from the shortest, each
 * slice kept free of butterfly arbitrage and of calendar arbitrage against the slice before it,
 * so the surface is arbitrage-free by construction (and `surface-checks.ts` verifies it).
 *
 * Two models, both ending as raw SVI slices in a `VolSurface`:
 * - `svi` (default): raw SVI per expiry by Zeliade's quasi-explicit method (`svi-calibrate.ts`),
 *   weighted by spread and vega; where the result would cross the previous slice or fail the
 *   butterfly condition, a Nelder-Mead polish over the five parameters with those conditions
 *   as penalties. Five parameters follow crypto smiles (steep, asymmetric wings) closely.
 * - `essvi`: extended SSVI slices (`essvi.ts`; Hendriks-Martini 2019, Corbetta et al. 2019),
 *   three parameters per expiry inside closed-form no-arbitrage conditions: smoother across
 *   expiries, looser fit.
 *
 * Weights: a quote's vol error counts in units of its half spread h (at least MIN_HALF_SPREAD),
 * so tight quotes pull harder than wide ones; for the fit in total variance w = sigma^2 T the
 * weight is 1/(2 sigma T h)^2 (dw = 2 sigma T dsigma), the vega scaling of that error.
 *
 * A refit starts from the previous surface's slice at the same expiry and keeps it unless the
 * quotes improve the fit (the `previous` rule of `calibrateRawSvi`; for eSSVI a small penalty on
 * moving), so marks do not jump between refits on unchanged quotes.
 */
import { essviToRawSvi, essviTotalVariance, essviViolation, type EssviSlice } from './essvi.js';
import { nelderMead } from './nelder-mead.js';
import { calibrateRawSvi } from './svi-calibrate.js';
import { checkButterfly, sviG, sviTotalVariance, type RawSvi } from './svi.js';
import { slicesCalendar } from './surface-checks.js';
import { VolSurface, type ForwardSource, type SurfaceSlice } from './surface.js';

export type SurfaceModel = 'svi' | 'essvi';

/** The quotes of one expiry, in log-moneyness against the expiry's forward. */
export interface SliceQuotes {
  expiryMs: number;
  /** Years from the surface's as-of time. */
  yearsToExpiry: number;
  forward: number;
  /** ln(K/F) of each quote. */
  k: Float64Array;
  /** Mid implied vol (bid and ask both present) and half the bid-ask spread, in vol. */
  mid: Float64Array;
  halfSpread: Float64Array;
}

/** What the fit of one expiry achieved. */
export interface SliceFit {
  expiryMs: number;
  params: RawSvi;
  /** The eSSVI parameters, when that model was fitted. */
  essvi?: EssviSlice;
  /** Root mean square of fit - mid, vol points (1 = 0.01). */
  rmseVolPts: number;
  /** Share of the quotes whose fitted vol lies inside [bid, ask]. */
  withinSpreadShare: number;
}

export interface SurfaceFit {
  model: SurfaceModel;
  surface: VolSurface;
  slices: SliceFit[];
}

export interface CalibrationOptions {
  model?: SurfaceModel;
  /** The previous fit, to start from and to stay close to. */
  previous?: VolSurface;
  /** Forwards for the surface (default: log-linear between the slices' forwards). */
  forwards?: ForwardSource;
}

/** The smallest half spread trusted, in vol (0.1 vol point): tighter quotes do not dominate. */
const MIN_HALF_SPREAD = 0.001;
const PENALTY = 1e4;

/** Fits every expiry in order of time; `quotes` may come in any order. */
export function calibrateSurface(
  asOfMs: number,
  quotes: readonly SliceQuotes[],
  options: CalibrationOptions = {},
): SurfaceFit {
  const model = options.model ?? 'svi';
  const ordered = [...quotes].sort((a, b) => a.expiryMs - b.expiryMs);
  const slices: SurfaceSlice[] = [];
  const fits: SliceFit[] = [];
  let before: SliceFit | undefined;
  for (const q of ordered) {
    const previous = options.previous?.slices.find((s) => s.expiryMs === q.expiryMs)?.svi;
    const fit =
      model === 'svi' ? fitSviSlice(q, before?.params, previous) : fitEssviSlice(q, before, previous);
    slices.push({
      expiryMs: q.expiryMs,
      yearsToExpiry: q.yearsToExpiry,
      forward: q.forward,
      svi: fit.params,
    });
    fits.push(fit);
    before = fit;
  }
  return { model, surface: new VolSurface(asOfMs, slices, options.forwards), slices: fits };
}

/** Fit quality of a slice against its quotes. */
function quality(
  q: SliceQuotes,
  variance: (k: number) => number,
): { rmseVolPts: number; withinSpreadShare: number } {
  const n = q.k.length;
  let sumSq = 0;
  let inside = 0;
  for (let j = 0; j < n; j++) {
    const err = Math.sqrt(variance(q.k[j]!) / q.yearsToExpiry) - q.mid[j]!;
    sumSq += err * err;
    if (Math.abs(err) <= q.halfSpread[j]! * (1 + 1e-9)) inside++;
  }
  return { rmseVolPts: n > 0 ? 100 * Math.sqrt(sumSq / n) : 0, withinSpreadShare: n > 0 ? inside / n : 1 };
}

function halfSpreads(q: SliceQuotes): Float64Array {
  return q.halfSpread.map((h) => Math.max(h, MIN_HALF_SPREAD));
}

/** Whether a raw slice may follow `before`: butterfly-free, and above it at every k. */
function admissible(p: RawSvi, before: RawSvi | undefined, t1: number, t2: number): boolean {
  if (!checkButterfly(p).free) return false;
  return before === undefined || slicesCalendar(before, p, t1, t2).free;
}

function fitSviSlice(q: SliceQuotes, before: RawSvi | undefined, previous: RawSvi | undefined): SliceFit {
  const n = q.k.length;
  const t = q.yearsToExpiry;
  const h = halfSpreads(q);
  const w = new Float64Array(n);
  const weight = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    w[j] = q.mid[j]! * q.mid[j]! * t;
    const dw = 2 * q.mid[j]! * t * h[j]!;
    weight[j] = 1 / (dw * dw);
  }
  let params = calibrateRawSvi(
    { k: q.k, w, weight },
    { maxWingSlope: 2, ...(previous ? { previous } : {}) },
  ).params;
  // The time of `before` only labels the check's report; the order is what matters.
  if (!admissible(params, before, 0, t)) params = polishSvi(q.k, w, weight, params, before);
  return { expiryMs: q.expiryMs, params, ...quality(q, (k) => sviTotalVariance(params, k)) };
}

/** Grid for the penalties: k = m + sigma sinh(u), u in [-6, 6], and the data's own points. */
const PENALTY_GRID = Float64Array.from({ length: 49 }, (_, i) => -6 + i / 4);

/**
 * Weighted least squares in total variance over (a, ln b, atanh rho, m, ln sigma), with the
 * butterfly condition (g >= 0 on a grid, Lee's wing bound, w > 0) and the calendar condition
 * against `before` (w above it on the grid and at the data, wing slopes not smaller) as steep
 * penalties.
 */
function polishSvi(
  k: Float64Array,
  w: Float64Array,
  weight: Float64Array,
  start: RawSvi,
  before: RawSvi | undefined,
): RawSvi {
  const p: RawSvi = { ...start };
  const set = (x: Float64Array): RawSvi => {
    p.a = x[0]!;
    p.b = Math.exp(x[1]!);
    p.rho = Math.tanh(x[2]!);
    p.m = x[3]!;
    p.sigma = Math.exp(x[4]!);
    return p;
  };
  let scale = 0;
  for (let j = 0; j < k.length; j++) scale += weight[j]! * w[j]! * w[j]!;
  const violation = (s: RawSvi): number => {
    let v = Math.max(0, s.b * (1 + Math.abs(s.rho)) - 2);
    v += Math.max(0, -(s.a + s.b * s.sigma * Math.sqrt(1 - s.rho * s.rho)));
    for (const u of PENALTY_GRID) v += Math.max(0, -sviG(s, s.m + s.sigma * Math.sinh(u)));
    if (before) {
      v += Math.max(0, before.b * (1 + before.rho) - s.b * (1 + s.rho));
      v += Math.max(0, before.b * (1 - before.rho) - s.b * (1 - s.rho));
      const gap = (kk: number): number => Math.max(0, sviTotalVariance(before, kk) - sviTotalVariance(s, kk));
      for (const u of PENALTY_GRID)
        v += gap(s.m + s.sigma * Math.sinh(u)) + gap(before.m + before.sigma * Math.sinh(u));
      for (let j = 0; j < k.length; j++) v += gap(k[j]!);
    }
    return v;
  };
  const objective = (x: Float64Array): number => {
    const s = set(x);
    let sum = 0;
    for (let j = 0; j < k.length; j++) {
      const r = sviTotalVariance(s, k[j]!) - w[j]!;
      sum += weight[j]! * r * r;
    }
    return sum / scale + PENALTY * violation(s);
  };
  const x0 = [
    start.a,
    Math.log(Math.max(start.b, 1e-8)),
    Math.atanh(Math.max(-0.999, Math.min(0.999, start.rho))),
    start.m,
    Math.log(start.sigma),
  ];
  let best = nelderMead(objective, x0, {
    initialStep: [0.01 * Math.max(Math.abs(start.a), 1e-4), 0.1, 0.1, 0.05, 0.1],
    maxIterations: 4000,
    xTolerance: 1e-12,
  });
  // A restart from the best point shakes off a collapsed simplex.
  best = nelderMead(objective, best.x, {
    initialStep: [1e-4, 0.05, 0.05, 0.02, 0.05],
    maxIterations: 4000,
    xTolerance: 1e-12,
  });
  return { ...set(best.x) };
}

/** Weight of the pull to the mid inside the spread, in the eSSVI objective. */
const MID_WEIGHT = 0.05;
const STABILITY_WEIGHT = 1e-6;

/**
 * One eSSVI slice: in (ln theta, atanh rho, ln psi), minimise
 * sum_j [max(|r_j| - 1, 0)^2 + MID_WEIGHT r_j^2] with r_j = (sigma_fit(k_j) - mid_j)/h_j (no
 * cost inside the spread but a small pull to the mid), plus the closed-form conditions as
 * penalties.
 */
function fitEssviSlice(q: SliceQuotes, before: SliceFit | undefined, previous: RawSvi | undefined): SliceFit {
  const n = q.k.length;
  const t = q.yearsToExpiry;
  const h = halfSpreads(q);
  const prior = before?.essvi;
  const anchor = previous ? rawToEssvi(previous) : undefined;
  const start = anchor ?? essviStart(q, prior);
  const slice: EssviSlice = { theta: 0, rho: 0, psi: 0 };
  const toSlice = (x: Float64Array): EssviSlice => {
    slice.theta = Math.exp(x[0]!);
    slice.rho = Math.tanh(x[1]!);
    slice.psi = Math.exp(x[2]!);
    return slice;
  };
  const objective = (x: Float64Array): number => {
    const s = toSlice(x);
    let loss = PENALTY * essviViolation(s, prior);
    for (let j = 0; j < n; j++) {
      const r = (Math.sqrt(essviTotalVariance(s, q.k[j]!) / t) - q.mid[j]!) / h[j]!;
      const outside = Math.abs(r) - 1;
      loss += MID_WEIGHT * r * r + (outside > 0 ? outside * outside : 0);
    }
    if (anchor) {
      const dt = (s.theta - anchor.theta) / anchor.theta;
      const dr = s.rho - anchor.rho;
      const dp = (s.psi - anchor.psi) / anchor.psi;
      loss += STABILITY_WEIGHT * n * (dt * dt + dr * dr + dp * dp);
    }
    return loss;
  };
  const x0 = [
    Math.log(start.theta),
    Math.atanh(Math.max(-0.999, Math.min(0.999, start.rho))),
    Math.log(start.psi),
  ];
  const step = anchor ? 0.01 : 0.2;
  const result = nelderMead(objective, x0, {
    initialStep: [step, step, step],
    maxIterations: 3000,
    xTolerance: 1e-10,
  });
  let params: EssviSlice = { ...toSlice(result.x) };
  if (essviViolation(params, prior) > 0) params = repairEssvi(params, prior);
  return {
    expiryMs: q.expiryMs,
    params: essviToRawSvi(params),
    essvi: params,
    ...quality(q, (k) => essviTotalVariance(params, k)),
  };
}

/** The eSSVI parameters of a raw SVI slice that came from one (theta = w(0), rho, psi = 2b). */
function rawToEssvi(p: RawSvi): EssviSlice {
  return { theta: sviTotalVariance(p, 0), rho: p.rho, psi: 2 * p.b };
}

/** A start from the quotes: at-the-money variance from the quote nearest k = 0, mild skew. */
function essviStart(q: SliceQuotes, prior: EssviSlice | undefined): EssviSlice {
  let nearest = 0;
  for (let j = 1; j < q.k.length; j++) if (Math.abs(q.k[j]!) < Math.abs(q.k[nearest]!)) nearest = j;
  const atmVol = q.mid[nearest] ?? 0.5;
  let theta = atmVol * atmVol * q.yearsToExpiry;
  if (prior && theta < prior.theta) theta = prior.theta * 1.0001;
  const start: EssviSlice = { theta, rho: -0.1, psi: Math.min(0.5 * Math.sqrt(theta), 1) };
  if (prior && essviViolation(start, prior) > 0)
    return { theta, rho: prior.rho, psi: prior.psi * 1.0001 + 1e-9 };
  return start;
}

/**
 * Moves a slice the penalty left marginally outside the admissible set just inside it: theta up
 * to the previous slice's, psi down to the butterfly bounds, then psi up until the calendar
 * condition holds.
 */
function repairEssvi(s: EssviSlice, before: EssviSlice | undefined): EssviSlice {
  let { theta, rho, psi } = s;
  rho = Math.max(-0.999, Math.min(0.999, rho));
  if (before && theta < before.theta) theta = before.theta;
  const wing = 1 + Math.abs(rho);
  psi = Math.min(psi, (4 - 1e-6) / wing, Math.sqrt((4 * theta) / wing) * (1 - 1e-12));
  if (before) {
    // psi - psi1 >= |rho psi - rho1 psi1| holds from psi >= psi1 (1 +- rho1)/(1 +- rho) on.
    const needed = Math.max(
      (before.psi * (1 + before.rho)) / (1 + rho),
      (before.psi * (1 - before.rho)) / (1 - rho),
    );
    if (psi < needed) psi = needed * (1 + 1e-12);
  }
  return { theta, rho, psi };
}
