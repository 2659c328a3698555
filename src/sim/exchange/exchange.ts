/**
 * The simulated exchange (issue 7, item 1): an order-level, price-time priority book per
 * instrument, with the venue's order types, validation, fees, positions and cash, market maker
 * protection, cancel-on-disconnect and expiry settlement. Deterministic: every call takes the
 * event time from the caller (non-decreasing), there is no wall clock and no randomness.
 *
 * Rules (where a venue leaves a choice, the one taken here):
 * - Matching: best price first, then time of arrival at that price (FIFO per level). A trade
 *   prints at the resting order's price.
 * - Amounts are validated against the instrument's lot (`minTradeAmount`, else `contractSize`)
 *   and held internally as whole lots, so positions are exact integers of lots.
 * - Prices are validated against the instrument's tick schedule at the event time
 *   (`price_wrong_tick`), and kept as the schedule's canonical tick value.
 * - Post-only (venue default, `reject_post_only` false): a post-only order that would cross is
 *   moved to one tick inside the spread (just below the best ask for a buy); with
 *   `rejectPostOnly` it is rejected with `post_only_reject`.
 * - Market orders take what the book has; the rest is cancelled. IOC limit orders likewise.
 * - Reduce-only: rejected (`reduce_only`) when the participant has no position to reduce on
 *   that side; its amount is capped to the position at entry, and every fill is capped to the
 *   position at that moment (the rest is cancelled with reason `reduce_only`).
 * - Edits (`private/edit`): a price change or an amount increase sends the order to the back
 *   of the queue at its (new) price; an amount decrease at the same price keeps its place. An
 *   edited price that crosses trades as a taker (a post-only edit is repriced or rejected as at
 *   entry). The new amount is the order's total amount and must exceed what has filled.
 * - Self-trade (`SelfTradeRule`): default `cancel_maker`, the resting order of the same
 *   participant is cancelled (reason `self_trade`) and matching goes on; `reject_taker` stops
 *   the incoming order there and cancels its rest. No participant ever trades with itself.
 * - Fees (DOMAIN.md table, `FeeSchedule`): inverse options 0.0003 coin per contract, capped at
 *   12.5% of the premium; linear options a share of the index, same cap; futures and
 *   perpetuals a share of notional (inverse: charged in coin at the trade price). Fees are
 *   paid to the `EXCHANGE_ACCOUNT`, so cash summed over all accounts including it is conserved.
 * - Cash: option premium moves from buyer to seller at trade time, in the price currency
 *   (coin for inverse options, USDC for linear). Futures move no cash before settlement; their
 *   P&L is kept as a cost sum and paid at expiry (inverse: `N (1/entry - 1/S)` in coin).
 * - MMP: per participant, index (base currency) and group. Only fills of the participant's MMP
 *   orders count. The window is fixed: it opens at the first such fill and lasts `intervalMs`;
 *   a fill at or after its end opens a new one. When the window's traded quantity, |net delta|
 *   or |net vega| exceeds its limit, the participant's open MMP orders of that index and group
 *   are cancelled (other orders stay), new MMP orders are refused (`mmp_frozen`) for
 *   `frozenTimeMs` (0: until `resetMmp`), and an `mmp_trigger` event is emitted.
 * - Mass quotes (`massQuote`, venue `private/mass_quote`): one quote per participant,
 *   instrument, side and MMP group. A quote replaces the previous one of the same key: an edit
 *   of the open order (its new open amount is the quote's amount; a price change or an increase
 *   loses queue priority as any edit), else a new post-only MMP order in the group. Amount 0
 *   cancels. The group must have an MMP config for the instrument's index; a frozen group
 *   refuses new quotes (`mmp_frozen`). Each side is validated on its own and errors are listed
 *   per side, the rest of the request goes through; a failed edit leaves the previous quote in
 *   place. The entry's `quote_set_id` is kept as the order's label. Not modelled: the venue's
 *   requirement that cancel-on-disconnect be enabled, `max_quote_quantity`, rate limits.
 * - Cancel-on-disconnect: enabled per connection, with scope `connection` (cancels the
 *   orders sent on that connection) or `account` (all the participant's orders).
 * - Settlement at a caller-supplied delivery price (the 30-minute time-averaged index): open
 *   orders are cancelled; an inverse call pays `max(S-K,0)/S` coin per contract (put
 *   `max(K-S,0)/S`), a linear option the intrinsic value in USDC times the multiplier; an
 *   in-the-money option pays the delivery fee (0.015% of the underlying per contract, capped at
 *   12.5% of the option's value) on both the long and the short side. Cash settlement directly
 *   (the pre-2026 process; the later physical step into the future nets to the same P&L).
 */
import { InstrumentCatalog } from '../../model/instrument-catalog.js';
import type { InstrumentDetails } from '../../model/instrument-details.js';
import { decimalPlaces } from '../../model/decimal.js';
import { InputError } from '../../model/errors.js';
import type { TickSchedule } from '../../model/tick-schedule.js';
import {
  DERIBIT_FEES,
  type ActionResult,
  type CancelReason,
  type ExchangeEvent,
  type FeeSchedule,
  type Fill,
  type MassQuoteError,
  type MassQuoteRequest,
  type MassQuoteResult,
  type MmpConfig,
  type MmpTriggerEvent,
  type Order,
  type OrderRequest,
  type RejectReason,
  type SelfTradeRule,
  type SettlementEvent,
  type Side,
  type UnitGreeks,
  VENUE_ERROR_CODES,
} from './types.js';

/** The account fees are paid to. */
export const EXCHANGE_ACCOUNT = '__exchange__';

/** Options of an exchange. */
export interface ExchangeOptions {
  /** Instrument details (lots, ticks, expiry); default: the built-in table. */
  catalog?: InstrumentCatalog;
  fees?: FeeSchedule;
  selfTrade?: SelfTradeRule;
  /** Default of `OrderRequest.rejectPostOnly`; false, as on the venue. */
  rejectPostOnlyByDefault?: boolean;
  /** Index price of a base currency at a time; required for linear option fees. */
  indexPrice?: (base: string, atMs: number) => number;
  /** Greeks per unit of amount, for MMP delta and vega limits. */
  greeks?: (instrument: string, atMs: number) => UnitGreeks;
}

