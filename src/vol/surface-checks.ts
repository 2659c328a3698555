/**
 * Independent arbitrage checks of a fitted surface, on the numbers it produces rather than on
 * the conditions its calibration imposed:
 * - butterfly: each listed slice through `checkButterfly` (Gatheral-Jacquier g(k) >= 0 on a
 *   dense grid, d+ -> -inf, Lee's wing bounds) — the same check that rejects Vogt's slice — and,
 *   between and around the expiries, g(k) from the blended w, w', w'' on a grid of times;
 * - calendar: total variance non-decreasing in time at every log-moneyness, on a grid of k and
 *   of times between and around the expiries, plus the wing slopes b (1 +- rho) (which decide
 *   the order beyond any finite grid).
 */
import {
  checkButterfly,
  sviMinimumVariance,
  sviTotalVariance,
  type ButterflyCheck,
  type RawSvi,
} from './svi.js';
import type { VolSurface } from './surface.js';

/** Relative tolerance for a decrease of total variance in time (rounding only). */
const CALENDAR_TOLERANCE = 1e-12;

export interface CalendarCheck {
  free: boolean;
  /** The largest relative decrease found ((w(t1, k) - w(t2, k)) / w, > 0 is arbitrage), and where. */
  worstDecrease: number;
  at?: { k: number; t1: number; t2: number };
}

/** Log-moneyness grid: 401 points over +-8 square roots of `scale` and 400 more out to 10x that. */
function calendarGrid(scale: number): Float64Array {
  const reach = 8 * Math.sqrt(scale);
  return Float64Array.from({ length: 801 }, (_, i) => {
    const j = i - 400;
    return Math.abs(j) <= 200
      ? (reach * j) / 200
      : Math.sign(j) * reach * (1 + (9 * (Math.abs(j) - 200)) / 200);
  });
}

/** Largest relative decrease of total variance from `w1` to `w2` on the grid. */
function worstDecrease(
  w1: (k: number) => number,
  w2: (k: number) => number,
  grid: Float64Array,
): [number, number] {
  let worst = -Infinity;
  let at = 0;
  for (const k of grid) {
    const a = w1(k);
    const b = w2(k);
    const decrease = (a - b) / Math.max(a, b);
    if (decrease > worst) [worst, at] = [decrease, k];
  }
  return [worst, at];
}

/** Calendar check of two raw slices (t1 < t2): on a k grid and on the wing slopes. */
export function slicesCalendar(earlier: RawSvi, later: RawSvi, t1: number, t2: number): CalendarCheck {
  const grid = calendarGrid(Math.max(sviTotalVariance(later, 0), sviTotalVariance(earlier, 0), 1e-8));
  const [worst, k] = worstDecrease(
    (x) => sviTotalVariance(earlier, x),
    (x) => sviTotalVariance(later, x),
    grid,
  );
  const slopesOk =
    later.b * (1 + later.rho) >= earlier.b * (1 + earlier.rho) * (1 - CALENDAR_TOLERANCE) &&
    later.b * (1 - later.rho) >= earlier.b * (1 - earlier.rho) * (1 - CALENDAR_TOLERANCE);
  return { free: worst <= CALENDAR_TOLERANCE && slopesOk, worstDecrease: worst, at: { k, t1, t2 } };
}

/** The times the whole-surface checks visit: each expiry, 7 between each pair, and around. */
function checkTimes(surface: VolSurface): number[] {
  const s = surface.slices;
  const times = [s[0]!.yearsToExpiry / 4, s[0]!.yearsToExpiry / 2];
  for (let i = 0; i < s.length; i++) {
    const t = s[i]!.yearsToExpiry;
    const next = i + 1 < s.length ? s[i + 1]!.yearsToExpiry : 2 * t;
    for (let j = 0; j < 8; j++) times.push(t + ((next - t) * j) / 8);
  }
  times.push(2 * s[s.length - 1]!.yearsToExpiry);
  return times;
}

/** Calendar check of the whole surface on a grid of times and log-moneyness. */
export function surfaceCalendar(surface: VolSurface): CalendarCheck {
  const times = checkTimes(surface);
  const last = surface.slices[surface.slices.length - 1]!;
  const grid = calendarGrid(Math.max(surface.totalVariance(0, last.yearsToExpiry), 1e-8));
  let result: CalendarCheck = { free: true, worstDecrease: -Infinity };
  for (let i = 1; i < times.length; i++) {
    const [t1, t2] = [times[i - 1]!, times[i]!];
    const [worst, k] = worstDecrease(
      (x) => surface.totalVariance(x, t1),
      (x) => surface.totalVariance(x, t2),
      grid,
    );
    if (worst > result.worstDecrease) result = { free: true, worstDecrease: worst, at: { k, t1, t2 } };
  }
  return { ...result, free: result.worstDecrease <= CALENDAR_TOLERANCE };
}

/** Calendar verdict of each listed slice against the one before it (the first: w >= 0, as at T = 0). */
export function calendarBySlice(surface: VolSurface): boolean[] {
  const s = surface.slices;
  return s.map((slice, i) =>
    i === 0
      ? sviMinimumVariance(slice.svi) >= 0
      : slicesCalendar(s[i - 1]!.svi, slice.svi, s[i - 1]!.yearsToExpiry, slice.yearsToExpiry).free,
  );
}

/** Butterfly check of each listed slice. */
export function butterflyBySlice(surface: VolSurface): ButterflyCheck[] {
  return surface.slices.map((s) => checkButterfly(s.svi));
}

export interface SurfaceButterflyCheck {
  free: boolean;
  minG: number;
  at?: { k: number; t: number };
}

/**
 * g(k) >= 0 at the check times between and around the expiries, from the blended total variance
 * and its derivatives, on k = +-8 square roots of the at-the-money variance and beyond.
 */
export function surfaceButterfly(surface: VolSurface): SurfaceButterflyCheck {
  const d = new Float64Array(3);
  let minG = Infinity;
  let at: { k: number; t: number } | undefined;
  let free = butterflyBySlice(surface).every((c) => c.free);
  for (const t of checkTimes(surface)) {
    for (const k of calendarGrid(Math.max(surface.totalVariance(0, t), 1e-10))) {
      surface.totalVarianceDerivatives(k, t, d);
      const [w, w1, w2] = [d[0]!, d[1]!, d[2]!];
      const u = 1 - (k * w1) / (2 * w);
      const t1 = u * u;
      const t2 = ((w1 * w1) / 4) * (1 / w + 0.25);
      const g = t1 - t2 + w2 / 2;
      if (g < minG) [minG, at] = [g, { k, t }];
      if (g < -1e-12 * (t1 + t2 + Math.abs(w2 / 2))) free = false;
    }
  }
  return { free, minG, ...(at ? { at } : {}) };
}
