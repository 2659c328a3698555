/**
 * The simulated venue (issue 9): a `VenueAdapter` over the simulated exchange and the generated
 * market of `market.ts`, so the engine runs on paper exactly as it would live. Our orders trade
 * on the exchange as participant `us`; the market's liquidity provider and takers trade there
 * too, so our quotes are hit by the same flow that hits the provider's.
 *
 * What goes to the sink:
 * - at `start`: `connection` up, then a `book_snapshot` of every book and a ticker of every
 *   instrument, at the start time;
 * - while it runs: `market` events (`book_change` with consecutive change ids per book,
 *   `trade`, `ticker`), and for our account `order` updates (`label` = our client order id),
 *   `fill`s (the inventory's `FillEvent`: venue `sim`, exact money, fees as the exchange charges
 *   them, computed exactly), `mmp_trigger`s;
 * - for a command: its outcome, at the venue's time when it is applied: `order` (and `fill`s when
 *   it traded), or `reject` with the venue's code and message (`SIM_REJECT_CODES`), or `account`
 *   (for `reconcile`).
 *
 * Clock. The venue's time is the simulated clock: `startMs` (default the chain snapshot's time)
 * plus the elapsed time x `speed`. With a finite `speed` the market is paced by a wall-clock
 * timer (1: real time) and a command applies at the clock's time when it is sent; with
 * `speed: 'fast'` (or Infinity) nothing moves until the driver calls `stepUntil(ms)` (or
 * `stepFor`), and a command applies at the current simulated time: a test or a backtest drives
 * the venue deterministically (the same seed and the same commands give the same inputs).
 *
 * Choices where the engine's command leaves one open:
 * - Post-only orders that would cross are rejected (`post_only_reject`, 11054), as a market maker
 *   sets `reject_post_only`; `rejectPostOnly: false` moves them one tick inside instead.
 * - `fill_or_kill`: filled in full as an immediate-or-cancel order when the crossing liquidity of
 *   others suffices, else cancelled untouched (reason `fill_or_kill`).
 * - Mass-quote orders report the client order id `mq:<group>:<instrument>:<bid|ask>` (one slot
 *   per group, instrument and side, as the venue keeps one quote per slot); a side's error comes
 *   back as a `reject` with that id.
 * - Trade and order ids carry the run's prefix (default `sim-<startMs>-`), so a resumed run that
 *   starts its clock later never repeats an id the journal holds.
 * - Expiry settlement (no engine input carries it yet): the exchange settles at the 30-minute
 *   average index; our settlements are kept in `settlements()` and an `account` input follows.
 */
import { join } from 'node:path';
import { packageRoot } from '../../cli/package-root.js';
import { quoteSlotId } from '../../engine/order-manager.js';
import type { EngineInput, VenueAdapter, VenueCommand, VenueOrder } from '../../engine/types.js';
import type { FillEvent } from '../../inventory/events.js';
import { minMoney, mulDivMoney, mulMoney, parseMoney, type Money } from '../../inventory/money.js';
import { InputError } from '../../model/errors.js';
import { indexNameOf } from '../../strategy/mass-quote.js';
import {
  DERIBIT_FEES,
  type ExchangeEvent,
  type FeeSchedule,
  type Fill,
  type Order,
  type OrderRequest,
  type RejectReason,
  type SettlementEvent,
} from '../../sim/exchange/types.js';
import {
  PERPETUAL,
  SIM_VENUE,
  SimMarket,
  prepareChain,
  type FlowParams,
  type LiquidityParams,
  type PreparedChain,
} from './market.js';

/** Our participant on the exchange. */
export const US = 'us';
/** The account restored positions come from (`positions`). */
export const RESTORE_ACCOUNT = '__restore__';
const CONNECTION = 'sim-main';

/** The repository's chain snapshot, the default market. */
export function defaultChainFile(): string {
  return join(packageRoot(), 'data', 'deribit', 'btc-options-2020-05-21.jsonl');
}

/**
 * Error codes and messages the venue answers with (Deribit API v2 error table: `code` and the
 * `message` name). The exchange's reasons map here; a reason Deribit names without a code we
 * could confirm takes 10001 `error` with the reason as its message.
 */