/** Result of an edit or cancel: `rejectReason` null when done. */
export interface ModifyResult {
  rejectReason: RejectReason | null;
  detail: string | null;
  order: Order | null;
  fills: Fill[];
  events: ExchangeEvent[];
}

/** A price level of a book: its orders in time priority. */
export interface BookLevelView {
  price: number;
  amount: number;
  orders: number;
}

type FeeKind = 'inverseOption' | 'linearOption' | 'future' | 'weeklyFuture' | 'perpetual';

interface Instrument {
  details: InstrumentDetails;
  ticks: TickSchedule;
  lot: number;
  lotDecimals: number;
  feeKind: FeeKind;
  inverse: boolean;
  isOption: boolean;
  multiplier: number;
  /** Currency of premium and fees (coin for inverse, USDC for linear). */
  currency: string;
  bids: BookSide;
  asks: BookSide;
  closed: boolean;
}

interface LiveOrder {
  view: Order;
  inst: Instrument;
  lots: number;
  filledLots: number;
  /** Sum of price x lots of fills, for the average price. */
  notionalLots: number;
  level: Level | null;
}

interface Level {
  price: number;
  orders: LiveOrder[];
  lots: number;
}

/** One side of a book: levels worst first, best last (as in `market/book.ts`). */
class BookSide {
  readonly levels: Level[] = [];
  constructor(readonly isBid: boolean) {}

  best(): Level | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** Index of `price`, or `-(insertion index) - 1`. Ascending index = better price. */
  private find(price: number): number {
    const levels = this.levels;
    let lo = 0;
    let hi = levels.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = (levels[mid] as Level).price;
      if (p === price) return mid;
      const midWorse = this.isBid ? p < price : p > price;
      if (midWorse) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Appends at the back of its price's queue. */
  add(order: LiveOrder, price: number): void {
    let index = this.find(price);
    let level: Level;
    if (index >= 0) level = this.levels[index] as Level;
    else {
      index = -index - 1;
      level = { price, orders: [], lots: 0 };
      this.levels.splice(index, 0, level);
    }
    level.orders.push(order);
    level.lots += order.lots - order.filledLots;
    order.level = level;
  }

  remove(order: LiveOrder): void {
    const level = order.level;
    if (level === null) return;
    const orders = level.orders;
    const at = orders[0] === order ? 0 : orders.indexOf(order);
    if (at >= 0) orders.splice(at, 1);
    level.lots -= order.lots - order.filledLots;
    order.level = null;
    if (orders.length === 0) {
      const index =
        this.levels[this.levels.length - 1] === level ? this.levels.length - 1 : this.find(level.price);
      if (index >= 0) this.levels.splice(index, 1);
    }
  }
}

interface Account {
  cash: Map<string, number>;
  /** Position in lots per instrument. */
  lots: Map<string, number>;
  /** Futures cost sum per instrument: inverse sum(amount / price), linear sum(amount x price). */
  cost: Map<string, number>;
}

interface MmpState {
  config: Required<Omit<MmpConfig, 'quantityLimit' | 'deltaLimit' | 'vegaLimit'>> &
    Pick<MmpConfig, 'quantityLimit' | 'deltaLimit' | 'vegaLimit'>;
  windowStartMs: number | null;
  quantity: number;
  delta: number;
  vega: number;
  /** Frozen until this time (Infinity: until reset); null when not frozen. */
  frozenUntilMs: number | null;
}

class Rejection extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

const mmpKey = (participant: string, index: string, group: string): string =>
  `${participant}\u0000${index}\u0000${group}`;

/** The simulated exchange. */
export class Exchange {
  private readonly catalog: InstrumentCatalog;
  private readonly fees: FeeSchedule;
  private readonly selfTrade: SelfTradeRule;
  private readonly rejectPostOnlyByDefault: boolean;
  private readonly indexPrice: ((base: string, atMs: number) => number) | undefined;
  private readonly greeks: ((instrument: string, atMs: number) => UnitGreeks) | undefined;
  private readonly instruments = new Map<string, Instrument>();
  private readonly orders = new Map<string, LiveOrder>();
  private readonly accounts = new Map<string, Account>();
  private readonly mmp = new Map<string, MmpState>();
  /** Open quote order id by participant, instrument, side and MMP group (mass quotes). */
  private readonly quoteOrders = new Map<string, string>();
  private readonly connections = new Map<string, { participant: string; scope: 'connection' | 'account' }>();
  private nextOrderId = 1;
  private nextTradeId = 1;
  private nowMs = Number.NEGATIVE_INFINITY;

  constructor(options: ExchangeOptions = {}) {
    this.catalog = options.catalog ?? new InstrumentCatalog();
    this.fees = options.fees ?? DERIBIT_FEES;
    this.selfTrade = options.selfTrade ?? 'cancel_maker';
    this.rejectPostOnlyByDefault = options.rejectPostOnlyByDefault ?? false;
    this.indexPrice = options.indexPrice;
    this.greeks = options.greeks;
  }

  // ---------------------------------------------------------------- orders

  /** Places an order at event time `atMs`. Invalid orders come back `rejected` with the venue's reason. */
  submit(request: OrderRequest, atMs: number): ActionResult {
    this.advance(atMs);
    const events: ExchangeEvent[] = [];
    const fills: Fill[] = [];
    const view: Order = {
      orderId: String(this.nextOrderId++),
      clientOrderId: request.clientOrderId ?? null,
      participant: request.participant,
      connection: request.connection ?? null,
      instrument: request.instrument,
      side: request.side,
      type: request.type ?? 'limit',
      timeInForce: request.timeInForce ?? 'good_til_cancelled',
      postOnly: request.postOnly ?? false,
      reduceOnly: request.reduceOnly ?? false,
      label: request.label ?? null,
      mmp: request.mmp ?? false,
      mmpGroup: request.mmpGroup ?? '',
      price: request.type === 'market' ? null : (request.price ?? null),
      amount: request.amount,
      filledAmount: 0,
      averagePrice: null,
      state: 'open',
      rejectReason: null,
      cancelReason: null,
      detail: null,
      createdMs: atMs,
      lastUpdateMs: atMs,
    };
    let order: LiveOrder;
    try {
      order = this.validate(view, request, atMs);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      view.state = 'rejected';
      view.rejectReason = error.reason;
      view.detail = error.detail;
      return { order: { ...view }, fills, events };
    }
    this.orders.set(view.orderId, order);
    this.execute(order, atMs, fills, events);
    return { order: { ...order.view }, fills, events };
  }

