/**
 * One instrument's position folded from its events in canonical order: amount, entry value,
 * realized and session P&L, and what the instrument contributed to cash and fees. Pure; the
 * ledger keeps one per instrument and refolds it when a late event arrives.
 *
 * Value of an amount at a price, in the settlement currency:
 * - inverse futures and perpetuals: `usd / price` coin (Deribit "Example (futures)": long 1000
 *   USD from 600 to 700 earns 1000/600 - 1000/700 = 0.238095 BTC); P&L = entry value - exit
 *   value, so the P&L direction is -1;
 * - options (premium) and linear futures: `amount x price`; P&L = exit value - entry value.
 * Every value is rounded half-even at 12 decimals where it is inexact (money.ts).
 *
 * Cash (venue `change` in `private/get_transaction_log`): an option's premium and every fee
 * move cash at trade time; a future's P&L and perpetual funding go to the session's realized
 * P&L and move to cash at the daily settlement (08:00 UTC) or at delivery, together with the
 * session's unrealized P&L at the settlement price, from which the next session is measured
 * (Deribit support, "Inverse perpetual"; contract specifications of the futures).
 */
import { formatInstrumentName } from '../model/instrument-name.js';
import type { DeliveryEvent, FillEvent, FundingEvent, SettlementEvent } from './events.js';
import { requireInstrument } from './events.js';
import {
  abs,
  divRound,
  MONEY_SCALE,
  maxMoney,
  mulDivMoney,
  mulMoney,
  parseMoney,
  ZERO,
  type Money,
} from './money.js';

/**
 * Positions keep their values with 12 more decimals than money (units of 10^-24): an option's
 * `amount x price` is then exact, and an inverse future's `usd / price` loses nothing that shows
 * at 12 decimals, so the average price and the realized P&L are rounded once, when booked.
 */
export const VALUE_SCALE: bigint = MONEY_SCALE * MONEY_SCALE;

/** How an instrument books: by its value formula. */
export type Booking = 'inverse-future' | 'linear-future' | 'option';

/** An option's physical delivery turned into a position in the same-expiry future, at the strike. */
export interface Conversion {
  /** Key of the option's delivery event. */
  key: string;
  /** The option delivered. */
  source: string;
  timestampMs: number;
  sequence: number;
  /** The future's name. */
  future: string;
  /** Signed amount of the future (USD for inverse, coin for linear): long for a call. */
  amount: Money;
  /** The strike, the future's entry price. */
  price: Money;
}

/** An instrument's state. Money in the settlement currency unless said otherwise. */
export interface PositionState {
  instrument: string;
  booking: Booking;
  settlementCurrency: string;
  /** Signed, in the venue's unit (USD for inverse futures, contracts for options). */
  amount: Money;
  /** Signed value of the open amount at its entry prices, in units of 10^-24 (`VALUE_SCALE`). */
  entryValue: bigint;
  /** Futures: signed value of the open amount at the session's reference (last settlement or fill) prices, 10^-24. */
  sessionValue: bigint;
  /** Trading P&L realized over the instrument's life (funding and fees excluded). */
  realizedPnl: Money;
  /** Futures: realized since the last settlement, funding included; moves to cash at settlement. */
  sessionRealizedPnl: Money;
  fundingReceived: Money;
  /** What this instrument's events added to cash, by currency. */
  cash: Map<string, Money>;
  /** Fees paid (rebates negative), by currency. */
  feesPaid: Map<string, Money>;
  lastSettlementPrice: Money | null;
  deliveryPrice: Money | null;
  fills: number;
  liquidations: number;
  /** Physical deliveries this option made into its future (the ledger routes them). */
  conversions: Conversion[];
}

/** Anything the fold applies to a position. */
export type PositionStep = FillEvent | FundingEvent | SettlementEvent | DeliveryEvent | ConversionStep;

/** A conversion as a step of the future's fold. */
export interface ConversionStep extends Conversion {
  type: 'conversion';
}