export const SIM_REJECT_CODES: Readonly<Record<string, { code: number; message: string }>> = {
  qty_too_low: { code: 10002, message: 'qty_too_low' },
  order_not_found: { code: 10004, message: 'order_not_found' },
  price_too_low: { code: 10005, message: 'price_too_low' },
  price_too_high: { code: 10007, message: 'price_too_high' },
  not_enough_funds: { code: 10009, message: 'not_enough_funds' },
  book_closed: { code: 10012, message: 'book_closed' },
  invalid_or_unsupported_instrument: { code: 10020, message: 'invalid_or_unsupported_instrument' },
  invalid_amount: { code: 10021, message: 'invalid_amount' },
  invalid_price: { code: 10023, message: 'invalid_price' },
  price_wrong_tick: { code: 10043, message: 'price_wrong_tick' },
  not_open_order: { code: 11044, message: 'not_open_order' },
  post_only_reject: { code: 11054, message: 'post_only_reject' },
  invalid_arguments: { code: 11050, message: 'bad_request' },
};

/** The code and message of a reason. */
export function rejectCode(reason: RejectReason | string): { code: number; message: string } {
  return SIM_REJECT_CODES[reason] ?? { code: 10001, message: reason };
}

/** Options of the simulated venue. */
export interface SimVenueOptions {
  seed: number | string;
  /** Chain snapshot to start from; default the repository's `data/deribit` file. */
  chainFile?: string;
  /** A chain already read and fitted (`prepareChain`): skips reading `chainFile`. */
  chain?: PreparedChain;
  /** 1 = real time; 'fast' or Infinity = only when driven by `stepUntil`. Default 1. */
  speed?: number | 'fast';
  /** Start of the simulated clock; default the snapshot's time. */
  startMs?: number;
  /** Instruments to list (option names and/or BTC-PERPETUAL); default all. */
  instruments?: readonly string[];
  spotVol?: number;
  stepMs?: number;
  optionTickerMs?: number;
  perpTickerMs?: number;
  liquidity?: Partial<LiquidityParams>;
  flow?: Partial<FlowParams>;
  /** Reject post-only orders that would cross (default true). */
  rejectPostOnly?: boolean;
  /** Wall-clock pacing interval in real-time mode, ms (default 100). */
  pacingMs?: number;
  /** Prefix of trade and order ids (default `sim-<startMs>-`). */
  idPrefix?: string;
  fees?: FeeSchedule;
  /**
   * Our positions at the venue when it starts (a paper venue started again under an engine that
   * already holds them): moved into our account at the marks, outside the book, before anything
   * is published. Instruments the market does not list are refused.
   */
  positions?: readonly { instrument: string; amount: number }[];
}

interface Tracked {
  order: VenueOrder;
  exchangeId: string;
}

/** The simulated venue. */
export class SimVenue implements VenueAdapter {
  readonly venue = SIM_VENUE;
  private market: SimMarket | null = null;
  private sink: ((input: EngineInput) => void) | null = null;
  private readonly fast: boolean;
  private readonly speed: number;
  private timer: NodeJS.Timeout | null = null;
  private wallStartMs = 0;
  private readonly tracked = new Map<string, Tracked>();
  private readonly traded = new Set<string>();
  private lastTradeId: string | null = null;
  private readonly ourSettlements: SettlementEvent[] = [];
  private readonly fees: FeeSchedule;
  private prefix = '';

  constructor(private readonly options: SimVenueOptions) {
    const speed = options.speed ?? 1;
    this.fast = speed === 'fast' || speed === Number.POSITIVE_INFINITY;
    this.speed = speed === 'fast' ? Number.POSITIVE_INFINITY : speed;
    if (!this.fast && !(this.speed > 0)) throw new InputError('speed', speed, "a positive number or 'fast'");
    this.fees = options.fees ?? DERIBIT_FEES;
  }

  /** The simulated clock (the venue's time). */
  nowMs(): number {
    return this.requireMarket().nowMs();
  }