  /** Cancels one open order. */
  cancel(orderId: string, participant: string, atMs: number): ModifyResult {
    this.advance(atMs);
    const order = this.orders.get(orderId);
    if (order === undefined) return refused('order_not_found', `no open order ${orderId}`);
    if (order.view.participant !== participant)
      return refused('not_owner_of_order', `order ${orderId} is not ${participant}'s`);
    this.cancelOrder(order, 'user', atMs);
    return { rejectReason: null, detail: null, order: { ...order.view }, fills: [], events: [] };
  }

  /** Cancels a participant's open orders, optionally only of one instrument and/or one label. */
  cancelAll(
    participant: string,
    atMs: number,
    filter: { instrument?: string; label?: string } = {},
  ): Order[] {
    this.advance(atMs);
    const cancelled: Order[] = [];
    for (const order of [...this.orders.values()]) {
      const v = order.view;
      if (v.participant !== participant) continue;
      if (filter.instrument !== undefined && v.instrument !== filter.instrument) continue;
      if (filter.label !== undefined && v.label !== filter.label) continue;
      this.cancelOrder(order, 'user', atMs);
      cancelled.push({ ...v });
    }
    return cancelled;
  }

  /** Changes an open order's amount (new total) and/or price (`private/edit`). */
  edit(
    orderId: string,
    participant: string,
    change: { amount?: number; price?: number; rejectPostOnly?: boolean },
    atMs: number,
  ): ModifyResult {
    this.advance(atMs);
    const order = this.orders.get(orderId);
    if (order === undefined) return refused('order_not_found', `no open order ${orderId}`);
    const view = order.view;
    if (view.participant !== participant)
      return refused('not_owner_of_order', `order ${orderId} is not ${participant}'s`);
    const inst = order.inst;
    const side = view.side === 'buy' ? inst.asks : inst.bids;
    let lots: number;
    let price: number;
    try {
      lots = change.amount === undefined ? order.lots : this.toLots(inst, change.amount);
      if (lots <= order.filledLots)
        throw new Rejection(
          'invalid_amount',
          `new amount ${change.amount} is not above the filled ${view.filledAmount}`,
        );
      price = change.price === undefined ? (view.price as number) : this.checkPrice(inst, change.price, atMs);
      if (view.postOnly) {
        const best = side.best();
        if (best !== undefined && crosses(view.side, price, best.price)) {
          const reject = change.rejectPostOnly ?? this.rejectPostOnlyByDefault;
          if (reject) throw new Rejection('post_only_reject', `price ${price} would cross ${best.price}`);
          price = this.repriceInside(inst, view.side, best.price, atMs);
        }
      }
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      return { ...refused(error.reason, error.detail), order: { ...view } };
    }
    const fills: Fill[] = [];
    const events: ExchangeEvent[] = [];
    const own = view.side === 'buy' ? inst.bids : inst.asks;
    if (price === view.price && lots <= order.lots) {
      // Amount decrease at the same price: keeps its place in the queue.
      const level = order.level as Level;
      level.lots -= order.lots - lots;
      order.lots = lots;
      view.amount = lotsToAmount(inst, lots);
      view.lastUpdateMs = atMs;
    } else {
      own.remove(order);
      order.lots = lots;
      view.amount = lotsToAmount(inst, lots);
      view.price = price;
      view.lastUpdateMs = atMs;
      this.execute(order, atMs, fills, events, true);
    }
    return { rejectReason: null, detail: null, order: { ...view }, fills, events };
  }

  /** An open order by id (a copy), or undefined once it is closed. */
  getOrder(orderId: string): Order | undefined {
    const order = this.orders.get(orderId);
    return order === undefined ? undefined : { ...order.view };
  }

  /** Open orders, optionally of one participant, in id order. */
  openOrders(participant?: string): Order[] {
    const out: Order[] = [];
    for (const order of this.orders.values()) {
      if (participant === undefined || order.view.participant === participant) out.push({ ...order.view });
    }
    return out;
  }

  /** Aggregated levels of one side, best first. */
  depth(instrument: string, side: 'bids' | 'asks'): BookLevelView[] {
    const inst = this.instruments.get(instrument);
    if (inst === undefined) return [];
    const book = side === 'bids' ? inst.bids : inst.asks;
    const out: BookLevelView[] = [];
    for (let i = book.levels.length - 1; i >= 0; i--) {
      const level = book.levels[i] as Level;
      out.push({ price: level.price, amount: lotsToAmount(inst, level.lots), orders: level.orders.length });
    }
    return out;
  }

  /** Order ids at a price, in time priority. */
  queue(instrument: string, side: 'bids' | 'asks', price: number): string[] {
    const inst = this.instruments.get(instrument);
    if (inst === undefined) return [];
    const book = side === 'bids' ? inst.bids : inst.asks;
    const level = book.levels.find((l) => l.price === price);
    return level === undefined ? [] : level.orders.map((o) => o.view.orderId);
  }

  // ---------------------------------------------------------------- accounts

  /** Adds cash to an account (a deposit; conservation sums then include it). */
  deposit(participant: string, currency: string, amount: number): void {
    addCash(this.account(participant), currency, amount);
  }

  /** Cash of an account in a currency. */
  balance(participant: string, currency: string): number {
    return this.accounts.get(participant)?.cash.get(currency) ?? 0;
  }

  /** Position in an instrument, in its amount unit. */
  position(participant: string, instrument: string): number {
    const lots = this.accounts.get(participant)?.lots.get(instrument) ?? 0;
    const inst = this.instruments.get(instrument);
    return inst === undefined ? 0 : lotsToAmount(inst, lots);
  }

  /** Accounts with any cash or position, including the exchange's. */
  participants(): string[] {
    return [...this.accounts.keys()];
  }

