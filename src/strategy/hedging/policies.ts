/**
 * When to hedge and how much. A policy looks at the book's delta deviation `d = delta - target`
 * (coin) and returns the trade (coin, signed: positive = buy) or 0. Time comes from the caller
 * (event timestamps), never from a clock.
 *
 * - Fixed band: trade when |d| > band (strictly); back to the band's edge (trade `-(d - sign(d)
 *   band)`) or to the target (trade `-d`), as configured.
 * - By time: trade `-d` when at least `intervalMs` has passed since the last hedge (or at the
 *   first decision); |d| at or below `minTrade` is left alone.
 * - Whalley-Wilmott: a band around the Black-Scholes delta whose half-width comes from the
 *   asymptotic analysis of the utility-based (exponential utility) hedging problem with small
 *   proportional costs: A. E. Whalley and P. Wilmott, "An asymptotic analysis of an optimal
 *   hedging model for option pricing with transaction costs", Mathematical Finance 7(3), 1997,
 *   307-324. The hedge stays in `Delta_BS +- H` with
 *
 *       H = ( (3/2) e^{-r (T - t)} lambda S Gamma^2 / gamma )^(1/3)
 *
 *   where lambda is the proportional cost (cost of trading n units = lambda |n| S), S the price,
 *   Gamma the position's gamma (per unit of price), gamma the absolute risk aversion of the
 *   exponential utility `-exp(-gamma W)` (per unit of the currency of S). Units: lambda S
 *   Gamma^2 / gamma is (USD) (1/USD^2) / (1/USD) = dimensionless, so H is in units of the
 *   underlying. Outside the band one trades to its nearest edge. Gamma is the whole position's:
 *   for n options H grows as n^(2/3).
 */
import { InputError } from '../../model/errors.js';

export interface WhalleyWilmottInput {
  /** Price of the underlying, USD. */
  spot: number;
  /** Position gamma, d2V/dS2 (per USD), any sign. */
  gamma: number;
  /** Proportional cost lambda (share of notional, 0.0005 = 5 bps), >= 0. */
  proportionalCost: number;
  /** Absolute risk aversion gamma of exponential utility, per USD, > 0. */
  riskAversion: number;
  /** Interest rate, default 0. */
  rate?: number;
  /** Years to expiry T - t, >= 0, default 0 (no discounting). */
  timeToExpiry?: number;
}

/** Whalley-Wilmott half-width of the no-trade band, units of the underlying (see the module comment). */
export function whalleyWilmottHalfWidth(i: WhalleyWilmottInput): number {
  positive('spot', i.spot);
  finite('gamma', i.gamma);
  if (!(i.proportionalCost >= 0) || !Number.isFinite(i.proportionalCost))
    throw new InputError('proportionalCost', i.proportionalCost, 'a finite number >= 0');
  positive('riskAversion', i.riskAversion);
  const rate = i.rate ?? 0;
  finite('rate', rate);
  const tau = i.timeToExpiry ?? 0;
  if (!(tau >= 0) || !Number.isFinite(tau)) throw new InputError('timeToExpiry', tau, 'a finite number >= 0');
  return Math.cbrt(
    (1.5 * Math.exp(-rate * tau) * i.proportionalCost * i.spot * i.gamma * i.gamma) / i.riskAversion,
  );
}

/** Where a band policy re-hedges to: the band's nearest edge, or the target itself. */
export type RehedgeTo = 'edge' | 'target';

/** The trade (signed, coin) that a band of half-width `band` asks for at deviation `deviation`. */
export function bandTrade(deviation: number, band: number, to: RehedgeTo = 'edge'): number {
  finite('deviation', deviation);
  if (!(band >= 0) || !Number.isFinite(band)) throw new InputError('band', band, 'a finite number >= 0');
  if (Math.abs(deviation) <= band) return 0;
  return to === 'target' ? -deviation : -(deviation - Math.sign(deviation) * band);
}

/** What a policy sees at a decision. */
export interface HedgeDecisionInput {
  /** Event time, ms. */
  nowMs: number;
  /** Book delta minus target, coin. */
  deviation: number;
  /** For Whalley-Wilmott: spot, position gamma and years to expiry. */
  spot?: number;
  gamma?: number;
  timeToExpiry?: number;
}

export interface HedgePolicy {
  /** The trade to make now (coin, signed), 0 for none. Call `onHedged` once it is done. */
  decide(input: HedgeDecisionInput): number;
  /** Records that a hedge was made at `nowMs` (the time policy counts from it). */
  onHedged(nowMs: number): void;
}

export type HedgePolicyConfig =
  | { kind: 'band'; band: number; rehedgeTo?: RehedgeTo }
  | { kind: 'time'; intervalMs: number; minTrade?: number }
  | { kind: 'whalley-wilmott'; proportionalCost: number; riskAversion: number; rate?: number };

/** A policy from its configuration; throws `InputError` naming a bad field. */
export function createHedgePolicy(config: HedgePolicyConfig): HedgePolicy {
  switch (config.kind) {
    case 'band': {
      const band = config.band;
      if (!(band >= 0) || !Number.isFinite(band)) throw new InputError('band', band, 'a finite number >= 0');
      const to = config.rehedgeTo ?? 'edge';
      if (to !== 'edge' && to !== 'target') throw new InputError('rehedgeTo', to, 'edge or target');
      return { decide: (i) => bandTrade(i.deviation, band, to), onHedged: () => undefined };
    }
    case 'time': {
      const interval = config.intervalMs;
      if (!(interval > 0) || !Number.isFinite(interval))
        throw new InputError('intervalMs', interval, 'a positive number of ms');
      const minTrade = config.minTrade ?? 0;
      if (!(minTrade >= 0)) throw new InputError('minTrade', minTrade, 'a number >= 0');
      let last: number | undefined;
      return {
        decide(i) {
          finite('nowMs', i.nowMs);
          finite('deviation', i.deviation);
          if (last !== undefined && i.nowMs - last < interval) return 0;
          return Math.abs(i.deviation) > minTrade ? -i.deviation : 0;
        },
        onHedged(nowMs) {
          last = nowMs;
        },
      };
    }
    case 'whalley-wilmott': {
      const { proportionalCost, riskAversion, rate } = config;
      whalleyWilmottHalfWidth({ spot: 1, gamma: 0, proportionalCost, riskAversion, rate: rate ?? 0 });
      return {
        decide(i) {
          if (i.spot === undefined)
            throw new InputError('spot', i.spot, 'the spot for the Whalley-Wilmott band');
          if (i.gamma === undefined) throw new InputError('gamma', i.gamma, 'the position gamma');
          const h = whalleyWilmottHalfWidth({
            spot: i.spot,
            gamma: i.gamma,
            proportionalCost,
            riskAversion,
            rate: rate ?? 0,
            timeToExpiry: i.timeToExpiry ?? 0,
          });
          return bandTrade(i.deviation, h, 'edge');
        },
        onHedged: () => undefined,
      };
    }
    default:
      throw new InputError('kind', (config as { kind: unknown }).kind, 'band, time or whalley-wilmott');
  }
}

function finite(field: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(field, v, 'a finite number');
}

function positive(field: string, v: number): void {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new InputError(field, v, 'a positive finite number');
}
