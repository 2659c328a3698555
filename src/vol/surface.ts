/**
 * The volatility surface everything else reads: one raw SVI slice of total variance per listed
 * expiry (fitted per expiry, or eSSVI slices written as raw SVI: `calibrate-surface.ts`), joined
 * in time.
 *
 * - Time is in 365-day years from the surface's as-of time; log-moneyness k = ln(K / F(T)),
 *   with F(T) from the forward curve the surface was built with.
 * - Between two expiries: total variance linear in time at each k. The slices are fitted so
 *   that w is non-decreasing from each expiry to the next at every k, and a linear blend of two
 *   ordered slices stays ordered, so no calendar arbitrage appears between them.
 * - Before the first expiry: w(k, t) = w1(k) t / t1, the first smile's implied vols held at
 *   every k (w -> 0 as t -> 0).
 * - After the last expiry: w(k, t) = wn(k) + (t - tn) wn(0) / tn, the at-the-money implied
 *   variance rate carried on and added alike at every k: calendar-free, and the wings keep the
 *   last slice's slopes (inside Lee's bound, as fitted).
 * - In strike, each slice is SVI: linear in k in the wings.
 * Butterfly freedom at times between the expiries is not implied by that of the slices; it is
 * checked (`surface-checks.ts`), not assumed.
 */
import { InputError } from '../model/errors.js';
import { MS_PER_YEAR } from '../model/time.js';
import { ForwardCurve } from './forward-curve.js';
import { sviD2wDk2, sviDwDk, sviTotalVariance, type RawSvi } from './svi.js';

/** A fitted slice: its expiry, time to it from the as-of time, forward and raw SVI parameters. */
export interface SurfaceSlice {
  expiryMs: number;
  yearsToExpiry: number;
  forward: number;
  svi: RawSvi;
}

/**
 * Anything that gives a forward for an expiry. By default a `ForwardCurve` through the slices'
 * forwards (log-forward linear in time between expiries, constant carry beyond).
 */
export interface ForwardSource {
  forward(expiryMs: number): number;
}

/** Where t falls: the two slices and the weights of their total variances, plus a constant. */
interface Blend {
  lower: RawSvi;
  upper: RawSvi;
  lowerWeight: number;
  upperWeight: number;
  /** Added to the blend (the variance carried on past the last expiry). */
  shift: number;
}

export class VolSurface {
  readonly slices: readonly SurfaceSlice[];
  readonly forwards: ForwardSource;
  private readonly blend: Blend;

  constructor(
    readonly asOfMs: number,
    slices: readonly SurfaceSlice[],
    forwards?: ForwardSource,
  ) {
    if (slices.length === 0) throw new InputError('slices', slices, 'at least one expiry');
    const sorted = [...slices].sort((x, y) => x.expiryMs - y.expiryMs);
    for (const s of sorted) {
      if (!(s.yearsToExpiry > 0)) {
        throw new InputError(
          'yearsToExpiry',
          s.yearsToExpiry,
          `positive for the expiry ${new Date(s.expiryMs).toISOString()}`,
        );
      }
    }
    this.slices = sorted;
    this.forwards = forwards ?? new ForwardCurve(asOfMs, sorted);
    const first = sorted[0]!.svi;
    this.blend = { lower: first, upper: first, lowerWeight: 0, upperWeight: 0, shift: 0 };
  }

  /** Years from the as-of time to `expiryMs` (365-day years). */
  yearsTo(expiryMs: number): number {
    return (expiryMs - this.asOfMs) / MS_PER_YEAR;
  }

  /** The forward for an expiry. */
  forward(expiryMs: number): number {
    return this.forwards.forward(expiryMs);
  }

  /** Sets `this.blend` for time t (a reused slot: evaluating allocates nothing). */
  private locate(t: number): Blend {
    const s = this.slices;
    const b = this.blend;
    const first = s[0]!;
    const last = s[s.length - 1]!;
    b.shift = 0;
    if (t <= first.yearsToExpiry) {
      b.lower = b.upper = first.svi;
      b.lowerWeight = t / first.yearsToExpiry;
      b.upperWeight = 0;
    } else if (t >= last.yearsToExpiry) {
      b.lower = b.upper = last.svi;
      b.lowerWeight = 1;
      b.upperWeight = 0;
      b.shift = ((t - last.yearsToExpiry) * sviTotalVariance(last.svi, 0)) / last.yearsToExpiry;
    } else {
      let i = 0;
      while (t > s[i + 1]!.yearsToExpiry) i++;
      const lo = s[i]!;
      const hi = s[i + 1]!;
      const u = (t - lo.yearsToExpiry) / (hi.yearsToExpiry - lo.yearsToExpiry);
      b.lower = lo.svi;
      b.upper = hi.svi;
      b.lowerWeight = 1 - u;
      b.upperWeight = u;
    }
    return b;
  }

  /** Total implied variance at log-moneyness k and `t` years. */
  totalVariance(k: number, t: number): number {
    if (!(t > 0)) return 0;
    const b = this.locate(t);
    let w = b.lowerWeight * sviTotalVariance(b.lower, k) + b.shift;
    if (b.upperWeight > 0) w += b.upperWeight * sviTotalVariance(b.upper, k);
    return w;
  }

  /** w, dw/dk and d2w/dk2 at (k, t), written into `out` (for the butterfly check between expiries). */
  totalVarianceDerivatives(k: number, t: number, out: Float64Array): void {
    const b = this.locate(t);
    out[0] = b.lowerWeight * sviTotalVariance(b.lower, k) + b.shift;
    out[1] = b.lowerWeight * sviDwDk(b.lower, k);
    out[2] = b.lowerWeight * sviD2wDk2(b.lower, k);
    if (b.upperWeight > 0) {
      out[0] += b.upperWeight * sviTotalVariance(b.upper, k);
      out[1] += b.upperWeight * sviDwDk(b.upper, k);
      out[2] += b.upperWeight * sviD2wDk2(b.upper, k);
    }
  }

  /** Implied vol at log-moneyness k = ln(K/F) and `t` years (> 0). */
  volAt(k: number, t: number): number {
    if (!(t > 0)) throw new InputError('yearsToExpiry', t, 'a positive time to expiry');
    return Math.sqrt(this.totalVariance(k, t) / t);
  }

  /** Implied vol for a strike and an expiry, at the surface's forward for that expiry. */
  vol(strike: number, expiryMs: number): number {
    if (!(strike > 0)) throw new InputError('strike', strike, 'a positive strike');
    return this.volAt(Math.log(strike / this.forward(expiryMs)), this.yearsTo(expiryMs));
  }
}
