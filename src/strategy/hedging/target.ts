/**
 * What the delta hedger aims at: the book's delta under an explicit, documented convention.
 *
 * Units. Every delta here is in coin of the underlying (BTC for BTC options): "this book moves
 * like holding D coins". Option amounts are contracts (one contract = one coin); inverse
 * futures and perpetuals are held in USD (`amountUsd`), whose coin delta is `amountUsd / price`.
 *
 * Targets (`HedgeTarget`):
 * - `coin-neutral`: the book's value *in coin* should not move with the price. Counted: options
 *   and futures only. For an inverse option held as a coin premium `c = V / S`, the coin value's
 *   sensitivity times S is `S dc/dS = Delta - c`: the premium-adjusted delta, the venue's
 *   "net transaction delta" (DOMAIN.md, src/pricing/coin.ts `premiumAdjustedDelta`). An inverse
 *   future of N USD earns `N (1/entry - 1/S)` coin, so `S d/dS = N / S` coin.
 * - `usd-neutral`: the account's value *in USD* should not move with the price. The coin held as
 *   collateral is itself exposure: C coin is worth C S USD, a delta of C coin. With the coin
 *   value of the account `W = C + sum(c_i) + futures P&L`, `d(W S)/dS = W + S dW/dS`: the
 *   collateral, plus each option's coin mark, plus the coin-measured deltas. So in USD terms an
 *   option's delta is its plain Black delta (`(Delta - c) + c`), and the target is
 *   `collateral + sum(Black delta) + futures`. When premium-adjusted deltas are asked for, the
 *   options' coin marks are added to the collateral term so that the total is the same.
 *
 * Which delta (`DeltaKind`): `premium-adjusted` (default, right for inverse options measured in
 * coin) or `black` (the plain Black-76 delta on the forward, what the venue displays per
 * instrument; right for linear options or a desk that accounts premium separately).
 *
 * Expiring options. The delivery price is the time-weighted average of the index over the last
 * 30 minutes before expiry (DOMAIN.md). Inside that window the part of the average already
 * observed is fixed, so only the share `(time left in window) / window` still depends on the
 * price: the option's delta is scaled by that share, falling linearly to zero at expiry (the
 * venue decays it the same way). A hedger following this delta unwinds the hedge across the
 * window instead of all at once at expiry, matching how the delivery price is formed.
 */
import { InputError } from '../../model/errors.js';
import { MS_PER_YEAR } from '../../model/time.js';
import { black76 } from '../../pricing/black76.js';
import type { OptionKind } from '../../pricing/types.js';
// The settlement averaging window of the venue's delivery price (30 minutes), as the expiry report has it.
import { SETTLEMENT_WINDOW_MS } from '../../risk/expiry.js';

export type HedgeTarget = 'coin-neutral' | 'usd-neutral';
export type DeltaKind = 'premium-adjusted' | 'black';

/** An inverse option position. */
export interface OptionHolding {
  kind: OptionKind;
  strike: number;
  expiryMs: number;
  /** Contracts, signed (negative = short); one contract = one coin. */
  amount: number;
  /** Black-76 volatility (per sqrt year) to compute the delta with. */
  vol: number;
  /** Forward of the option's expiry, USD per coin. */
  forward: number;
}

/** An inverse future or perpetual position. */
export interface FutureHolding {
  /** USD, signed (negative = short). */
  amountUsd: number;
  /** The contract's mark price, USD per coin. */
  price: number;
}

export interface TargetConfig {
  target: HedgeTarget;
  /** Default `premium-adjusted`. */
  delta?: DeltaKind;
  /** Default `SETTLEMENT_WINDOW_MS`. */
  settlementWindowMs?: number;
  /** Rate for Black-76, default 0 (the venue's `interest_rate`). */
  rate?: number;
}

export interface BookDelta {
  /** Options' delta, coin (of the kind configured, decayed through the settlement window). */
  options: number;
  /** Futures' and perpetuals' delta, coin. */
  futures: number;
  /** Collateral counted (usd-neutral only; 0 for coin-neutral), coin. */
  collateral: number;
  /** The sum: what the hedger drives to zero. */
  total: number;
}