  /** The generated market (marks, forwards, index) for reading. */
  get simMarket(): SimMarket {
    return this.requireMarket();
  }

  /** Our expiry settlements so far. */
  settlements(): readonly SettlementEvent[] {
    return this.ourSettlements;
  }

  async start(sink: (input: EngineInput) => void): Promise<void> {
    if (this.market !== null) throw new InputError('start', 'again', 'one start per venue');
    const chain = this.options.chain ?? (await prepareChain(this.options.chainFile ?? defaultChainFile()));
    this.sink = sink;
    const o = this.options;
    const market = new SimMarket(
      {
        seed: o.seed,
        chain,
        ...(o.startMs === undefined ? {} : { startMs: o.startMs }),
        ...(o.instruments === undefined ? {} : { instruments: o.instruments }),
        ...(o.spotVol === undefined ? {} : { spotVol: o.spotVol }),
        ...(o.stepMs === undefined ? {} : { stepMs: o.stepMs }),
        ...(o.optionTickerMs === undefined ? {} : { optionTickerMs: o.optionTickerMs }),
        ...(o.perpTickerMs === undefined ? {} : { perpTickerMs: o.perpTickerMs }),
        ...(o.liquidity === undefined ? {} : { liquidity: o.liquidity }),
        ...(o.flow === undefined ? {} : { flow: o.flow }),
        ...(o.idPrefix === undefined ? {} : { idPrefix: o.idPrefix }),
      },
      {
        market: (event) => this.emit({ kind: 'market', event }),
        exchange: (fills, events, atMs) => this.ours(fills, events, atMs),
        settlement: (events, atMs) => this.settled(events, atMs),
      },
    );
    this.market = market;
    this.prefix = market.idPrefix;
    market.exchange.enableCancelOnDisconnect(US, CONNECTION, 'account');
    for (const p of this.options.positions ?? []) {
      if (!market.isListed(p.instrument))
        throw new InputError(
          'positions',
          p.instrument,
          'an instrument the simulated market lists (expired?)',
        );
      market.exchange.transferPosition(
        RESTORE_ACCOUNT,
        US,
        p.instrument,
        p.amount,
        p.instrument === PERPETUAL ? market.perpMark() : market.markPrice(p.instrument),
        market.nowMs(),
      );
      this.traded.add(p.instrument);
    }
    this.emit({
      kind: 'connection',
      venue: SIM_VENUE,
      timestampMs: market.nowMs(),
      state: 'up',
      reason: 'simulated venue started',
    });
    market.open();
    if (!this.fast) {
      this.wallStartMs = Date.now();
      this.timer = setInterval(() => this.pace(), this.options.pacingMs ?? 100);
    }
  }

  /** Runs the market up to `ms` of simulated time (fast mode; in real-time mode, up to the clock). */
  stepUntil(ms: number): void {
    this.requireMarket().advanceTo(ms);
  }

  /** Runs the market `ms` of simulated time further. */
  stepFor(ms: number): void {
    const market = this.requireMarket();
    market.advanceTo(market.nowMs() + ms);
  }

  send(command: VenueCommand): void {
    const market = this.requireMarket();
    if (!this.fast) this.pace();
    const at = market.nowMs();
    try {
      this.apply(command, at);
    } catch (error) {
      // Never throws for a venue error: a malformed command is refused as the venue would.
      if (!(error instanceof InputError)) throw error;
      const id = 'clientOrderId' in command ? command.clientOrderId : command.kind;
      this.reject(id, 'invalid_arguments', error.message, at);
    }
    market.flushBooks(at);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const market = this.market;
    if (market === null || this.sink === null) return;
    const at = market.nowMs();
    for (const order of market.exchange.disconnect(CONNECTION, at)) this.orderUpdate(order, at);
    market.flushBooks(at);
    this.emit({ kind: 'connection', venue: SIM_VENUE, timestampMs: at, state: 'down', reason: 'stopped' });
    this.sink = null;
    return Promise.resolve();
  }

  // ---------------------------------------------------------------- commands