  /** Every currency and instrument any account holds. */
  holdings(): { currencies: string[]; instruments: string[] } {
    const currencies = new Set<string>();
    const instruments = new Set<string>();
    for (const account of this.accounts.values()) {
      for (const c of account.cash.keys()) currencies.add(c);
      for (const i of account.lots.keys()) instruments.add(i);
    }
    return { currencies: [...currencies].sort(), instruments: [...instruments].sort() };
  }

  /**
   * Moves a position from one account to another at `price`, outside the book: no fill, no fee
   * (positions and cash stay conserved over all accounts). For restoring a venue's state (a
   * paper venue started again under an engine that already holds positions), not for trading.
   * `amount` is signed from `to`'s side (> 0: `to` becomes longer), on the instrument's lot.
   */
  transferPosition(
    from: string,
    to: string,
    instrument: string,
    amount: number,
    price: number,
    atMs: number,
  ): void {
    this.advance(atMs);
    const inst = this.instrumentOf(instrument, atMs);
    if (!(Number.isFinite(price) && price > 0)) throw new InputError('price', price, 'a positive price');
    if (amount === 0) return;
    const lots = Math.sign(amount) * this.toLots(inst, Math.abs(amount));
    const name = inst.details.name;
    const into = this.account(to);
    const outOf = this.account(from);
    into.lots.set(name, (into.lots.get(name) ?? 0) + lots);
    outOf.lots.set(name, (outOf.lots.get(name) ?? 0) - lots);
    const signed = lotsToAmount(inst, lots);
    if (inst.isOption) {
      const premium = price * signed * inst.multiplier;
      addCash(into, inst.currency, -premium);
      addCash(outOf, inst.currency, premium);
    } else if (inst.details.kind === 'future' || inst.details.kind === 'perpetual') {
      const unit = inst.inverse ? signed / price : signed * price;
      into.cost.set(name, (into.cost.get(name) ?? 0) + unit);
      outOf.cost.set(name, (outOf.cost.get(name) ?? 0) - unit);
    }
  }

  // ---------------------------------------------------------------- MMP

  /** Sets (or replaces) MMP for a participant, index and group; resets its window and freeze. */
  setMmpConfig(config: MmpConfig): void {
    for (const [field, value] of [
      ['intervalMs', config.intervalMs],
      ['frozenTimeMs', config.frozenTimeMs],
    ] as const) {
      if (!Number.isFinite(value) || value < 0)
        throw new InputError(field, value, 'a non-negative number of ms');
    }
    for (const field of ['quantityLimit', 'deltaLimit', 'vegaLimit'] as const) {
      const value = config[field];
      if (value !== undefined && !(Number.isFinite(value) && value > 0))
        throw new InputError(field, value, 'a positive limit');
    }
    if ((config.deltaLimit !== undefined || config.vegaLimit !== undefined) && this.greeks === undefined)
      throw new InputError(
        'deltaLimit',
        config.deltaLimit,
        'an exchange created with `greeks` for delta and vega limits',
      );
    const group = config.group ?? '';
    this.mmp.set(mmpKey(config.participant, config.index, group), {
      config: { ...config, group },
      windowStartMs: null,
      quantity: 0,
      delta: 0,
      vega: 0,
      frozenUntilMs: null,
    });
  }

  /** Lifts an MMP freeze (`private/reset_mmp`). */
  resetMmp(participant: string, index: string, group = ''): void {
    const state = this.mmp.get(mmpKey(participant, index, group));
    if (state === undefined) return;
    state.frozenUntilMs = null;
    state.windowStartMs = null;
    state.quantity = state.delta = state.vega = 0;
  }

  /** Whether a participant's MMP group is frozen at `atMs`. */
  isMmpFrozen(participant: string, index: string, group: string, atMs: number): boolean {
    const state = this.mmp.get(mmpKey(participant, index, group));
    return state !== undefined && state.frozenUntilMs !== null && atMs < state.frozenUntilMs;
  }

  // ---------------------------------------------------------------- mass quotes

  /**
   * A mass quote (`private/mass_quote`) of `participant` at `atMs`: see the module notes. The
   * request's shape is validated (`InputError`); per-side problems come back in `errors`.
   */
  massQuote(participant: string, request: MassQuoteRequest, atMs: number): MassQuoteResult {
    this.advance(atMs);
    if (typeof participant !== 'string' || participant === '' || participant === EXCHANGE_ACCOUNT)
      throw new InputError('participant', participant, 'a participant id');
    if (request === null || typeof request !== 'object')
      throw new InputError('request', request, 'an object');
    if (typeof request.quote_id !== 'string') throw new InputError('quote_id', request.quote_id, 'a string');
    if (typeof request.mmp_group !== 'string' || request.mmp_group === '')
      throw new InputError('mmp_group', request.mmp_group, 'a non-empty MMP group name');
    if (!Array.isArray(request.quotes)) throw new InputError('quotes', request.quotes, 'an array of quotes');
    const group = request.mmp_group;
    const result: MassQuoteResult = {
      quote_id: request.quote_id,
      orders: [],
      trades: [],
      errors: [],
      events: [],
    };
    const seen = new Set<string>();
    request.quotes.forEach((entry, q) => {
      if (entry === null || typeof entry !== 'object' || typeof entry.instrument_name !== 'string')
        throw new InputError(`quotes[${q}].instrument_name`, entry?.instrument_name, 'an instrument name');
      for (const side of ['bid', 'ask'] as const) {
        const quote = entry[side];
        if (quote === undefined) continue;
        if (quote === null || typeof quote !== 'object')
          throw new InputError(`quotes[${q}].${side}`, quote, 'an object {price, amount}');
        const error = (reason: RejectReason, detail: string): void => {
          const e: MassQuoteError = {
            instrument_name: entry.instrument_name,
            side,
            error: { message: reason, code: VENUE_ERROR_CODES[reason], detail },
          };
          result.errors.push(e);
        };
        const key = mmpKey(participant, entry.instrument_name, `${side}\u0000${group}`);
        if (seen.has(key)) {
          error(
            'unsupported_arg_combination',
            `${entry.instrument_name} ${side} quoted twice in one request`,
          );
          continue;
        }
        seen.add(key);
        const existingId = this.quoteOrders.get(key);
        const existing = existingId === undefined ? undefined : this.orders.get(existingId);
        if (existing === undefined && existingId !== undefined) this.quoteOrders.delete(key);
        if (quote.amount === 0) {
          if (existing !== undefined) {
            this.cancelOrder(existing, 'user', atMs);
            this.quoteOrders.delete(key);
            result.orders.push({ ...existing.view });
          }
          continue;
        }
        let inst: Instrument;
        try {
          inst = this.instrumentOf(entry.instrument_name, atMs);
        } catch (e) {
          if (!(e instanceof Rejection)) throw e;
          error(e.reason, e.detail);
          continue;
        }
        if (!this.mmp.has(mmpKey(participant, inst.details.base, group))) {
          error('mmp_group_not_configured', `no MMP config for ${inst.details.base} group ${group}`);
          continue;
        }
        if (existing !== undefined) {
          const amount =
            typeof quote.amount === 'number' ? quote.amount + existing.view.filledAmount : quote.amount;
          const r = this.edit(existing.view.orderId, participant, { amount, price: quote.price }, atMs);
          if (r.rejectReason !== null) error(r.rejectReason, r.detail ?? '');
          else {
            if (r.order !== null) result.orders.push(r.order);
            result.trades.push(...r.fills);
            result.events.push(...r.events);
          }
          continue;
        }
        const r = this.submit(
          {
            participant,
            instrument: entry.instrument_name,
            side: side === 'bid' ? 'buy' : 'sell',
            amount: quote.amount,
            price: quote.price,
            postOnly: true,
            mmp: true,
            mmpGroup: group,
            ...(entry.quote_set_id === undefined ? {} : { label: entry.quote_set_id }),
          },
          atMs,
        );
        if (r.order.state === 'rejected') {
          error(r.order.rejectReason as RejectReason, r.order.detail ?? '');
          continue;
        }
        if (this.orders.has(r.order.orderId)) this.quoteOrders.set(key, r.order.orderId);
        result.orders.push(r.order);
        result.trades.push(...r.fills);
        result.events.push(...r.events);
      }
    });
    return result;
  }

