/**
 * P&L attribution between two market states: what the book held at the first state earned by
 * the second, explained by the greeks at the first state, plus what happened in between (new
 * trades, fees, funding), and the residual nobody explained.
 *
 * Expansion. For each position held at `from` (value V in its coin, `valuation.ts`), with
 * r = F1/F0 - 1 the relative move of its own forward (the perpetual's price for the perpetual,
 * so a change of basis between expiries is seen where it happens), dv = sigma1 - sigma0 the
 * change of its implied vol in vol points (at its strike and expiry, read from each state's
 * vols) and dt the days elapsed:
 *
 *   V1 - V0 = delta r + gamma r²/2                 (delta, gamma: second order in spot)
 *           + vega dv + volga dv²/2                (vega, volga: second order in vol)
 *           + vanna r dv                           (the spot-vol cross term)
 *           + theta dt                             (first order in time)
 *           + residual                             (third order, charm and veta, jumps)
 *
 * with the greeks of `valuation.ts` taken at `from` (delta = F dV/dF, gamma = F² d²V/dF²,
 * vanna = F d²V/dF dsigma, vega and volga per vol point, theta per day). V1 - V0 is the full
 * revaluation: `n (C1/F1 - C0/F0)` for an inverse option, `n (1/F0 - 1/F1)` for an inverse
 * future or perpetual of n USD.
 *
 * Other components, in each coin:
 * - new trades: trades after `from`, valued at `to` against their price (options
 *   `n (V1 - price)`, futures `n (1/price - 1/F1)`);
 * - fees: minus the fees paid after `from` (a rebate counts positive);
 * - funding: perpetual funding received after `from`.
 * Total = revaluation + new trades + fees + funding. Gross = the sum of the absolute values of
 * every component but the residual. USD figures are coin figures at the index of `to`, as the
 * venue displays USD of coin P&L at the current index; the change in USD value of coin already
 * held is not P&L of the book and is not attributed.
 *
 * Market states come from a fitted surface (`marketFromSurface`, `moveMarket`) or from two
 * journaled mark events (`marketFromMark`).
 */
import { InputError } from '../model/errors.js';
import { MS_PER_DAY, MS_PER_YEAR } from '../model/time.js';
import { inverseOptionImpliedVol } from '../pricing/coin.js';
import { requireInstrument, type InventoryEvent, type MarkEvent } from './events.js';
import { Ledger } from './ledger.js';
import { toNumber } from './money.js';
import {
  BookValuation,
  ledgerPositions,
  type BookPosition,
  type MarketState,
  type UnderlyingMarket,
} from './valuation.js';

/** A trade after `from`: signed amount in the venue's unit, price in the instrument's price currency. */
export interface Trade {
  instrument: string;
  /** Bought > 0, sold < 0: contracts for options, USD for inverse futures and perpetuals. */
  amount: number;
  /** Coin per contract for inverse options, USD per coin for inverse futures and perpetuals. */
  price: number;
}

/** What the attribution takes: positions held at `from` and what happened until `to`. */
export interface AttributionInput {
  positions: readonly BookPosition[];
  trades?: readonly Trade[];
  /** Fees paid after `from` by currency (rebates negative). */
  feesPaid?: Readonly<Record<string, number>>;
  /** Perpetual funding received after `from` by currency (paid negative). */
  fundingReceived?: Readonly<Record<string, number>>;
}

/** P&L components in one currency. */
export interface PnlComponents {
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  vanna: number;
  volga: number;
  newTrades: number;
  fees: number;
  funding: number;
  residual: number;
  /** Full revaluation of the positions held at `from` (the first six components + residual). */
  revaluation: number;
  /** revaluation + newTrades + fees + funding. */
  total: number;
  /** Sum of the absolute components, residual excluded. */
  gross: number;
}

/** One coin's attribution, in coin and in USD at the index of `to`. */
export interface CoinAttribution {
  coin: string;
  indexUsd: number;
  inCoin: PnlComponents;
  usd: PnlComponents;
}