  private apply(command: VenueCommand, at: number): void {
    const market = this.requireMarket();
    const ex = market.exchange;
    switch (command.kind) {
      case 'place': {
        // Fill-or-kill: cancelled untouched unless others' crossing liquidity covers it.
        if (command.timeInForce === 'fill_or_kill' && !this.fokFillable(command)) return;
        const tif =
          command.timeInForce === 'good_til_cancelled' || command.timeInForce === undefined
            ? 'good_til_cancelled'
            : 'immediate_or_cancel';
        const r = ex.submit(this.request(command, tif), at);
        if (r.order.state === 'rejected') {
          this.reject(command.clientOrderId, r.order.rejectReason as RejectReason, r.order.detail ?? '', at);
          return;
        }
        this.track(r.order);
        market.touch(command.instrument);
        market.tape(r.fills);
        this.orderUpdate(r.order, at);
        this.ours(r.fills, r.events, at);
        return;
      }
      case 'edit': {
        const id = this.exchangeId(command.orderId);
        if (id === null) return this.notFound(command.clientOrderId, command.orderId, at);
        const r = ex.edit(
          id,
          US,
          { amount: command.amount, price: command.price, rejectPostOnly: this.rejectPostOnly() },
          at,
        );
        if (r.rejectReason !== null) {
          if (r.rejectReason === 'order_not_found')
            return this.notFound(command.clientOrderId, command.orderId, at);
          this.reject(command.clientOrderId, r.rejectReason, r.detail ?? '', at);
          return;
        }
        market.touch((r.order as Order).instrument);
        market.tape(r.fills);
        this.orderUpdate(r.order as Order, at);
        this.ours(r.fills, r.events, at);
        return;
      }
      case 'cancel': {
        const id =
          command.orderId === null
            ? this.byClientId(command.clientOrderId)
            : this.exchangeId(command.orderId);
        if (id === null) return this.notFound(command.clientOrderId, command.orderId, at);
        const r = ex.cancel(id, US, at);
        if (r.rejectReason !== null) {
          if (r.rejectReason === 'order_not_found')
            return this.notFound(command.clientOrderId, command.orderId, at);
          this.reject(command.clientOrderId, r.rejectReason, r.detail ?? '', at);
          return;
        }
        market.touch((r.order as Order).instrument);
        this.orderUpdate(r.order as Order, at);
        return;
      }
      case 'cancel_all': {
        for (const order of ex.cancelAll(US, at)) {
          market.touch(order.instrument);
          this.orderUpdate(order, at);
        }
        return;
      }
      case 'mass_quote': {
        const r = ex.massQuote(
          US,
          {
            quote_id: command.quoteId,
            mmp_group: command.mmpGroup,
            quotes: command.quotes.map((q) => ({
              instrument_name: q.instrument,
              ...(q.bid === undefined ? {} : { bid: q.bid }),
              ...(q.ask === undefined ? {} : { ask: q.ask }),
            })),
          },
          at,
        );
        for (const order of r.orders) {
          const slot = quoteSlotId(command.mmpGroup, order.instrument, order.side === 'buy' ? 'bid' : 'ask');
          this.track({ ...order, clientOrderId: slot });
          market.touch(order.instrument);
        }
        market.tape(r.trades);
        for (const order of r.orders) this.orderUpdate(order, at);
        this.ours(r.trades, r.events, at);
        for (const e of r.errors) {
          this.reject(
            quoteSlotId(command.mmpGroup, e.instrument_name, e.side),
            e.error.message,
            `${e.instrument_name} ${e.side}: ${e.error.detail}`,
            at,
          );
        }
        return;
      }
      case 'set_mmp': {
        ex.setMmpConfig({
          participant: US,
          index: exchangeIndex(command.index),
          group: command.group ?? '',
          intervalMs: command.intervalS * 1000,
          frozenTimeMs: command.frozenTimeS * 1000,
          ...(command.quantityLimit === undefined ? {} : { quantityLimit: command.quantityLimit }),
          ...(command.deltaLimit === undefined ? {} : { deltaLimit: command.deltaLimit }),
          ...(command.vegaLimit === undefined ? {} : { vegaLimit: command.vegaLimit }),
        });
        return;
      }
      case 'reset_mmp': {
        ex.resetMmp(US, exchangeIndex(command.index), command.group ?? '');
        return;
      }
      case 'query_order': {
        const id =
          command.orderId === null
            ? this.byClientId(command.clientOrderId)
            : this.exchangeId(command.orderId);
        const tracked = id === null ? undefined : this.tracked.get(id);
        if (id === null || tracked === undefined)
          return this.notFound(command.clientOrderId, command.orderId, at);
        const live = ex.getOrder(id);
        this.emit({
          kind: 'order',
          order: live === undefined ? { ...tracked.order } : this.venueOrder(live, tracked),
        });
        return;
      }
      case 'reconcile': {
        this.emit({
          kind: 'account',
          venue: SIM_VENUE,
          timestampMs: at,
          positions: this.positions(),
          openOrders: ex.openOrders(US).map((o) => this.venueOrder(o, this.tracked.get(o.orderId))),
          lastTradeId: this.lastTradeId,
        });
        return;
      }
    }
  }