/**
 * Share of an expiring option's exposure still open at `nowMs`: 1 before the settlement window,
 * `(expiry - now) / window` inside it, 0 at and after expiry.
 */
export function remainingExposureShare(
  expiryMs: number,
  nowMs: number,
  windowMs = SETTLEMENT_WINDOW_MS,
): number {
  if (!Number.isFinite(expiryMs)) throw new InputError('expiryMs', expiryMs, 'a finite time, ms');
  if (!Number.isFinite(nowMs)) throw new InputError('nowMs', nowMs, 'a finite time, ms');
  if (!(windowMs > 0) || !Number.isFinite(windowMs))
    throw new InputError('settlementWindowMs', windowMs, 'a positive number of ms');
  const left = expiryMs - nowMs;
  if (left <= 0) return 0;
  return left >= windowMs ? 1 : left / windowMs;
}

/**
 * Delta per contract of one inverse option at `nowMs`, in coin: Black delta, or Black delta
 * minus the coin price (premium-adjusted), times the remaining exposure share. Inside the window
 * the Black-76 evaluation uses the time left (floored at 1 ms).
 */
export function optionDeltaPerContract(
  o: Omit<OptionHolding, 'amount'>,
  nowMs: number,
  kind: DeltaKind = 'premium-adjusted',
  windowMs = SETTLEMENT_WINDOW_MS,
  rate = 0,
): number {
  const share = remainingExposureShare(o.expiryMs, nowMs, windowMs);
  if (share === 0) return 0;
  const years = Math.max(o.expiryMs - nowMs, 1) / MS_PER_YEAR;
  const g = black76(o.kind, o.forward, o.strike, years, o.vol, rate);
  const d = kind === 'black' ? g.delta : g.delta - g.price / o.forward;
  return d * share;
}

/** Coin price per contract of an inverse option at `nowMs` (0 after expiry). */
function coinPrice(o: OptionHolding, nowMs: number, rate: number): number {
  if (o.expiryMs <= nowMs) return 0;
  const years = Math.max(o.expiryMs - nowMs, 1) / MS_PER_YEAR;
  return black76(o.kind, o.forward, o.strike, years, o.vol, rate).price / o.forward;
}

/**
 * The book's delta under `config` (see the module comment for the meaning of each target).
 * `collateralCoin` is the coin cash balance, excluding the options' marks.
 */
export function bookDelta(
  config: TargetConfig,
  nowMs: number,
  options: readonly OptionHolding[],
  futures: readonly FutureHolding[],
  collateralCoin = 0,
): BookDelta {
  if (config.target !== 'coin-neutral' && config.target !== 'usd-neutral')
    throw new InputError('target', config.target, 'coin-neutral or usd-neutral');
  const kind = config.delta ?? 'premium-adjusted';
  if (kind !== 'premium-adjusted' && kind !== 'black')
    throw new InputError('delta', kind, 'premium-adjusted or black');
  const windowMs = config.settlementWindowMs ?? SETTLEMENT_WINDOW_MS;
  const rate = config.rate ?? 0;
  if (!Number.isFinite(collateralCoin))
    throw new InputError('collateralCoin', collateralCoin, 'a finite number');
  let optionDelta = 0;
  let marks = 0;
  options.forEach((o, i) => {
    if (!Number.isFinite(o.amount)) throw new InputError(`options[${i}].amount`, o.amount, 'a finite number');
    optionDelta += o.amount * optionDeltaPerContract(o, nowMs, kind, windowMs, rate);
    if (config.target === 'usd-neutral' && kind === 'premium-adjusted')
      marks += o.amount * coinPrice(o, nowMs, rate);
  });
  let futureDelta = 0;
  futures.forEach((f, i) => {
    if (!Number.isFinite(f.amountUsd))
      throw new InputError(`futures[${i}].amountUsd`, f.amountUsd, 'a finite number');
    if (!(f.price > 0) || !Number.isFinite(f.price))
      throw new InputError(`futures[${i}].price`, f.price, 'a positive price');
    futureDelta += f.amountUsd / f.price;
  });
  const collateral = config.target === 'usd-neutral' ? collateralCoin + marks : 0;
  return {
    options: optionDelta,
    futures: futureDelta,
    collateral,
    total: optionDelta + futureDelta + collateral,
  };
}