/** One position's attribution, in its coin. */
export interface PositionAttribution {
  instrument: string;
  amount: number;
  inCoin: PnlComponents;
}

export interface Attribution {
  fromMs: number;
  toMs: number;
  byCoin: CoinAttribution[];
  byPosition: PositionAttribution[];
  /** Every coin in USD (its gross sums the absolute USD components summed over coins). */
  totalUsd: PnlComponents;
}

/** The components the greeks explain, then those that come from events: what `gross` sums. */
export const EXPLAINED = ['delta', 'gamma', 'vega', 'theta', 'vanna', 'volga'] as const;
export const FROM_EVENTS = ['newTrades', 'fees', 'funding'] as const;
const OTHER = FROM_EVENTS;

/**
 * Attributes the P&L from `from` to `to`. Throws `InputError` when `to` is before `from`, or as
 * `BookValuation.evaluate` (an underlying missing, an instrument expired by `to`).
 */
export function attributePnl(input: AttributionInput, from: MarketState, to: MarketState): Attribution {
  if (!(to.timeMs >= from.timeMs)) {
    throw new InputError('to.timeMs', to.timeMs, `a time at or after from.timeMs ${from.timeMs}`);
  }
  const days = (to.timeMs - from.timeMs) / MS_PER_DAY;
  const held = new BookValuation(input.positions);
  const c0 = held.evaluate(from);
  // Copy what the first state gave before the second evaluation overwrites the columns.
  const greeks0 = {
    level: c0.level.slice(),
    delta: c0.delta.slice(),
    gamma: c0.gamma.slice(),
    vega: c0.vega.slice(),
    theta: c0.theta.slice(),
    vanna: c0.vanna.slice(),
    volga: c0.volga.slice(),
    forward: c0.forward.slice(),
    vol: c0.vol.slice(),
  };
  const c1 = held.evaluate(to);
  const coins = new Map<string, PnlComponents>();
  const byPosition: PositionAttribution[] = held.positions.map((p, i) => {
    const r = c1.forward[i]! / greeks0.forward[i]! - 1;
    const isOption = p.kind === 'option';
    const dv = isOption ? (c1.vol[i]! - greeks0.vol[i]!) * 100 : 0;
    const x = zeroComponents();
    x.delta = greeks0.delta[i]! * r;
    x.gamma = 0.5 * greeks0.gamma[i]! * r * r;
    x.vega = greeks0.vega[i]! * dv;
    x.volga = 0.5 * greeks0.volga[i]! * dv * dv;
    x.vanna = greeks0.vanna[i]! * r * dv;
    x.theta = greeks0.theta[i]! * days;
    x.revaluation = c1.level[i]! - greeks0.level[i]!;
    x.residual = x.revaluation - (x.delta + x.gamma + x.vega + x.volga + x.vanna + x.theta);
    addInto(componentsOf(coins, p.coin), x);
    return { instrument: p.instrument, amount: p.amount, inCoin: finish(x) };
  });
  const trades = input.trades ?? [];
  if (trades.length > 0) {
    const traded = new BookValuation(trades.map((t) => ({ instrument: t.instrument, amount: t.amount })));
    const c = traded.evaluate(to);
    traded.positions.forEach((p, i) => {
      const price = trades[i]!.price;
      if (!Number.isFinite(price) || (p.kind === 'option' ? price < 0 : price <= 0)) {
        throw new InputError(`trades[${i}].price`, price, 'a finite price (positive for futures)');
      }
      const atPrice = p.kind === 'option' ? p.amount * price : -p.amount / price;
      componentsOf(coins, p.coin).newTrades += c.level[i]! - atPrice;
    });
  }
  for (const [coin, fee] of Object.entries(input.feesPaid ?? {})) componentsOf(coins, coin).fees -= fee;
  for (const [coin, amount] of Object.entries(input.fundingReceived ?? {}))
    componentsOf(coins, coin).funding += amount;
  const totalUsd = zeroComponents();
  const byCoin = [...coins.keys()].sort().map((coin): CoinAttribution => {
    const inCoin = finish(coins.get(coin)!);
    const market = to.underlyings[coin];
    if (market === undefined) throw new InputError(`to.underlyings.${coin}`, market, `the market of ${coin}`);
    const usd = scale(inCoin, market.indexUsd);
    addInto(totalUsd, usd);
    return { coin, indexUsd: market.indexUsd, inCoin, usd };
  });
  return { fromMs: from.timeMs, toMs: to.timeMs, byCoin, byPosition, totalUsd: finish(totalUsd) };
}