  private request(
    command: Extract<VenueCommand, { kind: 'place' }>,
    tif: 'good_til_cancelled' | 'immediate_or_cancel',
  ): OrderRequest {
    return {
      clientOrderId: command.clientOrderId,
      label: command.clientOrderId,
      participant: US,
      connection: CONNECTION,
      instrument: command.instrument,
      side: command.side,
      amount: command.amount,
      type: command.type,
      timeInForce: tif,
      ...(command.price === undefined ? {} : { price: command.price }),
      postOnly: command.postOnly ?? false,
      rejectPostOnly: this.rejectPostOnly(),
      reduceOnly: command.reduceOnly ?? false,
      mmp: command.mmp ?? false,
    };
  }

  private rejectPostOnly(): boolean {
    return this.options.rejectPostOnly ?? true;
  }

  /** Whether others' crossing liquidity covers a fill-or-kill order. */
  private fokFillable(command: Extract<VenueCommand, { kind: 'place' }>): boolean {
    const ex = this.requireMarket().exchange;
    const levels = ex.depth(command.instrument, command.side === 'buy' ? 'asks' : 'bids');
    let available = 0;
    for (const level of levels) {
      if (command.type === 'limit' && command.price !== undefined) {
        if (command.side === 'buy' ? level.price > command.price : level.price < command.price) break;
      }
      const ours = ex
        .queue(command.instrument, command.side === 'buy' ? 'asks' : 'bids', level.price)
        .map((id) => ex.getOrder(id))
        .filter((o) => o !== undefined && o.participant === US)
        .reduce((s, o) => s + (o!.amount - o!.filledAmount), 0);
      available += level.amount - ours;
      if (available >= command.amount - 1e-9) return true;
    }
    // Not fillable: the venue cancels it untouched.
    const market = this.requireMarket();
    const view: VenueOrder = {
      venue: SIM_VENUE,
      orderId: `${this.prefix}fok-${command.clientOrderId}`,
      clientOrderId: command.clientOrderId,
      instrument: command.instrument,
      side: command.side,
      type: command.type,
      price: command.price ?? null,
      amount: command.amount,
      filledAmount: 0,
      averagePrice: null,
      state: 'cancelled',
      postOnly: false,
      reduceOnly: command.reduceOnly ?? false,
      mmp: command.mmp ?? false,
      reason: 'fill_or_kill',
      timestampMs: market.nowMs(),
    };
    this.emit({ kind: 'order', order: view });
    return false;
  }

  // ---------------------------------------------------------------- results

  private track(order: Order): void {
    if (this.tracked.has(order.orderId)) {
      const t = this.tracked.get(order.orderId)!;
      t.order = this.venueOrder(order, t);
      return;
    }
    const t: Tracked = { order: this.venueOrder(order, undefined), exchangeId: order.orderId };
    this.tracked.set(order.orderId, t);
  }

