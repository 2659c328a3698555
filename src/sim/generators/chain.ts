/**
 * A simulated option chain whose surface moves with spot: at each point of a spot path, mark
 * implied vols and prices for a set of strikes and expiries.
 *
 * Model (sticky moneyness). Each expiry has a smile shape: a raw SVI function of implied
 * *variance* per year against log-moneyness k = ln(K / F), F = S e^(r tau) the forward at the
 * step's spot. At a step with ATM implied variance V (per year) for that expiry, the total
 * variance is
 *
 *   w(k) = tau V shape(k) / shape(0),
 *
 * the shape scaled so that its ATM level is V (a scaled raw SVI is a raw SVI: a and b scale, the
 * rest is kept; a shape free of butterfly arbitrage at one scale need not be at every other,
 * which `checkButterfly` on `sliceAt` can tell). Because k is taken against the moving forward,
 * the smile moves with spot: a strike's vol changes as spot moves it along the smile.
 *
 * The ATM level V comes from `atmVariance`: by default the shape's own shape(0) (a static
 * smile in moneyness); for a Heston path, `hestonAtmVariance(kappa, theta)` gives the expected
 * average variance to expiry, theta + (v - theta)(1 - e^(-kappa tau)) / (kappa tau), which is
 * the Heston fair variance-swap level (the ATM implied variance in the limit of a small vol of
 * variance; the smile's skew and curvature come from the shape, not from Heston), so the surface rises and falls with the path's variance.
 *
 * Prices: Black-76 on F with discount e^(-r tau) (`markUsd`, in the price currency of spot), and
 * the inverse (coin-settled, Deribit) mark `markUsd / F` (`markCoin`). At or after an expiry the
 * expiry's columns hold NaN.
 */
import { InputError } from '../../model/errors.js';
import { MS_PER_YEAR } from '../../model/time.js';
import { black76Price } from '../../pricing/black76.js';
import type { OptionKind } from '../../pricing/types.js';
import { assertRawSvi, sviTotalVariance, type RawSvi } from '../../vol/svi.js';
import type { HestonPath, SpotPath } from './spot.js';

/** One expiry of the chain and its smile shape (implied variance per year against k). */
export interface ChainExpiry {
  expiryMs: number;
  shape: RawSvi;
}

/** What the ATM level is computed from at one step, for one expiry. */
export interface AtmContext {
  /** Years from the path's start. */
  t: number;
  timestampMs: number;
  spot: number;
  /** Years to the expiry (> 0). */
  tau: number;
  /** The path's instantaneous variance, for a Heston path; else NaN. */
  variance: number;
  /** The expiry's shape(0). */
  shapeAtm: number;
}

/** ATM implied variance per year at a step, for an expiry. */
export type AtmVariance = (context: AtmContext) => number;

export interface ChainOptions {
  path: SpotPath | HestonPath;
  expiries: readonly ChainExpiry[];
  strikes: readonly number[];
  /** Kinds listed per strike and expiry. Default both, call first. */
  kinds?: readonly OptionKind[];
  /** Continuously compounded rate per year (forward carry and discount). Default 0. */
  rate?: number;
  /** ATM implied variance. Default: each shape's own shape(0). */
  atmVariance?: AtmVariance;
}

/** One listed option of the chain; its column in each step's arrays is its index here. */
export interface ChainInstrument {
  expiryMs: number;
  strike: number;
  kind: OptionKind;
}

/** Marks at one point of the path. */
export interface ChainStep {
  timestampMs: number;
  spot: number;
  /** Forward per expiry (the order of `ChainPath.expiries`). */
  forwards: Float64Array;
  /** Per instrument: implied vol (per sqrt year), USD price, coin price. */
  iv: Float64Array;
  markUsd: Float64Array;
  markCoin: Float64Array;
}

export interface ChainPath {
  expiries: readonly ChainExpiry[];
  instruments: readonly ChainInstrument[];
  steps: ChainStep[];
}