  /** The open quote of a participant for an instrument, side and MMP group, if any (a copy). */
  openQuote(participant: string, instrument: string, side: 'bid' | 'ask', group: string): Order | undefined {
    const id = this.quoteOrders.get(mmpKey(participant, instrument, `${side}\u0000${group}`));
    return id === undefined ? undefined : this.getOrder(id);
  }

  // ---------------------------------------------------------------- connections

  /** Enables cancel-on-disconnect for a connection of a participant. */
  enableCancelOnDisconnect(
    participant: string,
    connection: string,
    scope: 'connection' | 'account' = 'connection',
  ): void {
    this.connections.set(connection, { participant, scope });
  }

  disableCancelOnDisconnect(connection: string): void {
    this.connections.delete(connection);
  }

  /** The connection dropped: cancels per its cancel-on-disconnect setting; returns the orders cancelled. */
  disconnect(connection: string, atMs: number): Order[] {
    this.advance(atMs);
    const setting = this.connections.get(connection);
    if (setting === undefined) return [];
    const cancelled: Order[] = [];
    for (const order of [...this.orders.values()]) {
      const v = order.view;
      if (v.participant !== setting.participant) continue;
      if (setting.scope === 'connection' && v.connection !== connection) continue;
      this.cancelOrder(order, 'cancel_on_disconnect', atMs);
      cancelled.push({ ...v });
    }
    this.connections.delete(connection);
    return cancelled;
  }

  // ---------------------------------------------------------------- settlement

  /**
   * Settles an expired option or future at `deliveryPrice` (the time-averaged index the caller
   * computed). Cancels its open orders, pays every position, closes the book.
   */
  settle(instrument: string, deliveryPrice: number, atMs: number): SettlementEvent[] {
    this.advance(atMs);
    if (!(Number.isFinite(deliveryPrice) && deliveryPrice > 0))
      throw new InputError('deliveryPrice', deliveryPrice, 'a positive price');
    const inst = this.instrumentOf(instrument, atMs, true);
    const d = inst.details;
    if (d.expiryMs === null) throw new InputError('instrument', instrument, 'an instrument with an expiry');
    if (atMs < d.expiryMs)
      throw new InputError('atMs', atMs, `a time at or after expiry ${new Date(d.expiryMs).toISOString()}`);
    if (
      inst.closed &&
      inst.bids.levels.length === 0 &&
      inst.asks.levels.length === 0 &&
      this.settledAlready(instrument)
    )
      throw new InputError('instrument', instrument, 'an instrument not yet settled');
    for (const order of [...this.orders.values()]) {
      if (order.inst === inst) this.cancelOrder(order, 'settlement', atMs);
    }
    inst.closed = true;
    this.settled.add(instrument);
    const out: SettlementEvent[] = [];
    const S = deliveryPrice;
    const exchange = this.account(EXCHANGE_ACCOUNT);
    for (const [participant, account] of this.accounts) {
      const lots = account.lots.get(instrument) ?? 0;
      // A closed futures position still carries its P&L in the cost sum.
      if (lots === 0 && (inst.isOption || (account.cost.get(instrument) ?? 0) === 0)) continue;
      const position = lotsToAmount(inst, lots);
      let cash: number;
      let fee = 0;
      if (inst.isOption) {
        const K = d.strike as number;
        const intrinsic = d.optionType === 'call' ? Math.max(S - K, 0) : Math.max(K - S, 0);
        const valuePerContract = (inst.inverse ? intrinsic / S : intrinsic) * inst.multiplier;
        cash = position * valuePerContract;
        if (valuePerContract > 0) {
          const base = (inst.inverse ? 1 : S) * inst.multiplier * this.fees.optionDelivery.rate;
          fee = Math.abs(position) * Math.min(base, this.fees.optionDelivery.capShare * valuePerContract);
        }
      } else {
        const cost = account.cost.get(instrument) ?? 0;
        cash = inst.inverse ? cost - position / S : position * S - cost;
        account.cost.delete(instrument);
      }
      addCash(account, inst.currency, cash - fee);
      if (fee !== 0) addCash(exchange, inst.currency, fee);
      account.lots.set(instrument, 0);
      out.push({
        type: 'settlement',
        instrument,
        participant,
        timestampMs: atMs,
        deliveryPrice: S,
        position,
        cash,
        fee,
        currency: inst.currency,
      });
    }
    return out;
  }