  private venueOrder(order: Order, tracked: Tracked | undefined): VenueOrder {
    let state: VenueOrder['state'];
    switch (order.state) {
      case 'partially_filled':
      case 'open':
        state = 'open';
        break;
      default:
        state = order.state;
    }
    return {
      venue: SIM_VENUE,
      orderId: `${this.prefix}${order.orderId}`,
      clientOrderId: tracked?.order.clientOrderId ?? order.clientOrderId ?? order.label,
      instrument: order.instrument,
      side: order.side,
      type: order.type,
      price: order.price,
      amount: order.amount,
      filledAmount: order.filledAmount,
      averagePrice: order.averagePrice,
      state,
      postOnly: order.postOnly,
      reduceOnly: order.reduceOnly,
      mmp: order.mmp,
      reason: order.rejectReason ?? order.cancelReason,
      timestampMs: order.lastUpdateMs,
    };
  }

  /** Emits an order update of ours (known or new). */
  private orderUpdate(order: Order, at: number): void {
    void at;
    if (order.participant !== US) return;
    this.track(order);
    this.emit({ kind: 'order', order: { ...this.tracked.get(order.orderId)!.order } });
  }

  /** Our part of an exchange action: fills of ours, updates of our resting orders, MMP triggers. */
  private ours(fills: readonly Fill[], events: readonly ExchangeEvent[], at: number): void {
    const ex = this.requireMarket().exchange;
    for (const fill of fills) {
      const maker = fill.makerParticipant === US;
      const taker = fill.takerParticipant === US;
      if (!maker && !taker) continue;
      const orderId = maker ? fill.makerOrderId : fill.takerOrderId;
      const tracked = this.tracked.get(orderId);
      const side = maker ? (fill.takerSide === 'buy' ? 'sell' : 'buy') : fill.takerSide;
      this.emit({ kind: 'fill', event: this.fillEvent(fill, side, maker ? 'maker' : 'taker', orderId) });
      this.traded.add(fill.instrument);
      if (maker && tracked !== undefined) {
        // A resting order of ours was hit by someone else's action: report its new state.
        const live = ex.getOrder(orderId);
        if (live !== undefined) tracked.order = this.venueOrder(live, tracked);
        else
          tracked.order = {
            ...tracked.order,
            filledAmount: tracked.order.amount,
            averagePrice: averageAfter(tracked.order, fill),
            state: 'filled',
            timestampMs: fill.timestampMs,
          };
        if (fill.takerParticipant !== US) this.emit({ kind: 'order', order: { ...tracked.order } });
      }
    }
    for (const event of events) {
      if (event.type === 'order' && event.order.participant === US) this.orderUpdate(event.order, at);
      else if (event.type === 'mmp_trigger' && event.participant === US)
        this.emit({
          kind: 'mmp_trigger',
          venue: SIM_VENUE,
          timestampMs: event.timestampMs,
          index: indexNameOf(event.index),
          group: event.group === '' ? null : event.group,
          frozenUntilMs: event.frozenUntilMs,
        });
    }
  }

  private fillEvent(
    fill: Fill,
    side: 'buy' | 'sell',
    liquidity: 'maker' | 'taker',
    orderId: string,
  ): FillEvent {
    const id = `${this.prefix}${fill.tradeId}`;
    this.lastTradeId = id;
    const amount = parseMoney(fill.amount, { field: 'amount' });
    const price = parseMoney(fill.price, { field: 'price' });
    return {
      type: 'fill',
      venue: SIM_VENUE,
      id,
      timestampMs: fill.timestampMs,
      sequence: fill.tradeId,
      instrument: fill.instrument,
      side,
      amount,
      price,
      fee: this.exactFee(fill.instrument, liquidity, amount, price),
      feeCurrency: fill.feeCurrency,
      liquidity,
      orderId: `${this.prefix}${orderId}`,
    };
  }

  /**
   * The fee the exchange charges, in exact money: BTC options `min(rate, capShare x price)` coin
   * per contract; the inverse perpetual `rate x amount / price` coin (rounded half-even at 12
   * decimals, the only inexact step).
   */
  private exactFee(instrument: string, liquidity: 'maker' | 'taker', amount: Money, price: Money): Money {
    if (instrument === PERPETUAL) {
      return mulDivMoney(parseMoney(this.fees.perpetual[liquidity]), amount, price);
    }
    const f = this.fees.inverseOption;
    const perContract = minMoney(parseMoney(f[liquidity]), mulMoney(parseMoney(f.capShare), price));
    return mulMoney(perContract, amount);
  }