/** A fresh, flat position for `instrument`. */
export function newPosition(instrument: string): PositionState {
  const parsed = requireInstrument(instrument);
  const booking: Booking =
    parsed.kind === 'option'
      ? 'option'
      : parsed.settlement === 'inverse'
        ? 'inverse-future'
        : 'linear-future';
  return {
    instrument,
    booking,
    settlementCurrency: parsed.settlementCurrency,
    amount: ZERO,
    entryValue: ZERO,
    sessionValue: ZERO,
    realizedPnl: ZERO,
    sessionRealizedPnl: ZERO,
    fundingReceived: ZERO,
    cash: new Map(),
    feesPaid: new Map(),
    lastSettlementPrice: null,
    deliveryPrice: null,
    fills: 0,
    liquidations: 0,
    conversions: [],
  };
}

/** Value of a signed amount at a price (see the module comment), in units of 10^-24. */
export function valueAt(booking: Booking, amount: Money, price: Money): bigint {
  return booking === 'inverse-future' ? divRound(amount * VALUE_SCALE, price) : amount * price;
}

/** A value (10^-24) as money (10^-12), rounded half-even. */
export function toMoney(value: bigint): Money {
  return divRound(value, MONEY_SCALE);
}

/** P&L direction: -1 for inverse (P&L = entry value - exit value), +1 otherwise. */
function direction(booking: Booking): bigint {
  return booking === 'inverse-future' ? -1n : 1n;
}

/** Applies one step to the position, in place. Events are assumed valid (`validateEvent`). */
export function applyStep(state: PositionState, step: PositionStep): void {
  switch (step.type) {
    case 'fill':
      state.fills += 1;
      if (step.liquidation === true) state.liquidations += 1;
      trade(state, step.side === 'buy' ? step.amount : -step.amount, step.price);
      addTo(state.cash, step.feeCurrency, -step.fee);
      addTo(state.feesPaid, step.feeCurrency, step.fee);
      return;
    case 'conversion':
      trade(state, step.amount, step.price);
      return;
    case 'funding':
      state.fundingReceived += step.amount;
      state.sessionRealizedPnl += step.amount;
      return;
    case 'settlement':
      state.lastSettlementPrice = step.settlementPrice;
      if (state.booking !== 'option') settleSession(state, step.settlementPrice);
      return;
    case 'delivery':
      deliver(state, step);
      return;
  }
}

/** Unrealized P&L over the position's life at `mark` (the instrument's price currency). */
export function unrealizedPnl(state: PositionState, mark: Money): Money {
  return toMoney(direction(state.booking) * (valueAt(state.booking, state.amount, mark) - state.entryValue));
}

/** Futures: unrealized P&L since the session's reference prices, at `mark`. 0 for options. */
export function sessionUnrealizedPnl(state: PositionState, mark: Money): Money {
  if (state.booking === 'option') return ZERO;
  return toMoney(
    direction(state.booking) * (valueAt(state.booking, state.amount, mark) - state.sessionValue),
  );
}

/**
 * Average entry price in the instrument's price currency (USD per coin for inverse futures:
 * the USD amount over its coin value, the venue's harmonic mean; coin per contract for inverse
 * options), rounded half-even at 12 decimals; null when flat.
 */
export function averagePrice(state: PositionState): Money | null {
  if (state.amount === ZERO) return null;
  if (state.booking === 'inverse-future')
    return divRound(abs(state.amount) * VALUE_SCALE, abs(state.entryValue));
  return divRound(state.entryValue, state.amount);
}

/** Buys (amount > 0) or sells (amount < 0) `amount` at `price`. */
function trade(state: PositionState, amount: Money, price: Money): void {
  const dir = direction(state.booking);
  let rest = amount;
  if (state.amount !== ZERO && state.amount > ZERO !== amount > ZERO) {
    // Reduce: the closed part of the position, signed like the position.
    const closed = abs(amount) >= abs(state.amount) ? state.amount : -amount;
    const releasedEntry =
      closed === state.amount ? state.entryValue : mulDivMoney(state.entryValue, closed, state.amount);
    const releasedSession =
      closed === state.amount ? state.sessionValue : mulDivMoney(state.sessionValue, closed, state.amount);
    const exitValue = valueAt(state.booking, closed, price);
    state.realizedPnl += toMoney(dir * (exitValue - releasedEntry));
    if (state.booking === 'option') {
      addTo(state.cash, state.settlementCurrency, toMoney(exitValue));
    } else {
      state.sessionRealizedPnl += toMoney(dir * (exitValue - releasedSession));
    }
    state.amount -= closed;
    state.entryValue -= releasedEntry;
    state.sessionValue -= releasedSession;
    rest = amount + closed;
  }
  if (rest !== ZERO) {
    const value = valueAt(state.booking, rest, price);
    state.amount += rest;
    state.entryValue += value;
    state.sessionValue += value;
    if (state.booking === 'option') addTo(state.cash, state.settlementCurrency, toMoney(-value));
  }
}

