/**
 * Perpetual or the future of the matching expiry: the hedge goes where its expected carry over
 * the holding horizon, plus fees, is lower. All costs are shares of the hedge's notional
 * (positive = a cost to us), for a hedge of the given side held `horizonMs`.
 *
 * Rule:
 * - Perpetual: funding accrues continuously at the 8-hour rate (DOMAIN.md, "Funding
 *   Specifications"): a long pays `rate x horizon / 8 h` when the rate is positive, a short earns
 *   it. Fees: taker in and taker out (`2 x takerFee`).
 * - Future: bought at `F` while the index is `I`, its basis `(F - I) / I` converges to 0 at
 *   expiry; assuming linear convergence, a long pays `basis x min(horizon, T) / T` of it over the
 *   horizon, a short earns it. Fees: taker in, plus taker out if the horizon ends before expiry,
 *   or the delivery fee (`deliveryFee`, default 0) if held to expiry (an option's expiry future
 *   delivers at the same average as the option, so a hedge held to expiry needs no exit trade).
 * - The lower total wins; a tie goes to the perpetual (deeper book). With no future given, the
 *   perpetual.
 */
import { InputError } from '../../model/errors.js';

export interface PerpetualCarry {
  /** Expected funding rate per 8 hours over the horizon (0.0001 = 0.01%). */
  fundingRate8h: number;
  /** Taker fee, share of notional. */
  takerFee: number;
}

export interface FutureCarry {
  /** Future's price, USD. */
  price: number;
  /** Index price, USD. */
  index: number;
  /** Time from now to the future's expiry, ms (> 0). */
  timeToExpiryMs: number;
  takerFee: number;
  /** Fee on delivery when held to expiry, share of notional; default 0. */
  deliveryFee?: number;
}

export interface InstrumentChoiceInput {
  /** Side of the hedge: +1 buy (long), -1 sell (short). */
  side: 1 | -1;
  /** Expected holding horizon, ms (> 0). */
  horizonMs: number;
  perpetual: PerpetualCarry;
  future?: FutureCarry;
}

export interface InstrumentChoice {
  instrument: 'perpetual' | 'future';
  /** Expected cost of each, shares of notional (future undefined when not offered). */
  perpetualCost: number;
  futureCost: number | undefined;
}

const EIGHT_HOURS_MS = 8 * 3600 * 1000;

/** Expected carry plus fees of hedging with the perpetual (see the module comment). */
export function perpetualCost(side: 1 | -1, horizonMs: number, p: PerpetualCarry): number {
  finite('perpetual.fundingRate8h', p.fundingRate8h);
  nonNegative('perpetual.takerFee', p.takerFee);
  return side * p.fundingRate8h * (horizonMs / EIGHT_HOURS_MS) + 2 * p.takerFee;
}

/** Expected carry plus fees of hedging with the future (see the module comment). */
export function futureCost(side: 1 | -1, horizonMs: number, f: FutureCarry): number {
  if (!(f.price > 0)) throw new InputError('future.price', f.price, 'a positive price');
  if (!(f.index > 0)) throw new InputError('future.index', f.index, 'a positive price');
  if (!(f.timeToExpiryMs > 0) || !Number.isFinite(f.timeToExpiryMs))
    throw new InputError('future.timeToExpiryMs', f.timeToExpiryMs, 'a positive number of ms');
  nonNegative('future.takerFee', f.takerFee);
  const deliveryFee = f.deliveryFee ?? 0;
  nonNegative('future.deliveryFee', deliveryFee);
  const basis = (f.price - f.index) / f.index;
  const heldToExpiry = horizonMs >= f.timeToExpiryMs;
  const share = heldToExpiry ? 1 : horizonMs / f.timeToExpiryMs;
  return side * basis * share + f.takerFee + (heldToExpiry ? deliveryFee : f.takerFee);
}

/** Picks the hedge instrument by the rule in the module comment. */
export function chooseHedgeInstrument(i: InstrumentChoiceInput): InstrumentChoice {
  if (i.side !== 1 && i.side !== -1) throw new InputError('side', i.side, '1 (buy) or -1 (sell)');
  if (!(i.horizonMs > 0) || !Number.isFinite(i.horizonMs))
    throw new InputError('horizonMs', i.horizonMs, 'a positive number of ms');
  const perp = perpetualCost(i.side, i.horizonMs, i.perpetual);
  const fut = i.future === undefined ? undefined : futureCost(i.side, i.horizonMs, i.future);
  const instrument = fut !== undefined && fut < perp ? 'future' : 'perpetual';
  return { instrument, perpetualCost: perp, futureCost: fut };
}

function finite(field: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(field, v, 'a finite number');
}

function nonNegative(field: string, v: number): void {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
    throw new InputError(field, v, 'a finite number >= 0');
}