  private readonly settled = new Set<string>();

  private settledAlready(instrument: string): boolean {
    return this.settled.has(instrument);
  }

  // ---------------------------------------------------------------- internals

  private advance(atMs: number): void {
    if (typeof atMs !== 'number' || !Number.isFinite(atMs))
      throw new InputError('atMs', atMs, 'a finite event time in ms');
    if (atMs < this.nowMs) throw new InputError('atMs', atMs, `an event time at or after ${this.nowMs}`);
    this.nowMs = atMs;
  }

  private account(participant: string): Account {
    let account = this.accounts.get(participant);
    if (account === undefined) {
      account = { cash: new Map(), lots: new Map(), cost: new Map() };
      this.accounts.set(participant, account);
    }
    return account;
  }

  private instrumentOf(name: string, atMs: number, allowClosed = false): Instrument {
    let inst = this.instruments.get(name);
    if (inst === undefined) {
      let details: InstrumentDetails;
      try {
        details = this.catalog.get(name);
      } catch (error) {
        throw new Rejection('invalid_or_unsupported_instrument', (error as Error).message);
      }
      if (details.ticks === null)
        throw new Rejection('invalid_or_unsupported_instrument', `no tick rule known for ${name}`);
      if (details.kind === 'spot' || (details.kind === 'option' && details.multiplier === null))
        throw new Rejection('invalid_or_unsupported_instrument', `${details.kind} ${name} is not simulated`);
      const lot = details.minTradeAmount ?? details.contractSize;
      const isOption = details.kind === 'option';
      const inverse = details.settlement === 'inverse';
      let feeKind: FeeKind;
      if (isOption) feeKind = inverse ? 'inverseOption' : 'linearOption';
      else if (details.kind === 'perpetual') feeKind = 'perpetual';
      else feeKind = details.settlementPeriod === 'week' ? 'weeklyFuture' : 'future';
      if (feeKind === 'linearOption' && this.indexPrice === undefined)
        throw new Rejection(
          'invalid_or_unsupported_instrument',
          `linear option fees need the exchange's indexPrice`,
        );
      inst = {
        details,
        ticks: details.ticks,
        lot,
        lotDecimals: decimalPlaces(lot),
        feeKind,
        inverse,
        isOption,
        multiplier: isOption ? (details.multiplier as number) : 1,
        currency: details.settlementCurrency,
        bids: new BookSide(true),
        asks: new BookSide(false),
        closed: false,
      };
      this.instruments.set(name, inst);
    }
    if (!allowClosed && (inst.closed || (inst.details.expiryMs !== null && atMs >= inst.details.expiryMs)))
      throw new Rejection('book_closed', `${name} expired or settled`);
    return inst;
  }

  private toLots(inst: Instrument, amount: number): number {
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
      throw new Rejection('invalid_amount', `amount ${String(amount)} is not a positive number`);
    const units = amount / inst.lot;
    const lots = Math.round(units);
    if (units < 1 - 1e-9)
      throw new Rejection('qty_too_low', `amount ${amount} is below the minimum ${inst.lot}`);
    if (Math.abs(units - lots) > 1e-9 * Math.max(1, units))
      throw new Rejection('invalid_amount', `amount ${amount} is not a multiple of ${inst.lot}`);
    return lots;
  }

  private checkPrice(inst: Instrument, price: number | undefined, atMs: number): number {
    if (typeof price !== 'number' || !Number.isFinite(price))
      throw new Rejection('invalid_price', `price ${String(price)} is not a number`);
    if (price <= 0) throw new Rejection('price_too_low', `price ${price} is not positive`);
    if (!inst.ticks.isOnTick(price, atMs))
      throw new Rejection(
        'price_wrong_tick',
        `price ${price} is not a multiple of the tick ${inst.ticks.tickAt(price, atMs)}`,
      );
    return canonicalPrice(inst.ticks.tickAt(price, atMs), price) ?? inst.ticks.snap(price, atMs, 'nearest');
  }

  private validate(view: Order, request: OrderRequest, atMs: number): LiveOrder {
    if (
      typeof view.participant !== 'string' ||
      view.participant === '' ||
      view.participant === EXCHANGE_ACCOUNT
    )
      throw new InputError('participant', view.participant, 'a participant id');
    if (view.side !== 'buy' && view.side !== 'sell')
      throw new InputError('side', view.side, '"buy" or "sell"');
    if (view.type !== 'limit' && view.type !== 'market')
      throw new InputError('type', view.type, '"limit" or "market"');
    const inst = this.instrumentOf(view.instrument, atMs);
    let lots = this.toLots(inst, view.amount);
    if (view.type === 'limit') view.price = this.checkPrice(inst, request.price, atMs);
    if (view.postOnly && (view.type === 'market' || view.timeInForce === 'immediate_or_cancel'))
      throw new Rejection('unsupported_arg_combination', 'post_only needs a good_til_cancelled limit order');
    if (view.mmp) {
      const state = this.mmp.get(mmpKey(view.participant, inst.details.base, view.mmpGroup));
      if (state !== undefined && state.frozenUntilMs !== null) {
        if (atMs < state.frozenUntilMs)
          throw new Rejection('mmp_frozen', `MMP of ${view.participant} is frozen`);
        state.frozenUntilMs = null;
        state.windowStartMs = null;
      }
    }
    if (view.reduceOnly) {
      const reducible = this.reducibleLots(view.participant, inst, view.side);
      if (reducible === 0)
        throw new Rejection(
          'reduce_only',
          `no ${view.side === 'buy' ? 'short' : 'long'} position in ${view.instrument} to reduce`,
        );
      if (lots > reducible) {
        lots = reducible;
        view.amount = lotsToAmount(inst, lots);
      }
    }
    if (view.postOnly) {
      const best = (view.side === 'buy' ? inst.asks : inst.bids).best();
      if (best !== undefined && crosses(view.side, view.price as number, best.price)) {
        if (request.rejectPostOnly ?? this.rejectPostOnlyByDefault)
          throw new Rejection('post_only_reject', `price ${view.price} would cross ${best.price}`);
        view.price = this.repriceInside(inst, view.side, best.price, atMs);
      }
    }
    return { view, inst, lots, filledLots: 0, notionalLots: 0, level: null };
  }