/**
 * Attributes the P&L of a journal's events from `from` to `to`: the positions are the fold of
 * the events at or before `from.timeMs`; fills after it and at or before `to.timeMs` are new
 * trades (their fees go to fees), funding in that window to funding. Daily settlements move
 * P&L into cash and change no economic P&L: not attributed. A delivery in the window is
 * refused (`InputError`): attribute up to the expiry, then from it.
 */
export function attributeEvents(
  events: Iterable<InventoryEvent>,
  from: MarketState,
  to: MarketState,
): Attribution {
  const ledger = new Ledger();
  const trades: Trade[] = [];
  const feesPaid: Record<string, number> = {};
  const fundingReceived: Record<string, number> = {};
  const later: InventoryEvent[] = [];
  for (const event of events) {
    if (event.timestampMs <= from.timeMs) ledger.apply(event);
    else if (event.timestampMs <= to.timeMs) later.push(event);
  }
  // Duplicates in the window count once, like the ledger's.
  const seen = new Set<string>();
  for (const event of later) {
    const key = `${event.venue}\u0000${event.id}`;
    if (seen.has(key) || ledger.has(event.venue, event.id)) continue;
    seen.add(key);
    switch (event.type) {
      case 'fill': {
        const amount = toNumber(event.amount);
        trades.push({
          instrument: event.instrument,
          amount: event.side === 'buy' ? amount : -amount,
          price: toNumber(event.price),
        });
        feesPaid[event.feeCurrency] = (feesPaid[event.feeCurrency] ?? 0) + toNumber(event.fee);
        break;
      }
      case 'funding': {
        const coin = requireInstrument(event.instrument).settlementCurrency;
        fundingReceived[coin] = (fundingReceived[coin] ?? 0) + toNumber(event.amount);
        break;
      }
      case 'delivery':
        throw new InputError(
          'events',
          `${event.type} ${event.instrument} at ${new Date(event.timestampMs).toISOString()}`,
          'no delivery between the two market states',
        );
      default:
        break;
    }
  }
  return attributePnl({ positions: ledgerPositions(ledger), trades, feesPaid, fundingReceived }, from, to);
}

/**
 * A market state from a journaled mark event (marks in each instrument's price currency, index
 * prices by index name), for inverse instruments of each coin that has an index `<coin>_usd`:
 * - index: `indexPrices.<coin>_usd`;
 * - forward of an expiry: the mark of that expiry's future where the event has one; otherwise
 *   from coin put-call parity (the venue marks `C/F` and `P/F`, so `c - p = 1 - K/F` and
 *   `F = K / (1 - c + p)`), the median over the strikes with both marks;
 * - perpetual: its mark (the index when absent);
 * - vol at a strike and expiry: the implied vol of the out-of-the-money option's mark at that
 *   forward (the other side's when only it is marked), the venue's way
 *   (`inverseOptionImpliedVol`), time from the event's timestamp.
 * A forward or a vol the event cannot give throws `InputError` on `prices` when asked for.
 */
