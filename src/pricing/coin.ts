/**
 * Coin and USD for inverse (coin-settled) options: the one place where a coin premium becomes
 * USD and back, and where the venue's displayed greeks are derived from a Black-76 evaluation.
 *
 * An inverse option (Deribit `BTC-…`, `ETH-…`) is quoted and settled in coin: its price is
 * coin per contract, one contract being one coin of underlying. Deribit values it with
 * Black-76 in USD and divides by a USD price of the coin:
 * - for implied volatility, by the option's forward (`underlying_price` of the ticker): the
 *   venue's `mark_iv` is the Black-76 vol of `mark_price × underlying_price` with forward
 *   `underlying_price` and rate `interest_rate`;
 * - for the USD figure it displays next to a coin price, by the index.
 * (Deribit support, "Inverse Options"; Deribit API docs, `public/ticker`; checked against the
 * 2020-05-21 snapshot in `data/deribit/`, see `test/pricing/coin.test.ts`.)
 *
 * Names say the unit: `…Coin` is an amount in the option's coin (BTC for BTC options; the
 * module serves any coin, hence not `…Btc`), `…Usd` in USD, `usdPerCoin` a USD price of one
 * coin (the forward or the index, as the caller decides).
 */
import { InputError } from '../model/errors.js';
import { YEARS_PER_DAY } from '../model/time.js';
import { black76, black76Price } from './black76.js';
import { impliedVol } from './implied-vol.js';
import type { Black76Greeks, OptionKind } from './types.js';

/** An amount in coin to USD at `usdPerCoin` (the forward for implied vol, the index for display). */
export function coinToUsd(amountCoin: number, usdPerCoin: number): number {
  requireFinite('amountCoin', amountCoin);
  requirePositive('usdPerCoin', usdPerCoin);
  return amountCoin * usdPerCoin;
}

/** An amount in USD to coin at `usdPerCoin`. */
export function usdToCoin(amountUsd: number, usdPerCoin: number): number {
  requireFinite('amountUsd', amountUsd);
  requirePositive('usdPerCoin', usdPerCoin);
  return amountUsd / usdPerCoin;
}

/**
 * Price of an inverse option in coin per contract: the Black-76 USD price at `forward`
 * divided by `forward`, as the venue prices its mark. Throws `InputError` as `black76Price`.
 */
export function inverseOptionPriceCoin(
  kind: OptionKind,
  forward: number,
  strike: number,
  expiryYears: number,
  vol: number,
  rate: number,
): number {
  return black76Price(kind, forward, strike, expiryYears, vol, rate) / forward;
}

/**
 * Implied vol of an inverse option's coin price, the venue's way: Black-76 vol of
 * `premiumCoin × forward` with that forward. A premium whose USD value lies outside Black-76's
 * range (at or below intrinsic, at or above the forward for a call) has no implied vol: throws
 * `InputError` with field `premiumCoin`.
 */
export function inverseOptionImpliedVol(
  kind: OptionKind,
  premiumCoin: number,
  forward: number,
  strike: number,
  expiryYears: number,
  rate: number,
): number {
  requireFinite('premiumCoin', premiumCoin);
  requirePositive('forward', forward);
  const premiumUsd = premiumCoin * forward;
  try {
    return impliedVol(kind, premiumUsd, forward, strike, expiryYears, rate);
  } catch (error) {
    if (error instanceof InputError && error.field === 'price') {
      throw new InputError(
        'premiumCoin',
        premiumCoin,
        `a coin price whose USD value at the forward (${premiumUsd} USD at ${forward}) is ${error.expected}`,
      );
    }
    throw error;
  }
}

/**
 * What an inverse option pays at expiry, in coin per contract: the USD intrinsic value at the
 * delivery price, converted at that same price: `max(S - K, 0) / S` (call), `max(K - S, 0) / S`
 * (put). Deribit's example ("Inverse Options"): a 100,000 call, delivery at 125,000, settles
 * 25,000 USD = 0.2 BTC.
 */
export function inverseOptionPayoffCoin(kind: OptionKind, strike: number, deliveryPriceUsd: number): number {
  requirePositive('strike', strike);
  requirePositive('deliveryPriceUsd', deliveryPriceUsd);
  const intrinsicUsd = kind === 'call' ? deliveryPriceUsd - strike : strike - deliveryPriceUsd;
  return Math.max(intrinsicUsd, 0) / deliveryPriceUsd;
}

/**
 * Premium-adjusted delta per contract (one coin of underlying): Black delta minus the option's
 * coin price. Holding an inverse option means holding its premium in coin, whose USD value
 * moves one for one with the coin; the venue's portfolio ("net transaction") delta is this.
 */