  /** One tick inside the opposite best: the best valid price that does not cross. */
  private repriceInside(inst: Instrument, side: Side, opposite: number, atMs: number): number {
    const minTick = inst.ticks.ruleAt(atMs).tickSize;
    const price =
      side === 'buy'
        ? inst.ticks.snap(opposite - minTick / 2, atMs, 'down')
        : inst.ticks.snap(opposite + minTick / 2, atMs, 'up');
    if (!(price > 0))
      throw new Rejection('post_only_price_modification_not_possible', `no valid price below ${opposite}`);
    return price;
  }

  private reducibleLots(participant: string, inst: Instrument, side: Side): number {
    const position = this.accounts.get(participant)?.lots.get(inst.details.name) ?? 0;
    return side === 'buy' ? Math.max(0, -position) : Math.max(0, position);
  }

  /** Matches `order` as a taker, then rests, cancels or finishes it. */
  private execute(
    order: LiveOrder,
    atMs: number,
    fills: Fill[],
    events: ExchangeEvent[],
    edited = false,
  ): void {
    const view = order.view;
    const inst = order.inst;
    const opposite = view.side === 'buy' ? inst.asks : inst.bids;
    const limit = view.type === 'market' ? null : (view.price as number);
    while (order.filledLots < order.lots && this.orders.has(view.orderId)) {
      const level = opposite.best();
      if (level === undefined || (limit !== null && !crosses(view.side, limit, level.price))) break;
      const maker = level.orders[0] as LiveOrder;
      if (maker.view.participant === view.participant) {
        if (this.selfTrade === 'cancel_maker') {
          this.cancelOrder(maker, 'self_trade', atMs);
          events.push({ type: 'order', order: { ...maker.view } });
          continue;
        }
        this.cancelOrder(order, 'self_trade', atMs);
        return;
      }
      let lots = Math.min(order.lots - order.filledLots, maker.lots - maker.filledLots);
      if (maker.view.reduceOnly) {
        const cap = this.reducibleLots(maker.view.participant, inst, maker.view.side);
        if (cap === 0) {
          this.cancelOrder(maker, 'reduce_only', atMs);
          events.push({ type: 'order', order: { ...maker.view } });
          continue;
        }
        lots = Math.min(lots, cap);
      }
      if (view.reduceOnly) {
        const cap = this.reducibleLots(view.participant, inst, view.side);
        if (cap === 0) {
          this.cancelOrder(order, 'reduce_only', atMs);
          return;
        }
        lots = Math.min(lots, cap);
      }
      const fill = this.trade(inst, order, maker, level, lots, atMs);
      fills.push(fill);
      events.push({ type: 'trade', fill });
      if (maker.view.mmp) this.mmpFill(maker, fill, atMs, events);
      if (view.mmp && this.orders.has(view.orderId)) this.mmpFill(order, fill, atMs, events);
    }
    if (!this.orders.has(view.orderId)) return; // cancelled while matching (self-trade, MMP, reduce-only)
    if (order.filledLots >= order.lots) {
      view.state = 'filled';
      this.orders.delete(view.orderId);
      return;
    }
    if (view.type === 'market') return void this.cancelOrder(order, 'market_remainder', atMs);
    if (view.timeInForce === 'immediate_or_cancel')
      return void this.cancelOrder(order, 'immediate_or_cancel', atMs);
    (view.side === 'buy' ? inst.bids : inst.asks).add(order, view.price as number);
    if (edited) view.lastUpdateMs = atMs;
  }

  private trade(
    inst: Instrument,
    taker: LiveOrder,
    maker: LiveOrder,
    level: Level,
    lots: number,
    atMs: number,
  ): Fill {
    const price = level.price;
    maker.filledLots += lots;
    level.lots -= lots;
    taker.filledLots += lots;
    recordFill(inst, maker, price, lots, atMs);
    recordFill(inst, taker, price, lots, atMs);
    if (maker.filledLots >= maker.lots) {
      level.orders.shift();
      maker.level = null;
      this.orders.delete(maker.view.orderId);
      if (level.orders.length === 0) {
        const book = maker.view.side === 'buy' ? inst.bids : inst.asks;
        book.levels.pop(); // the best level is the last one
      }
    }
    const amount = lotsToAmount(inst, lots);
    const buyer = taker.view.side === 'buy' ? taker.view.participant : maker.view.participant;
    const seller = taker.view.side === 'buy' ? maker.view.participant : taker.view.participant;
    const buyAccount = this.account(buyer);
    const sellAccount = this.account(seller);
    const name = inst.details.name;
    buyAccount.lots.set(name, (buyAccount.lots.get(name) ?? 0) + lots);
    sellAccount.lots.set(name, (sellAccount.lots.get(name) ?? 0) - lots);
    let premium = 0;
    if (inst.isOption) {
      premium = price * amount * inst.multiplier;
      addCash(buyAccount, inst.currency, -premium);
      addCash(sellAccount, inst.currency, premium);
    } else if (inst.details.kind === 'future' || inst.details.kind === 'perpetual') {
      const unit = inst.inverse ? amount / price : amount * price;
      buyAccount.cost.set(name, (buyAccount.cost.get(name) ?? 0) + unit);
      sellAccount.cost.set(name, (sellAccount.cost.get(name) ?? 0) - unit);
    }
    const makerFee = this.fee(inst, 'maker', price, amount, atMs);
    const takerFee = this.fee(inst, 'taker', price, amount, atMs);
    const exchange = this.account(EXCHANGE_ACCOUNT);
    addCash(this.account(maker.view.participant), inst.currency, -makerFee);
    addCash(this.account(taker.view.participant), inst.currency, -takerFee);
    addCash(exchange, inst.currency, makerFee + takerFee);
    return {
      tradeId: this.nextTradeId++,
      instrument: name,
      timestampMs: atMs,
      price,
      amount,
      takerSide: taker.view.side,
      makerOrderId: maker.view.orderId,
      takerOrderId: taker.view.orderId,
      makerParticipant: maker.view.participant,
      takerParticipant: taker.view.participant,
      makerFee,
      takerFee,
      feeCurrency: inst.currency,
      premium,
      premiumCurrency: inst.currency,
    };
  }