  private settled(events: readonly SettlementEvent[], at: number): void {
    const ours = events.filter((e) => e.participant === US);
    if (ours.length === 0) return;
    this.ourSettlements.push(...ours);
    // Each of our expiries as the inventory's delivery (cash, at the 30-minute average), then the account.
    for (const e of ours) {
      this.emit({
        kind: 'delivery',
        event: {
          type: 'delivery',
          venue: SIM_VENUE,
          id: `${this.prefix}delivery-${e.instrument}`,
          timestampMs: at,
          sequence: 0,
          instrument: e.instrument,
          deliveryPrice: parseMoney((Math.round(e.deliveryPrice * 1e8) / 1e8).toFixed(8), {
            field: 'deliveryPrice',
          }),
          method: 'cash',
          fee: parseMoney((Math.round(e.fee * 1e12) / 1e12).toFixed(12), { field: 'fee' }),
          feeCurrency: e.currency,
        },
      });
    }
    this.emit({
      kind: 'account',
      venue: SIM_VENUE,
      timestampMs: at,
      positions: this.positions(),
      openOrders: this.requireMarket()
        .exchange.openOrders(US)
        .map((o) => this.venueOrder(o, this.tracked.get(o.orderId))),
      lastTradeId: this.lastTradeId,
    });
  }

  private positions(): { instrument: string; amount: number }[] {
    const ex = this.requireMarket().exchange;
    return [...this.traded]
      .sort()
      .map((instrument) => ({ instrument, amount: ex.position(US, instrument) }))
      .filter((p) => p.amount !== 0);
  }

  private reject(clientOrderId: string, reason: string, detail: string, at: number): void {
    const { code, message } = rejectCode(reason);
    this.emit({
      kind: 'reject',
      venue: SIM_VENUE,
      timestampMs: at,
      clientOrderId,
      code,
      message: detail === '' ? message : `${message}: ${detail}`,
    });
  }

  /** An order id that names no open order: 11044 when it was ours and is closed, else 10004. */
  private notFound(clientOrderId: string, orderId: string | null, at: number): void {
    const id = orderId === null ? this.byClientId(clientOrderId) : this.exchangeId(orderId);
    const known = id !== null && this.tracked.has(id);
    this.reject(
      clientOrderId,
      known ? 'not_open_order' : 'order_not_found',
      `order ${orderId ?? clientOrderId}`,
      at,
    );
  }

  private exchangeId(orderId: string): string | null {
    if (!orderId.startsWith(this.prefix)) return null;
    return orderId.slice(this.prefix.length);
  }

  private byClientId(clientOrderId: string): string | null {
    let found: string | null = null;
    for (const [id, t] of this.tracked) if (t.order.clientOrderId === clientOrderId) found = id;
    return found;
  }

  private pace(): void {
    const market = this.market;
    if (market === null) return;
    const target = market.startMs + (Date.now() - this.wallStartMs) * this.speed;
    if (target > market.nowMs()) market.advanceTo(target);
  }

  private emit(input: EngineInput): void {
    this.sink?.(input);
  }

  private requireMarket(): SimMarket {
    if (this.market === null)
      throw new InputError('venue', 'not started', 'a started venue (call start first)');
    return this.market;
  }
}

/** The average price of an order after its last fill, from its state before it. */
function averageAfter(before: VenueOrder, fill: Fill): number {
  const prior = before.averagePrice === null ? 0 : before.averagePrice * before.filledAmount;
  return (prior + fill.price * fill.amount) / (before.filledAmount + fill.amount);
}

/**
 * The simulated exchange keys MMP by the base coin (`BTC`); the venue names the index
 * (`btc_usd`, as `private/set_mmp_config`'s `index_name`). Either is taken.
 */
function exchangeIndex(index: string): string {
  const venueName = /^([a-z]+)_usdc?$/.exec(index);
  return venueName === null ? index : (venueName[1] as string).toUpperCase();
}
