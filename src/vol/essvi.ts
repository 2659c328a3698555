/**
 * Extended SSVI slices: S. Hendriks and C. Martini, "The extended SSVI volatility surface",
 * Journal of Computational Finance 22(5) (2019), and J. Corbetta, P. Cohort, I. Laachir and
 * C. Martini, "Robust calibration and arbitrage-free interpolation of SSVI slices", Decisions
 * in Economics and Finance 42 (2019), building on J. Gatheral and A. Jacquier, "Arbitrage-free
 * SVI volatility surfaces", Quantitative Finance 14(1) (2014).
 *
 * A slice is the SSVI smile in total variance against k = ln(K/F),
 *
 *   w(k) = theta/2 (1 + rho phi k + sqrt((phi k + rho)^2 + 1 - rho^2)),   phi = psi / theta,
 *
 * with theta the at-the-money total variance, rho the skew and psi = theta phi the
 * at-the-money curvature scale; eSSVI lets rho and psi vary from slice to slice.
 *
 * - No butterfly arbitrage in a slice (Gatheral-Jacquier, Theorem 4.2, with theta phi = psi):
 *   psi (1 + |rho|) < 4 and psi^2 (1 + |rho|) <= 4 theta.
 * - No calendar arbitrage between slices 1 and 2 (the sufficient condition used by Corbetta et
 *   al. for sequential calibration: the at-the-money variance and both asymptotic wing slopes
 *   psi (1 +- rho)/2 do not decrease): theta2 >= theta1, psi2 - psi1 >= |rho2 psi2 - rho1 psi1|.
 *   L. Pasquazzi (2023) corrects the exact characterisation in Hendriks-Martini; we only rely on
 *   the sufficient direction, and verify the fitted surface independently on a dense grid.
 */
import type { RawSvi } from './svi.js';

/** One eSSVI slice: at-the-money total variance, skew, and psi = theta phi. */
export interface EssviSlice {
  theta: number;
  rho: number;
  psi: number;
}

/** Margin kept inside psi (1 + |rho|) < 4, so that the strict inequality survives rounding. */
export const BUTTERFLY_MARGIN = 1e-9;

/** Total variance of the slice at log-moneyness k. */
export function essviTotalVariance(slice: EssviSlice, k: number): number {
  const { theta, rho, psi } = slice;
  const phi = psi / theta;
  const z = phi * k + rho;
  return 0.5 * theta * (1 + rho * phi * k + Math.sqrt(z * z + 1 - rho * rho));
}

/** The slice as raw SVI: a = theta (1 - rho^2)/2, b = psi/2, m = -rho/phi, sigma = sqrt(1 - rho^2)/phi. */
export function essviToRawSvi(slice: EssviSlice): RawSvi {
  const { theta, rho, psi } = slice;
  const phi = psi / theta;
  return {
    a: 0.5 * theta * (1 - rho * rho),
    b: 0.5 * psi,
    rho,
    m: -rho / phi,
    sigma: Math.sqrt(1 - rho * rho) / phi,
  };
}

/** Gatheral-Jacquier Theorem 4.2 for one slice (closed form). */
export function essviButterflyFree(slice: EssviSlice): boolean {
  const { theta, rho, psi } = slice;
  if (!(theta > 0 && psi > 0 && Math.abs(rho) < 1)) return false;
  const wing = 1 + Math.abs(rho);
  return psi * wing <= 4 - BUTTERFLY_MARGIN && psi * psi * wing <= 4 * theta;
}

/** Hendriks-Martini's condition between an earlier and a later slice (closed form). */
export function essviCalendarFree(earlier: EssviSlice, later: EssviSlice): boolean {
  return (
    later.theta >= earlier.theta &&
    later.psi - earlier.psi >= Math.abs(later.rho * later.psi - earlier.rho * earlier.psi)
  );
}

/**
 * How far a candidate slice is from the admissible set (0 inside): the butterfly conditions,
 * and, given the previous slice, the calendar conditions. Used as a penalty in calibration.
 */
export function essviViolation(slice: EssviSlice, previous: EssviSlice | undefined): number {
  const { theta, rho, psi } = slice;
  let v = 0;
  if (!(theta > 0)) v += 1 + Math.abs(theta);
  if (!(psi > 0)) v += 1 + Math.abs(psi);
  if (!(Math.abs(rho) < 1 - 1e-6)) v += 1 + Math.abs(rho);
  if (v > 0) return v;
  const wing = 1 + Math.abs(rho);
  v += Math.max(0, psi * wing - (4 - BUTTERFLY_MARGIN));
  v += Math.max(0, psi * psi * wing - 4 * theta) / Math.max(theta, 1e-12);
  if (previous) {
    v += Math.max(0, previous.theta - theta) / previous.theta;
    v += Math.max(0, Math.abs(rho * psi - previous.rho * previous.psi) - (psi - previous.psi));
  }
  return v;
}