/** Moves the session's realized and unrealized P&L at `price` into cash; `price` becomes the reference. */
function settleSession(state: PositionState, price: Money): void {
  const reference = valueAt(state.booking, state.amount, price);
  const sessionPnl =
    state.sessionRealizedPnl + toMoney(direction(state.booking) * (reference - state.sessionValue));
  addTo(state.cash, state.settlementCurrency, sessionPnl);
  state.sessionRealizedPnl = ZERO;
  state.sessionValue = reference;
}

function deliver(state: PositionState, event: DeliveryEvent): void {
  const price = event.deliveryPrice;
  state.deliveryPrice = price;
  addTo(state.cash, event.feeCurrency, -event.fee);
  addTo(state.feesPaid, event.feeCurrency, event.fee);
  if (state.booking !== 'option') {
    // A future delivers as a last settlement at the delivery price, then is flat.
    const exitValue = valueAt(state.booking, state.amount, price);
    state.realizedPnl += toMoney(direction(state.booking) * (exitValue - state.entryValue));
    settleSession(state, price);
    flatten(state);
    return;
  }
  const parsed = requireInstrument(state.instrument);
  if (parsed.kind !== 'option') return;
  const strike = parseMoney(parsed.strike, { field: 'strike' });
  const intrinsic = maxMoney(parsed.optionType === 'call' ? price - strike : strike - price, ZERO);
  if (event.method === 'physical' && intrinsic > ZERO && state.amount !== ZERO) {
    // Into the same-expiry future at the strike: a call becomes a long, a put a short. Inverse:
    // K USD of future per contract (one coin), so the future's `K x (1/K - 1/S)` = `(S - K)/S`,
    // the cash payoff; linear: one coin of future per coin of option, paying `S - K`. The option
    // itself closes at zero; its intrinsic value is booked on the future.
    const long = parsed.optionType === 'call' ? 1n : -1n;
    const futureAmount = parsed.settlement === 'inverse' ? mulMoney(state.amount, strike) : state.amount;
    state.conversions.push({
      key: `${event.venue}\u0000${event.id}`,
      source: state.instrument,
      timestampMs: event.timestampMs,
      sequence: event.sequence,
      future: conversionFuture(state.instrument) ?? '',
      amount: long * futureAmount,
      price: strike,
    });
    state.realizedPnl -= toMoney(state.entryValue);
  } else {
    // Cash: inverse `max(S - K, 0) / S` coin per contract (Deribit support, "Inverse Options":
    // a 100,000 call delivered at 125,000 settles 25,000 USD = 0.2 BTC); linear `max(S - K, 0)`.
    const payoff =
      parsed.settlement === 'inverse'
        ? mulDivMoney(state.amount, intrinsic, price)
        : mulMoney(state.amount, intrinsic);
    state.realizedPnl += payoff - toMoney(state.entryValue);
    addTo(state.cash, state.settlementCurrency, payoff);
  }
  flatten(state);
}

/** The future an option converts into at physical delivery (same underlying and expiry); null for non-options. */
export function conversionFuture(instrument: string): string | null {
  const parsed = requireInstrument(instrument);
  if (parsed.kind !== 'option') return null;
  return formatInstrumentName({
    kind: 'future',
    base: parsed.base,
    quote: parsed.quote,
    expiryMs: parsed.expiryMs,
  });
}

function flatten(state: PositionState): void {
  state.amount = ZERO;
  state.entryValue = ZERO;
  state.sessionValue = ZERO;
}

/** Adds `amount` to `map[currency]`. */
export function addTo(map: Map<string, Money>, currency: string, amount: Money): void {
  if (amount === ZERO && map.has(currency)) return;
  map.set(currency, (map.get(currency) ?? ZERO) + amount);
}