/** The Heston expected average variance to expiry as the ATM level (needs a Heston path). */
export function hestonAtmVariance(kappa: number, theta: number): AtmVariance {
  return ({ variance, tau }) => {
    if (Number.isNaN(variance)) throw new InputError('path', 'a path without variance', 'a Heston path');
    const x = kappa * tau;
    const weight = x < 1e-8 ? 1 - x / 2 : -Math.expm1(-x) / x;
    return theta + (variance - theta) * weight;
  };
}

/** The raw SVI slice of total variance for an expiry at ATM level `atmVariance` and `tau` years. */
export function sliceAt(shape: RawSvi, atmVariance: number, tau: number): RawSvi {
  const scale = (tau * atmVariance) / sviTotalVariance(shape, 0);
  return { ...shape, a: shape.a * scale, b: shape.b * scale };
}

/** Marks of the chain at every point of `path`. */
export function generateChain(o: ChainOptions): ChainPath {
  const kinds = o.kinds ?? (['call', 'put'] as const);
  const rate = o.rate ?? 0;
  if (!Number.isFinite(rate)) throw new InputError('rate', rate, 'a finite number');
  for (const e of o.expiries) {
    assertRawSvi(e.shape, 'shape');
    if (!(sviTotalVariance(e.shape, 0) > 0)) throw new InputError('shape', e.shape, 'shape(0) > 0');
  }
  for (const k of o.strikes) if (!(k > 0) || k === Infinity) throw new InputError('strike', k, 'positive');
  const expiries = [...o.expiries].sort((x, y) => x.expiryMs - y.expiryMs);
  const instruments: ChainInstrument[] = [];
  const expiryOf: number[] = [];
  expiries.forEach((e, i) => {
    for (const strike of o.strikes) {
      for (const kind of kinds) {
        instruments.push({ expiryMs: e.expiryMs, strike, kind });
        expiryOf.push(i);
      }
    }
  });
  const atm = o.atmVariance;
  const variance = 'variance' in o.path ? o.path.variance : undefined;
  const steps: ChainStep[] = [];
  const n = o.path.prices.length;
  const taus = new Float64Array(expiries.length);
  const totals = new Float64Array(expiries.length);
  for (let i = 0; i < n; i++) {
    const spot = o.path.prices[i]!;
    const timestampMs = o.path.timestampMs[i]!;
    const forwards = new Float64Array(expiries.length);
    for (let j = 0; j < expiries.length; j++) {
      const e = expiries[j]!;
      const tau = (e.expiryMs - timestampMs) / MS_PER_YEAR;
      taus[j] = tau;
      forwards[j] = spot * Math.exp(rate * tau);
      if (!(tau > 0)) {
        totals[j] = NaN;
        continue;
      }
      const shapeAtm = sviTotalVariance(e.shape, 0);
      const level = atm
        ? atm({ t: o.path.times[i]!, timestampMs, spot, tau, variance: variance?.[i] ?? NaN, shapeAtm })
        : shapeAtm;
      if (!(level > 0) || level === Infinity)
        throw new InputError('atmVariance', level, `a positive finite variance (step ${i})`);
      totals[j] = (tau * level) / shapeAtm; // w(k) = totals[j] * shape(k)
    }
    const iv = new Float64Array(instruments.length);
    const markUsd = new Float64Array(instruments.length);
    const markCoin = new Float64Array(instruments.length);
    for (let c = 0; c < instruments.length; c++) {
      const j = expiryOf[c]!;
      const tau = taus[j]!;
      const instrument = instruments[c]!;
      if (!(tau > 0)) {
        iv[c] = markUsd[c] = markCoin[c] = NaN;
        continue;
      }
      const forward = forwards[j]!;
      const k = Math.log(instrument.strike / forward);
      const vol = Math.sqrt((totals[j]! * sviTotalVariance(expiries[j]!.shape, k)) / tau);
      iv[c] = vol;
      const price = black76Price(instrument.kind, forward, instrument.strike, tau, vol, rate);
      markUsd[c] = price;
      markCoin[c] = price / forward;
    }
    steps.push({ timestampMs, spot, forwards, iv, markUsd, markCoin });
  }
  return { expiries, instruments, steps };
}