export function marketFromMark(event: MarkEvent): MarketState {
  interface CoinMarks {
    futures: Map<number, number>;
    perpetual?: number;
    options: Map<number, Map<number, { call?: number; put?: number }>>;
  }
  const coins = new Map<string, CoinMarks>();
  for (const [name, money] of Object.entries(event.prices)) {
    const parsed = requireInstrument(name, `prices.${name}`);
    if (parsed.settlement !== 'inverse') continue;
    let marks = coins.get(parsed.base);
    if (marks === undefined) {
      marks = { futures: new Map(), options: new Map() };
      coins.set(parsed.base, marks);
    }
    const price = toNumber(money);
    if (parsed.kind === 'perpetual') marks.perpetual = price;
    else if (parsed.kind === 'future') marks.futures.set(parsed.expiryMs, price);
    else {
      const strikes =
        marks.options.get(parsed.expiryMs) ?? new Map<number, { call?: number; put?: number }>();
      marks.options.set(parsed.expiryMs, strikes);
      const pair = strikes.get(parsed.strike) ?? {};
      pair[parsed.optionType] = price;
      strikes.set(parsed.strike, pair);
    }
  }
  const underlyings: Record<string, UnderlyingMarket> = {};
  for (const [coin, marks] of coins) {
    const indexMoney = event.indexPrices[`${coin.toLowerCase()}_usd`];
    if (indexMoney === undefined) continue;
    const forward = (expiryMs: number): number => {
      const future = marks.futures.get(expiryMs);
      if (future !== undefined) return future;
      const parity: number[] = [];
      for (const [strike, { call, put }] of marks.options.get(expiryMs) ?? []) {
        if (call !== undefined && put !== undefined && call - put < 1) parity.push(strike / (1 - call + put));
      }
      if (parity.length === 0) {
        throw new InputError(
          'prices',
          new Date(expiryMs).toISOString(),
          `a future or a call and a put of one strike marked for this ${coin} expiry`,
        );
      }
      parity.sort((a, b) => a - b);
      const mid = parity.length >> 1;
      return parity.length % 2 === 1 ? parity[mid]! : 0.5 * (parity[mid - 1]! + parity[mid]!);
    };
    const vol = (strike: number, expiryMs: number): number => {
      const pair = marks.options.get(expiryMs)?.get(strike);
      const f = forward(expiryMs);
      const kind = pair?.call !== undefined && (strike >= f || pair.put === undefined) ? 'call' : 'put';
      const mark = kind === 'call' ? pair?.call : pair?.put;
      if (mark === undefined) {
        throw new InputError(
          'prices',
          `${coin} ${strike} ${new Date(expiryMs).toISOString()}`,
          'a marked option',
        );
      }
      return inverseOptionImpliedVol(kind, mark, f, strike, (expiryMs - event.timestampMs) / MS_PER_YEAR, 0);
    };
    underlyings[coin] = {
      indexUsd: toNumber(indexMoney),
      forward,
      vol,
      ...(marks.perpetual === undefined ? {} : { perpetualUsd: marks.perpetual }),
    };
  }
  return { timeMs: event.timestampMs, underlyings };
}

function componentsOf(map: Map<string, PnlComponents>, coin: string): PnlComponents {
  let x = map.get(coin);
  if (x === undefined) {
    x = zeroComponents();
    map.set(coin, x);
  }
  return x;
}

/** Adds the additive components (not total and gross, which `finish` derives). */
function addInto(into: PnlComponents, x: PnlComponents): void {
  for (const k of [...EXPLAINED, ...OTHER, 'residual', 'revaluation'] as const) into[k] += x[k];
}

function finish(x: PnlComponents): PnlComponents {
  x.total = x.revaluation + x.newTrades + x.fees + x.funding;
  x.gross = 0;
  for (const k of [...EXPLAINED, ...OTHER]) x.gross += Math.abs(x[k]);
  return x;
}

function scale(x: PnlComponents, factor: number): PnlComponents {
  const y = zeroComponents();
  for (const k of [...EXPLAINED, ...OTHER, 'residual', 'revaluation'] as const) y[k] = x[k] * factor;
  return finish(y);
}

function zeroComponents(): PnlComponents {
  return {
    delta: 0,
    gamma: 0,
    vega: 0,
    theta: 0,
    vanna: 0,
    volga: 0,
    newTrades: 0,
    fees: 0,
    funding: 0,
    residual: 0,
    revaluation: 0,
    total: 0,
    gross: 0,
  };
}