export function premiumAdjustedDelta(blackDelta: number, premiumCoin: number): number {
  return blackDelta - premiumCoin;
}

/**
 * Greeks as the venue displays them for an inverse option, per contract (one coin of
 * underlying), from a Black-76 evaluation in USD at the forward.
 */
export interface VenueGreeks {
  /** Black delta dV/dF, not premium-adjusted (the venue's `greeks.delta`). */
  deltaPerCoin: number;
  /** Black delta minus the coin price (see `premiumAdjustedDelta`). */
  premiumAdjustedDeltaPerCoin: number;
  /** d2V/dF2 per USD of underlying. */
  gammaPerUsd: number;
  /** USD per 1 vol point (0.01 of vol). */
  vegaUsdPerVolPoint: number;
  /** USD per day, the venue's rule: see `venueThetaUsdPerDay`. */
  thetaUsdPerDay: number;
  /** USD per 1% of rate with spot held (Black-Scholes rho), see `venueGreeksFromBlack76`. */
  rhoUsdPerRatePercent: number;
  /** The Black-76 price in USD at the forward (what the greeks were computed from). */
  priceUsd: number;
  /** The same price in coin (USD price / forward). */
  priceCoin: number;
}

/** The venue's displayed greeks of an inverse option; throws `InputError` as `black76`. */
export function venueGreeks(
  kind: OptionKind,
  forward: number,
  strike: number,
  expiryYears: number,
  vol: number,
  rate: number,
): VenueGreeks {
  return venueGreeksFromBlack76(black76(kind, forward, strike, expiryYears, vol, rate), forward, expiryYears);
}

/**
 * The venue's displayed greeks from a Black-76 evaluation already made (model units, see
 * `Black76Greeks`) at `forward` and `expiryYears`:
 * - delta and gamma unchanged, vega / 100 (per vol point);
 * - theta: `venueThetaUsdPerDay`;
 * - rho: Black-76's rho holds the forward; the venue holds spot, F = S e^{rT}, so
 *   dV/dr|S = dV/dr|F + dV/dF · T F = -T V + T F delta, which is Black-Scholes rho
 *   (call `K T e^{-rT} N(d2)`, put `-K T e^{-rT} N(-d2)`); / 100 for 1% of rate.
 */
export function venueGreeksFromBlack76(
  greeks: Black76Greeks,
  forward: number,
  expiryYears: number,
): VenueGreeks {
  return {
    deltaPerCoin: greeks.delta,
    premiumAdjustedDeltaPerCoin: premiumAdjustedDelta(greeks.delta, greeks.price / forward),
    gammaPerUsd: greeks.gamma,
    vegaUsdPerVolPoint: greeks.vega / 100,
    thetaUsdPerDay: venueThetaUsdPerDay(greeks.theta, greeks.price, expiryYears),
    rhoUsdPerRatePercent: (greeks.rho + expiryYears * forward * greeks.delta) / 100,
    priceUsd: greeks.price,
    priceCoin: greeks.price / forward,
  };
}

/**
 * The venue's displayed theta in USD per day (365-day year), from Black-76 theta per year
 * (`thetaPerYear` = -dV/dT, F held) and the option's USD price.
 *
 * The venue shows the smaller in magnitude of
 * - the 1-day theta: the analytic theta accrued over one day, or over the time left when less
 *   than a day remains (`thetaPerYear × min(T, 1/365)`), and
 * - the lifetime theta: `-priceUsd`, all the value the option can still lose.
 *
 * Found by testing the 2020-05-21 snapshot (`test/pricing/coin.test.ts`): with 7 days or more
 * left the analytic per-day theta is shown except where it exceeds the whole price (deep
 * out-of-the-money 29MAY20-3500-P: -0.04591 shown, analytic -0.04998); with 1.36 days left,
 * in-the-money options show the analytic theta and out-of-the-money ones near the money show
 * minus their price (23MAY20-9500-C: -35.14740 = -mark × forward); with 0.36 day left,
 * in-the-money options show analytic × 0.36 day (22MAY20-10000-P: -1.03159 against -2.85865
 * per day). A finite-difference 1-day theta (price in one day minus price now) matches none of
 * these.
 */
export function venueThetaUsdPerDay(thetaPerYear: number, priceUsd: number, expiryYears: number): number {
  const oneDay = thetaPerYear * Math.min(expiryYears, YEARS_PER_DAY);
  const lifetime = -priceUsd;
  return Math.abs(oneDay) <= Math.abs(lifetime) ? oneDay : lifetime;
}

function requireFinite(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(field, value, 'a finite number');
}

function requirePositive(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new InputError(field, value, 'a positive finite number');
  }
}