  /** Fee of one side of a fill, in the instrument's settlement currency. */
  private fee(
    inst: Instrument,
    role: 'maker' | 'taker',
    price: number,
    amount: number,
    atMs: number,
  ): number {
    switch (inst.feeKind) {
      case 'inverseOption': {
        const f = this.fees.inverseOption;
        return amount * inst.multiplier * Math.min(f[role], f.capShare * price);
      }
      case 'linearOption': {
        const f = this.fees.linearOption;
        const index = (this.indexPrice as (base: string, atMs: number) => number)(inst.details.base, atMs);
        return amount * inst.multiplier * Math.min(f[role] * index, f.capShare * price);
      }
      default: {
        const rate = this.fees[inst.feeKind][role];
        return inst.inverse ? (rate * amount) / price : rate * amount * price;
      }
    }
  }

  private mmpFill(order: LiveOrder, fill: Fill, atMs: number, events: ExchangeEvent[]): void {
    const view = order.view;
    const index = order.inst.details.base;
    const state = this.mmp.get(mmpKey(view.participant, index, view.mmpGroup));
    if (state === undefined || state.config.intervalMs === 0) return;
    if (state.windowStartMs === null || atMs >= state.windowStartMs + state.config.intervalMs) {
      state.windowStartMs = atMs;
      state.quantity = state.delta = state.vega = 0;
    }
    const signed = view.side === 'buy' ? fill.amount : -fill.amount;
    state.quantity += fill.amount;
    if (
      this.greeks !== undefined &&
      (state.config.deltaLimit !== undefined || state.config.vegaLimit !== undefined)
    ) {
      const g = this.greeks(view.instrument, atMs);
      state.delta += signed * g.delta;
      state.vega += signed * g.vega;
    }
    const c = state.config;
    let breach: { limit: 'quantity' | 'delta' | 'vega'; value: number; limitValue: number } | null = null;
    if (c.quantityLimit !== undefined && state.quantity > c.quantityLimit)
      breach = { limit: 'quantity', value: state.quantity, limitValue: c.quantityLimit };
    else if (c.deltaLimit !== undefined && Math.abs(state.delta) > c.deltaLimit)
      breach = { limit: 'delta', value: Math.abs(state.delta), limitValue: c.deltaLimit };
    else if (c.vegaLimit !== undefined && Math.abs(state.vega) > c.vegaLimit)
      breach = { limit: 'vega', value: Math.abs(state.vega), limitValue: c.vegaLimit };
    if (breach === null) return;
    state.frozenUntilMs = c.frozenTimeMs === 0 ? Number.POSITIVE_INFINITY : atMs + c.frozenTimeMs;
    state.windowStartMs = null;
    state.quantity = state.delta = state.vega = 0;
    const cancelledOrderIds: string[] = [];
    for (const other of [...this.orders.values()]) {
      const v = other.view;
      if (v.participant !== view.participant || !v.mmp || v.mmpGroup !== view.mmpGroup) continue;
      if (other.inst.details.base !== index) continue;
      this.cancelOrder(other, 'mmp_trigger', atMs);
      cancelledOrderIds.push(v.orderId);
      events.push({ type: 'order', order: { ...v } });
    }
    const trigger: MmpTriggerEvent = {
      type: 'mmp_trigger',
      participant: view.participant,
      index,
      group: view.mmpGroup,
      timestampMs: atMs,
      ...breach,
      frozenUntilMs: c.frozenTimeMs === 0 ? null : atMs + c.frozenTimeMs,
      cancelledOrderIds,
    };
    events.push(trigger);
  }

  private cancelOrder(order: LiveOrder, reason: CancelReason, atMs: number): void {
    const view = order.view;
    if (order.level !== null) (view.side === 'buy' ? order.inst.bids : order.inst.asks).remove(order);
    this.orders.delete(view.orderId);
    view.state = 'cancelled';
    view.cancelReason = reason;
    view.lastUpdateMs = atMs;
  }
}

function recordFill(inst: Instrument, o: LiveOrder, price: number, lots: number, atMs: number): void {
  o.notionalLots += price * lots;
  o.view.filledAmount = lotsToAmount(inst, o.filledLots);
  o.view.averagePrice = o.notionalLots / o.filledLots;
  o.view.lastUpdateMs = atMs;
  o.view.state = o.filledLots >= o.lots ? 'filled' : 'partially_filled';
}

function crosses(side: Side, limit: number, opposite: number): boolean {
  return side === 'buy' ? opposite <= limit : opposite >= limit;
}

function lotsToAmount(inst: Instrument, lots: number): number {
  return exactMultiple(lots, inst.lot) ?? Number((lots * inst.lot).toFixed(inst.lotDecimals));
}

/**
 * `units x step` as the double nearest the exact decimal, without text formatting, when that
 * can be done exactly: a step whose inverse is an integer (0.1, 0.0005: divide two exact
 * integers, one rounding) or a step that is a multiple of 1/1024 (2.5, 10: the product is
 * exact). Otherwise null.
 */
function exactMultiple(units: number, step: number): number | null {
  const inverse = 1 / step;
  if (Number.isInteger(inverse) && Math.abs(units) < 2 ** 52 / inverse) return units / inverse;
  if (Number.isInteger(step * 1024) && Math.abs(units * step * 1024) < 2 ** 52) return units * step;
  return null;
}

/** The canonical double of an on-tick `price`, or null when the fast path does not apply. */
function canonicalPrice(tick: number, price: number): number | null {
  return exactMultiple(Math.round(price / tick), tick);
}

function addCash(account: Account, currency: string, amount: number): void {
  account.cash.set(currency, (account.cash.get(currency) ?? 0) + amount);
}

function refused(reason: RejectReason, detail: string): ModifyResult {
  return { rejectReason: reason, detail, order: null, fills: [], events: [] };
}
