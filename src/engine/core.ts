/**
 * The engine's core: one fold over its inputs (issue 9, Build item 1). Each input updates the
 * state and returns the commands for the venue; the core reads no clock (time is the inputs'),
 * does no I/O, and keeps what the loop must journal beside the commands (trading-state changes).
 *
 * The wiring, input by input:
 * - market data -> books (sequence-checked: a gap or a crossed book makes the book stale, and
 *   stale data halts quoting through the trading controller), tickers (marks, implied vols,
 *   index), the surface (recalibrated from the options' tickers on a schedule and when the index
 *   moved more than `refitMoveBps` since the last fit);
 * - fills -> the inventory (the ledger: a duplicate trade id changes nothing), the order
 *   manager, the fill-burst kill switch, the hedge's cost;
 * - the book's greeks -> limits (the trading controller: a breach moves the book to REDUCING) ->
 *   strategies: the options quoter (issue 8: quotes in vol around the surface, skewed by the whole
 *   book's vega per expiry and its delta, sizes shrinking near the limits) and the delta hedger
 *   (a band around zero delta, crossing the perpetual within a price limit) -> the order manager
 *   (place, edit, cancel; credits) -> commands;
 * - the connection: in doubt or down -> cancel everything through the kill path and stop
 *   quoting; up -> ask the venue for its view (`reconcile`); the venue's view -> compared with
 *   ours: a position that differs halts the book with a report;
 * - the operator: kill (HALTED, cancel all through the kill path; repeatable), pause, resume,
 *   new limits.
 * Trading states: ACTIVE quotes and hedges; REDUCING cancels the quotes and only hedges (a hedge
 * reduces the delta); HALTED cancels everything and sends nothing.
 */
import type { FillEvent } from '../inventory/events.js';
import { Ledger } from '../inventory/ledger.js';
import { toNumber } from '../inventory/money.js';
import { OrderBook } from '../market/book.js';
import type { MarketEvent, TickerEvent } from '../market/events.js';
import { formatExpiryCode } from '../model/expiry-code.js';
import { parseInstrumentName, type ParsedInstrumentName } from '../model/instrument-name.js';
import { MS_PER_YEAR } from '../model/time.js';
import type { RiskMarket } from '../risk/inputs.js';
import { parseLimitsText, type LimitsConfig } from '../risk/limits/config.js';
import {
  stateChangeRecord,
  TradingController,
  type KillSwitchConfig,
  type StateChange,
} from '../risk/trading-state.js';
import { OptionsQuoter, type OptionsQuoterConfig, type QuoterLimits } from '../strategy/options-quoter.js';
import { MmpGuard, indexNameOf } from '../strategy/mass-quote.js';
import { RateBudget, type RateBudgetConfig } from '../strategy/rate-budget.js';
import type { JournalRecord } from '../store/journal.js';
import { calibrateSurface, type SliceQuotes } from '../vol/calibrate-surface.js';
import type { VolSurface } from '../vol/surface.js';
import { inputTime } from './inputs.js';
import {
  bookBreakdown,
  ThrottledMargin,
  optionUnitGreeks,
  riskMarketOf,
  type MarkedBook,
  type UnitGreeks,
} from './book-risk.js';
import { OrderManager, quoteSlotId, type MassQuoteEntry } from './order-manager.js';
import type {
  CommandResult,
  EngineDetails,
  EngineInput,
  InstrumentView,
  EngineState,
  OperatorCommand,
  VenueCommand,
  VenueOrder,
} from './types.js';

/** The options the core quotes and how. */
export interface QuotingConfig {
  /** Expiries quoted: the nearest ones more than `minDaysToExpiry` away. */
  expiries: number;
  minDaysToExpiry: number;
  /** Strikes within this share of the forward (0.1 = +-10%), calls and puts. */
  moneyness: number;
  quoter: OptionsQuoterConfig;
  limits: QuoterLimits;
  /** Least time between two requotes, ms (a spot move or a fill asks for one). */
  requoteMs: number;
  /** Surface refit: at least every `refitMs`, and when the index moved more than `refitMoveBps`. */
  refitMs: number;
  refitMoveBps: number;
  /**
   * How quotes go out: `orders` (default: place, edit, cancel, one order per side) or
   * `mass_quote` (the venue's market-maker path: mass quotes in one MMP group, which the core
   * configures on every connect, with MMP triggers handled by a cool-down and a reset).
   */
  send?: 'orders' | 'mass_quote';
  massQuote?: MassQuoteConfig;
}

/** Mass quoting: the MMP group, its protection and the request size. */
export interface MassQuoteConfig {
  group: string;
  /** At most this many instruments per request (the venue's mass-quote limit). */
  maxPerRequest: number;
  /** `private/set_mmp_config` for the group on the book's index (the `set_mmp` command's terms). */
  mmp: Omit<Extract<VenueCommand, { kind: 'set_mmp' }>, 'kind' | 'index' | 'group'>;
  /** After an MMP trigger: no quotes in the group for this long, then a reset (frozen until reset). */
  coolDownMs: number;
}

/** Delta hedging on a perpetual. */
export interface HedgingConfig {
  instrument: string;
  /** Hedge when |delta| (coin, premium-adjusted, options and the perpetual) exceeds this. */
  bandCoin: number;
  /** Cross at most this far from the index, bps. */
  limitBps: number;
  /** Least time between two hedges, ms. */
  minIntervalMs: number;
}

export interface CoreConfig {
  /** The venue's name (journal venue of its fills). */
  venue: string;
  /** Underlying of the book (`BTC`); its index comes from the perpetual's or the options' tickers. */
  currency: string;
  orderPrefix: string;
  orderTimeoutMs: number;
  killSwitch: KillSwitchConfig;
  rateLimit?: Omit<RateBudgetConfig, 'startMs'>;
  quoting?: QuotingConfig;
  hedging?: HedgingConfig;
  /** Limits file text (`src/risk/limits/config.ts`), shown with their use. */
  limitsText?: string;
}

/** What one input produced. */
export interface Outcome {
  commands: VenueCommand[];
  /** Records to journal besides the input (trading-state changes). */
  records: JournalRecord[];
  /** For an operator command: the answer. */
  result?: CommandResult;
}

interface Alert {
  time_ms: number;
  kind: string;
  message: string;
}

const MAX_ALERTS = 50;
const MAX_FILLS = 500;
/** One hour of once-a-second samples. */
const MAX_SAMPLES = 3600;
/** The attribution's window. */
const ATTRIBUTION_MS = 60_000;

interface Sample {
  t: number;
  index: number;
  equityUsd: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  atmIv: number;
}

export class EngineCore {
  private held: Ledger;
  readonly orders: OrderManager;
  readonly controller: TradingController;
  private readonly books = new Map<string, OrderBook>();
  private readonly tickers = new Map<string, TickerEvent>();
  private index = Number.NaN;
  private now = Number.NaN;
  private connection: EngineState['connection'] = 'down';
  /** Quoting waits for the venue's view after every (re)connect. */
  private reconciled = false;
  private lastTradeId: string | null = null;
  private surface: VolSurface | undefined;
  private fitIndex = Number.NaN;
  private fitMs = Number.NaN;
  private quoter: OptionsQuoter | undefined;
  private lastQuoteMs = Number.NaN;
  private quoteDue = true;
  /** Our resting quote per instrument and side: its client id. */
  private readonly quoteIds = new Map<string, string>();
  /** Mass quoting: MMP triggers, and whether the group's MMP config went out since the last connect. */
  private readonly mmpGuard: MmpGuard | undefined;
  private mmpConfigured = false;
  private lastHedgeMs = Number.NaN;
  private hedges = 0;
  private hedgeCostUsd = 0;
  private readonly alerts: Alert[] = [];
  private pending: JournalRecord[] = [];
  private limits: LimitsConfig | undefined;
  private peakEquityUsd = Number.NaN;
  private readonly marginThrottle = new ThrottledMargin();
  private venueMargin: { initial_coin: number; maintenance_coin: number; time_ms: number } | undefined;
  /** Our latest fills (for the instrument view), oldest first. */
  private readonly recentFills: {
    instrument: string;
    time_ms: number;
    side: 'buy' | 'sell';
    price: number;
    amount: number;
    trade_id: string;
  }[] = [];
  /** Once a second (timers): the book's equity, greeks and the front ATM vol, for P&L attribution. */
  private readonly samples: Sample[] = [];
  /** Parsed instrument names (the greeks read them for every position on every input). */
  private readonly names = new Map<string, ParsedInstrumentName>();

  constructor(
    readonly config: CoreConfig,
    restored?: { ledger?: Ledger; stateChanges?: number; ordersSent?: number },
  ) {
    this.held = restored?.ledger ?? new Ledger();
    const budget =
      config.rateLimit === undefined ? undefined : new RateBudget({ ...config.rateLimit, startMs: 0 });
    this.orders = new OrderManager(config.orderPrefix, config.orderTimeoutMs, budget);
    this.controller = new TradingController(
      config.killSwitch,
      (change) => this.onStateChange(change),
      restored?.stateChanges ?? 0,
    );
    if (config.limitsText !== undefined) this.limits = parseLimitsText(config.limitsText);
    const mass = this.massQuoting;
    if (mass !== undefined) this.mmpGuard = new MmpGuard(mass.coolDownMs, [mass.group]);
  }

  /**
   * An MMP trigger into the guard (mass quoting), live or from the journal after a restart (the
   * venue keeps a group frozen until reset across our restarts).
   */
  restoreMmpTrigger(input: Extract<EngineInput, { kind: 'mmp_trigger' }>): void {
    this.mmpGuard?.onTrigger(
      {
        index_name: input.index,
        frozen_until: input.frozenUntilMs ?? 0,
        ...(input.group === null ? {} : { mmp_group: input.group }),
      },
      input.timestampMs,
    );
  }

  /** A journaled `reset_mmp` after a restart: the group was reset. */
  restoreMmpReset(index: string, group: string | null): void {
    if (group !== null) this.mmpGuard?.onReset(index, group);
  }

  /** The mass-quote settings when quotes go out as mass quotes. */
  private get massQuoting(): MassQuoteConfig | undefined {
    const q = this.config.quoting;
    return q?.send === 'mass_quote' ? q.massQuote : undefined;
  }

  private get indexName(): string {
    return indexNameOf(this.config.currency);
  }

  /** The inventory (the ledger of every fill and delivery applied). */
  get ledger(): Ledger {
    return this.held;
  }

  /**
   * Replaces the ledger with the same fold in another form: the loop's ledger restored from the
   * snapshot it just saved (`Ledger.fromSnapshot`, its history in the journal), so the events the
   * snapshot covers leave memory as on a restart. Nothing else changes.
   */
  replaceLedger(ledger: Ledger): void {
    this.held = ledger;
  }

  /** Applies one input; the commands to send and the records to journal. */
  apply(input: EngineInput): Outcome {
    const t = inputTime(input);
    if (Number.isFinite(t) && !(t < this.now)) this.now = t;
    const commands: VenueCommand[] = [];
    let result: CommandResult | undefined;
    const before = this.controller.state;
    switch (input.kind) {
      case 'market':
        this.onMarket(input.event);
        break;
      case 'fill':
        this.onFill(input.event);
        break;
      case 'delivery':
        if (this.ledger.apply(input.event).status === 'applied')
          this.alert(
            'delivery',
            `${input.event.instrument} delivered at ${toNumber(input.event.deliveryPrice)}`,
          );
        break;
      case 'order':
        this.orders.onOrder(input.order);
        this.forgetQuote(input.order);
        break;
      case 'reject':
        this.orders.onReject(input.clientOrderId, input.code, input.message, input.timestampMs);
        this.alert('reject', `${input.clientOrderId}: ${input.code} ${input.message}`);
        break;
      case 'mmp_trigger':
        this.alert(
          'mmp',
          `MMP triggered on ${input.index}${input.group === null ? '' : ` group ${input.group}`}`,
        );
        this.quoteIds.clear();
        if (this.mmpGuard === undefined) {
          commands.push({ kind: 'reset_mmp', index: input.index, group: input.group });
        } else {
          // The venue pulled the group's quotes: none until the cool-down, then a reset.
          this.restoreMmpTrigger(input);
        }
        break;
      case 'account':
        this.onAccount(input.positions, input.openOrders);
        break;
      case 'connection':
        commands.push(...this.onConnection(input.state, input.reason));
        break;
      case 'timer':
        this.sample();
        this.controller.onTime(this.now);
        commands.push(...this.orders.onTime(this.now));
        this.orders.prune(this.now - 60_000);
        for (const r of this.mmpGuard?.due(this.now) ?? []) {
          commands.push({ kind: 'reset_mmp', index: r.params.index_name, group: r.params.mmp_group });
          this.mmpGuard?.onReset(r.params.index_name, r.params.mmp_group);
        }
        break;
      case 'operator':
        result = this.onOperator(input.command);
        break;
      case 'firm_state':
        this.controller.onFirmState(input.state, `firm: ${input.detail}`, this.now);
        break;
    }
    const after = this.controller.state;
    if (after === 'HALTED' && (before !== 'HALTED' || input.kind === 'operator')) {
      // Halted (or killed again): everything goes, through the kill path.
      this.quoteIds.clear();
      commands.push(this.orders.cancelAll(`trading state ${after}`, this.now, true));
    } else if (after === 'REDUCING' && before === 'ACTIVE') {
      commands.push(...this.pullQuotes());
    }
    if (after === 'ACTIVE' && this.connection === 'up' && this.reconciled) {
      commands.push(...this.strategies(input));
    } else if (after !== 'HALTED' && this.connection === 'up' && this.reconciled) {
      commands.push(...this.hedge());
    }
    const records = this.pending;
    this.pending = [];
    return result === undefined ? { commands, records } : { commands, records, result };
  }

  // ------------------------------------------------------------------ inputs

  private onMarket(event: MarketEvent): void {
    this.controller.onMarketData(event.timestampMs);
    switch (event.type) {
      case 'book_snapshot': {
        const book = this.book(event.instrument);
        const wasStale = book.status === 'stale';
        book.applySnapshot(event);
        if (wasStale) this.controller.onBookStatus(event.instrument, false, event.timestampMs);
        break;
      }
      case 'book_change': {
        const book = this.book(event.instrument);
        if (book.applyChange(event) === 'stale') {
          this.alert('gap', `${event.instrument}: ${book.staleReason?.reason ?? 'stale'}`);
          this.controller.onBookStatus(event.instrument, true, event.timestampMs);
        }
        break;
      }
      case 'ticker': {
        this.tickers.set(event.instrument, event);
        if (event.indexPrice !== undefined && event.indexPrice > 0) {
          const moved = !(Math.abs(event.indexPrice / this.index - 1) * 1e4 < 1);
          this.index = event.indexPrice;
          if (moved) this.quoteDue = true;
        }
        break;
      }
      default:
        break;
    }
  }

  private book(instrument: string): OrderBook {
    let book = this.books.get(instrument);
    if (book === undefined) {
      book = new OrderBook(instrument);
      this.books.set(instrument, book);
    }
    return book;
  }

  private onFill(event: FillEvent): void {
    const r = this.ledger.apply(event);
    if (r.status === 'duplicate') return;
    this.lastTradeId = event.id;
    const amount = toNumber(event.amount);
    this.recentFills.push({
      instrument: event.instrument,
      time_ms: event.timestampMs,
      side: event.side,
      price: toNumber(event.price),
      amount,
      trade_id: event.id,
    });
    if (this.recentFills.length > MAX_FILLS) this.recentFills.shift();
    const o = this.orders.onFill(event.orderId, amount, event.timestampMs);
    this.controller.onFill(event.timestampMs);
    this.quoteDue = true;
    if (o?.purpose === 'hedge') {
      const price = toNumber(event.price);
      const fee = toNumber(event.fee);
      const feeUsd = event.feeCurrency === 'USD' ? fee : fee * price;
      // Inverse perpetual: amount in USD; the spread paid is |price - index| / price of it.
      const spreadUsd = Number.isFinite(this.index) ? (amount * Math.abs(price - this.index)) / price : 0;
      this.hedges += 1;
      this.hedgeCostUsd += feeUsd + spreadUsd;
    }
    if (o === undefined || o.state === 'filled') this.forgetQuoteId(o?.clientOrderId);
  }

  private onAccount(positions: { instrument: string; amount: number }[], open: VenueOrder[]): void {
    const ours = new Map<string, number>();
    for (const p of this.ledger.positions(true)) ours.set(p.instrument, toNumber(p.amount));
    const theirs = new Map<string, number>();
    for (const p of positions) if (p.amount !== 0) theirs.set(p.instrument, p.amount);
    const diffs: string[] = [];
    for (const name of new Set([...ours.keys(), ...theirs.keys()])) {
      const a = ours.get(name) ?? 0;
      const b = theirs.get(name) ?? 0;
      if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)))
        diffs.push(`${name}: ours ${a}, venue ${b}`);
    }
    const { closed, foreign } = this.orders.reconcile(open, this.now);
    for (const id of closed) this.forgetQuoteId(id);
    if (foreign.length > 0)
      this.alert(
        'mismatch',
        `orders at the venue we did not send: ${foreign.map((o) => o.orderId).join(', ')}`,
      );
    if (diffs.length > 0) {
      const detail = `positions differ: ${diffs.join('; ')}`;
      this.alert('mismatch', detail);
      this.controller.onReconciliation(false, detail, this.now);
    }
    this.reconciled = true;
    this.quoteDue = true;
  }

  private onConnection(state: EngineState['connection'], reason: string): VenueCommand[] {
    const was = this.connection;
    this.connection = state;
    if (state !== was) this.mmpConfigured = false;
    if (state === 'up') {
      this.reconciled = false;
      return was === 'up' ? [] : [{ kind: 'reconcile', afterTradeId: this.lastTradeId }];
    }
    this.alert('connection', `${state}: ${reason}`);
    this.reconciled = false;
    this.quoteIds.clear();
    return [this.orders.cancelAll(`connection ${state}: ${reason}`, this.now, true)];
  }

  private onOperator(command: OperatorCommand): CommandResult {
    switch (command.type) {
      case 'kill':
        this.controller.pause(
          `operator kill${command.reason === undefined ? '' : `: ${command.reason}`}`,
          this.now,
        );
        this.alert('kill', 'kill switch');
        return {
          accepted: true,
          trading_state: this.controller.state,
          detail: 'halted; all orders cancelled',
        };
      case 'pause':
        this.controller.pause(
          `operator${command.reason === undefined ? '' : `: ${command.reason}`}`,
          this.now,
        );
        return { accepted: true, trading_state: this.controller.state, detail: 'paused' };
      case 'resume':
        this.controller.resume('operator', this.now);
        return {
          accepted: true,
          trading_state: this.controller.state,
          detail:
            this.controller.state === 'ACTIVE'
              ? 'resumed'
              : `still ${this.controller.state}: ${this.controller
                  .reasons()
                  .map((r) => r.detail)
                  .join('; ')}`,
        };
      case 'limits':
        try {
          this.limits = parseLimitsText(command.text, 'limits');
          return {
            accepted: true,
            trading_state: this.controller.state,
            detail: `${this.limits.limits.length} limits`,
          };
        } catch (error) {
          return {
            accepted: false,
            trading_state: this.controller.state,
            detail: error instanceof Error ? error.message : String(error),
          };
        }
    }
  }

  private onStateChange(change: StateChange): void {
    this.pending.push(stateChangeRecord(change));
    this.alert('state', `${change.from} -> ${change.to}: ${change.reason} (${change.detail})`);
  }

  private alert(kind: string, message: string): void {
    this.alerts.push({ time_ms: this.now, kind, message });
    if (this.alerts.length > MAX_ALERTS) this.alerts.shift();
  }

  // ------------------------------------------------------------------ strategies

  private strategies(input: EngineInput): VenueCommand[] {
    const out: VenueCommand[] = [];
    if (this.config.quoting !== undefined) {
      this.refit();
      const due =
        this.quoteDue &&
        !(this.now - this.lastQuoteMs < this.config.quoting.requoteMs) &&
        this.quoter !== undefined;
      if (
        due ||
        (input.kind === 'timer' && !(this.now - this.lastQuoteMs < this.config.quoting.requoteMs * 10))
      )
        out.push(...this.requote());
    }
    out.push(...this.hedge());
    return out;
  }

  /** The options' tickers as the calibration's slices. */
  private sliceQuotes(): SliceQuotes[] {
    const byExpiry = new Map<number, { k: number[]; mid: number[]; half: number[]; forwards: number[] }>();
    for (const t of this.tickers.values()) {
      if (t.markIv === undefined || !(t.markIv > 0) || t.underlyingPrice === undefined) continue;
      const name = this.nameOf(t.instrument);
      if (name.kind !== 'option' || name.base !== this.config.currency) continue;
      if (!(name.expiryMs - this.now > this.config.quoting!.minDaysToExpiry * 86_400_000 * 0.5)) continue;
      let e = byExpiry.get(name.expiryMs);
      if (e === undefined) {
        e = { k: [], mid: [], half: [], forwards: [] };
        byExpiry.set(name.expiryMs, e);
      }
      const bid = t.bidIv !== undefined && t.bidIv > 0 ? t.bidIv / 100 : undefined;
      const ask = t.askIv !== undefined && t.askIv > 0 ? t.askIv / 100 : undefined;
      const mid = bid !== undefined && ask !== undefined && ask >= bid ? (bid + ask) / 2 : t.markIv / 100;
      const half = bid !== undefined && ask !== undefined && ask >= bid ? (ask - bid) / 2 : 0.01;
      e.k.push(Math.log(name.strike / t.underlyingPrice));
      e.mid.push(mid);
      e.half.push(Math.max(half, 0.001));
      e.forwards.push(t.underlyingPrice);
    }
    const slices: SliceQuotes[] = [];
    for (const [expiryMs, e] of byExpiry) {
      if (e.k.length < 5) continue;
      const sorted = [...e.forwards].sort((a, b) => a - b);
      slices.push({
        expiryMs,
        yearsToExpiry: (expiryMs - this.now) / MS_PER_YEAR,
        forward: sorted[sorted.length >> 1] as number,
        k: Float64Array.from(e.k),
        mid: Float64Array.from(e.mid),
        halfSpread: Float64Array.from(e.half),
      });
    }
    return slices;
  }

  private refit(): void {
    const q = this.config.quoting as QuotingConfig;
    if (!Number.isFinite(this.index)) return;
    const moved = Math.abs(this.index / this.fitIndex - 1) * 1e4 > q.refitMoveBps;
    if (!(moved || !(this.now - this.fitMs < q.refitMs))) return;
    const slices = this.sliceQuotes();
    if (slices.length === 0) return;
    try {
      const fit = calibrateSurface(
        this.now,
        slices,
        this.surface === undefined ? {} : { previous: this.surface },
      );
      this.surface = fit.surface;
    } catch (error) {
      this.alert('surface', `refit failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.fitIndex = this.index;
    this.fitMs = this.now;
    if (this.quoter === undefined) this.quoter = this.makeQuoter(this.surface);
    else {
      this.quoter.setSurface(this.surface, this.index);
      this.quoter.setTime(this.now);
    }
    this.quoteDue = true;
  }

  private makeQuoter(surface: VolSurface): OptionsQuoter | undefined {
    const q = this.config.quoting as QuotingConfig;
    const expiries = surface.slices
      .map((s) => s.expiryMs)
      .filter((e) => e - this.now > q.minDaysToExpiry * 86_400_000)
      .slice(0, q.expiries);
    const names: string[] = [];
    for (const t of this.tickers.values()) {
      const name = this.nameOf(t.instrument);
      if (name.kind !== 'option' || !expiries.includes(name.expiryMs)) continue;
      const forward = surface.forward(name.expiryMs);
      if (Math.abs(name.strike / forward - 1) <= q.moneyness) names.push(t.instrument);
    }
    if (names.length === 0) return undefined;
    names.sort();
    try {
      return new OptionsQuoter({
        surface,
        refSpot: this.index,
        instruments: names,
        config: q.quoter,
        limits: q.limits,
        atMs: this.now,
      });
    } catch (error) {
      this.alert('quoter', error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  private nameOf(instrument: string): ParsedInstrumentName {
    let name = this.names.get(instrument);
    if (name === undefined) {
      name = parseInstrumentName(instrument);
      this.names.set(instrument, name);
    }
    return name;
  }

  /** Position of an instrument, as a number in the venue's unit. */
  private position(instrument: string): number {
    return toNumber(this.ledger.position(instrument).amount);
  }

  /** The book's premium-adjusted delta in coin, and vega per expiry aligned with the quoter's. */
  private bookGreeks(): {
    delta: number;
    vegaByExpiry: Float64Array;
    vega: number;
    gamma: number;
    theta: number;
  } {
    const quoter = this.quoter;
    const vegaByExpiry = new Float64Array(quoter?.expiries.length ?? 0);
    let delta = 0;
    let vega = 0;
    let gamma = 0;
    let theta = 0;
    for (const p of this.ledger.positions(true)) {
      const amount = toNumber(p.amount);
      const name = this.nameOf(p.instrument);
      if (name.kind === 'option') {
        const g = this.optionGreeks(p.instrument, name.kind === 'option' ? name : undefined);
        if (g === undefined) continue;
        delta += amount * g.delta;
        vega += amount * g.vega;
        gamma += amount * g.gamma;
        theta += amount * g.theta;
        if (quoter !== undefined) {
          const e = quoter.expiries.indexOf(name.expiryMs);
          if (e >= 0) vegaByExpiry[e] = (vegaByExpiry[e] as number) + amount * g.vega;
        }
      } else if (Number.isFinite(this.index) && this.index > 0) {
        // Inverse future or perpetual: N USD is N / S coin of delta.
        delta += amount / this.index;
      }
    }
    return { delta, vegaByExpiry, vega, gamma, theta };
  }

  /** Per-contract greeks of an option: premium-adjusted delta (coin), vega (USD/vol pt), gamma, theta (USD/day). */
  private optionGreeks(
    instrument: string,
    name: { strike: number; expiryMs: number; optionType: 'call' | 'put' } | undefined,
  ): UnitGreeks | undefined {
    return name === undefined ? undefined : optionUnitGreeks(name, this.tickers.get(instrument), this.now);
  }

  private requote(): VenueCommand[] {
    const quoter = this.quoter;
    if (quoter === undefined || !Number.isFinite(this.index)) return [];
    this.lastQuoteMs = this.now;
    this.quoteDue = false;
    const greeks = this.bookGreeks();
    quoter.setTime(this.now);
    const out = quoter.quote(this.index, { vegaByExpiry: greeks.vegaByExpiry, deltaCoin: greeks.delta });
    const mass = this.massQuoting;
    if (mass !== undefined) return this.massRequote(mass, quoter.instruments, out);
    const commands: VenueCommand[] = [];
    for (let i = 0; i < quoter.instruments.length; i++) {
      const instrument = quoter.instruments[i] as string;
      for (const side of ['buy', 'sell'] as const) {
        const price = (side === 'buy' ? out.bidPrice : out.askPrice)[i] as number;
        const size = (side === 'buy' ? out.bidSize : out.askSize)[i] as number;
        const key = `${instrument}|${side}`;
        const id = this.quoteIds.get(key);
        const live = id === undefined ? undefined : this.orders.get(id);
        const wanted = Number.isFinite(price) && size > 0;
        if (wanted && this.crosses(instrument, side, price)) continue;
        if (
          live === undefined ||
          (live.state !== 'open' && live.state !== 'partially_filled' && live.state !== 'pending')
        ) {
          if (id !== undefined) this.quoteIds.delete(key);
          if (!wanted) continue;
          const c = this.orders.place(
            { instrument, side, amount: size, price, postOnly: true },
            'quote',
            this.now,
          );
          if (c !== null && c.kind === 'place') {
            this.quoteIds.set(key, c.clientOrderId);
            commands.push(c);
          }
        } else if (!wanted) {
          const c = this.orders.cancel(live.clientOrderId, this.now);
          if (c !== null) commands.push(c);
          this.quoteIds.delete(key);
        } else if (
          live.state !== 'pending' &&
          (live.price !== price || Math.abs(live.amount - live.filled - size) > 1e-9)
        ) {
          const c = this.orders.edit(live.clientOrderId, price, live.filled + size, this.now);
          if (c !== null) commands.push(c);
        }
      }
    }
    return commands;
  }

  /**
   * The quoter's prices as mass quotes: for each side whose slot is not waiting for the venue, a
   * new price or open amount where it changed, 0 where the side is no longer wanted. The group's
   * MMP config goes first after every connect; a triggered group is not quoted (`MmpGuard`).
   */
  private massRequote(
    mass: MassQuoteConfig,
    instruments: readonly string[],
    out: { bidPrice: Float64Array; askPrice: Float64Array; bidSize: Float64Array; askSize: Float64Array },
  ): VenueCommand[] {
    if (this.mmpGuard?.canQuote(this.indexName, mass.group, this.now) === false) return [];
    const commands: VenueCommand[] = [];
    if (!this.mmpConfigured) {
      this.mmpConfigured = true;
      commands.push({
        kind: 'set_mmp',
        index: this.indexName,
        group: mass.group,
        ...mass.mmp,
      });
    }
    const entries: MassQuoteEntry[] = [];
    for (let i = 0; i < instruments.length; i++) {
      const instrument = instruments[i] as string;
      const entry: MassQuoteEntry = { instrument };
      for (const side of ['bid', 'ask'] as const) {
        const price = (side === 'bid' ? out.bidPrice : out.askPrice)[i] as number;
        const size = (side === 'bid' ? out.bidSize : out.askSize)[i] as number;
        const slot = this.orders.get(quoteSlotId(mass.group, instrument, side));
        if (slot?.state === 'pending' || slot?.state === 'pending_cancel') continue;
        const resting = slot !== undefined && (slot.state === 'open' || slot.state === 'partially_filled');
        const wanted = Number.isFinite(price) && size > 0;
        if (wanted && this.crosses(instrument, side === 'bid' ? 'buy' : 'sell', price)) continue;
        if (!wanted) {
          if (resting) entry[side] = { price: slot.price ?? price, amount: 0 };
          continue;
        }
        if (resting && slot.price === price && Math.abs(slot.amount - slot.filled - size) <= 1e-9) continue;
        entry[side] = { price, amount: size };
      }
      if (entry.bid !== undefined || entry.ask !== undefined) entries.push(entry);
    }
    commands.push(...this.orders.massQuote(mass.group, entries, this.now, mass.maxPerRequest));
    return commands;
  }

  /**
   * Whether a post-only quote at `price` would cross the instrument's book as last seen (a bid at
   * or above the best ask, an ask at or below the best bid, our own orders included): the venue
   * would refuse it (or reprice it), so the side is left as it is until the next requote. Once
   * the side that blocks it has moved, the next requote sends it.
   */
  private crosses(instrument: string, side: 'buy' | 'sell', price: number): boolean {
    const book = this.books.get(instrument);
    if (book === undefined) return false;
    const other = side === 'buy' ? book.bestAsk() : book.bestBid();
    if (other === undefined) return false;
    return side === 'buy' ? price >= other.price : price <= other.price;
  }

  /** Cancels every resting quote (REDUCING). */
  private pullQuotes(): VenueCommand[] {
    const mass = this.massQuoting;
    if (mass !== undefined) {
      // Every live slot to 0 in one go, pending ones too (the venue applies them in order).
      const byInstrument = new Map<string, MassQuoteEntry>();
      for (const o of this.orders.live()) {
        if (o.purpose !== 'quote' || o.state === 'pending_cancel') continue;
        const side = o.side === 'buy' ? 'bid' : 'ask';
        if (o.clientOrderId !== quoteSlotId(mass.group, o.instrument, side)) continue;
        const entry = byInstrument.get(o.instrument) ?? { instrument: o.instrument };
        entry[side] = { price: o.price ?? 0, amount: 0 };
        byInstrument.set(o.instrument, entry);
      }
      return this.orders.massQuote(
        mass.group,
        [...byInstrument.values()],
        this.now,
        mass.maxPerRequest,
        'cancel',
      );
    }
    const out: VenueCommand[] = [];
    for (const id of this.quoteIds.values()) {
      const c = this.orders.cancel(id, this.now);
      if (c !== null) out.push(c);
    }
    this.quoteIds.clear();
    return out;
  }

  private forgetQuote(order: VenueOrder): void {
    if (order.state === 'filled' || order.state === 'cancelled' || order.state === 'rejected')
      this.forgetQuoteId(order.clientOrderId ?? undefined);
  }

  private forgetQuoteId(id: string | undefined): void {
    if (id === undefined) return;
    for (const [key, value] of this.quoteIds) if (value === id) this.quoteIds.delete(key);
  }

  private hedge(): VenueCommand[] {
    const h = this.config.hedging;
    if (h === undefined || !Number.isFinite(this.index)) return [];
    if (this.now - this.lastHedgeMs < h.minIntervalMs) return [];
    if (this.orders.hasLive('hedge')) return [];
    const { delta } = this.bookGreeks();
    if (!(Math.abs(delta) > h.bandCoin)) return [];
    // Sell the excess delta on the perpetual: amount in USD lots of 10.
    const usd = Math.round((Math.abs(delta) * this.index) / 10) * 10;
    if (usd < 10) return [];
    const side = delta > 0 ? 'sell' : 'buy';
    const limit = side === 'buy' ? this.index * (1 + h.limitBps / 1e4) : this.index * (1 - h.limitBps / 1e4);
    const price = side === 'buy' ? Math.floor(limit * 2) / 2 : Math.ceil(limit * 2) / 2;
    const c = this.orders.place(
      { instrument: h.instrument, side, amount: usd, price, timeInForce: 'immediate_or_cancel' },
      'hedge',
      this.now,
    );
    if (c === null) return [];
    this.lastHedgeMs = this.now;
    return [c];
  }

  // ------------------------------------------------------------------ state

  /** The state the API serves. */
  state(): EngineState {
    const greeks = this.bookGreeks();
    const coin: Record<string, number> = {};
    for (const [currency, money] of Object.entries(this.ledger.cash())) coin[currency] = toNumber(money);
    const equityUsd = this.equityUsd();
    const q = this.config.quoting;
    const limitRows: EngineState['limits'] = [];
    if (q !== undefined) {
      const vegaTotal = q.limits.vegaTotal;
      limitRows.push({
        name: 'vega total',
        measure: 'vega_usd',
        current: greeks.vega,
        limit: vegaTotal,
        use: Math.abs(greeks.vega) / vegaTotal,
      });
      limitRows.push({
        name: 'delta',
        measure: 'delta_coin',
        current: greeks.delta,
        limit: q.limits.deltaCoin,
        use: Math.abs(greeks.delta) / q.limits.deltaCoin,
      });
    }
    for (const spec of this.limits?.limits ?? []) {
      const value =
        spec.measure === 'delta_coin'
          ? greeks.delta
          : spec.measure === 'vega_usd'
            ? greeks.vega
            : spec.measure === 'gamma_coin'
              ? greeks.gamma
              : spec.measure === 'theta_usd'
                ? greeks.theta
                : Number.NaN;
      if (!Number.isFinite(value)) continue;
      limitRows.push({
        name: spec.name,
        measure: spec.measure,
        current: value,
        limit: spec.max,
        use: Math.abs(value) / spec.max,
      });
    }
    return {
      trading_state: this.controller.state,
      trading_reasons: this.controller.reasons().map((r) => `${r.reason}: ${r.detail}`),
      time_ms: Number.isFinite(this.now) ? this.now : 0,
      venue: this.config.venue,
      connection: this.connection,
      positions: this.ledger
        .positions(true)
        .map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) })),
      greeks: {
        [this.config.currency]: {
          delta: greeks.delta,
          gamma: greeks.gamma,
          vega: greeks.vega,
          theta: greeks.theta,
        },
      },
      pnl: { coin, usd: equityUsd },
      orders: this.orders.live().map((o) => ({
        client_order_id: o.clientOrderId,
        order_id: o.orderId,
        instrument: o.instrument,
        side: o.side,
        price: o.price,
        amount: o.amount,
        filled: o.filled,
        state: o.state,
      })),
      limits: limitRows,
      hedges: { count: this.hedges, cost_usd: this.hedgeCostUsd },
      alerts: [...this.alerts],
      margin: this.margin(),
    };
  }

  /** The market as the risk code reads it, from the tickers (venue marks and implied vols). */
  riskMarket(): RiskMarket {
    return riskMarketOf(this.tickers.values(), this.index, this.config.currency, this.now);
  }

  /** The book as marked now, for `book-risk.ts`. */
  private markedBook(): MarkedBook {
    return {
      positions: this.ledger
        .positions(true)
        .map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) })),
      tickers: this.tickers,
      index: this.index,
      currency: this.config.currency,
      nowMs: this.now,
    };
  }

  /**
   * The venue-style portfolio margin of the book at the tickers' marks (`src/risk/margin/`), with
   * its worst scenario; null when the book is flat or a position has no mark yet. Computed at
   * most once a second of engine time.
   */
  margin(): EngineState['margin'] {
    const m = this.marginThrottle.get(this.now, () => this.markedBook());
    if (m === null) return null;
    if (this.venueMargin === undefined) return m;
    return {
      ...m,
      venue: { ...this.venueMargin, difference_coin: m.initial_coin - this.venueMargin.initial_coin },
    };
  }

  /**
   * The venue's own margin simulation (Deribit `private/simulate_portfolio`), for the report
   * beside ours. A figure to show, not an input: it changes no decision.
   */
  noteVenueMargin(venue: { initial_coin: number; maintenance_coin: number; time_ms: number }): void {
    this.venueMargin = venue;
    this.marginThrottle.invalidate();
  }

  private frontAtmIv(): number {
    const surface = this.surface;
    if (surface === undefined) return Number.NaN;
    const slice = surface.slices.find((x) => x.expiryMs > this.now);
    return slice === undefined ? Number.NaN : surface.vol(surface.forward(slice.expiryMs), slice.expiryMs);
  }

  private sample(): void {
    if (!Number.isFinite(this.index)) return;
    const g = this.bookGreeks();
    const equityUsd = this.equityUsd();
    // The kill switch's drawdown (`kill_switch.drawdown`): from the equity's peak, once a second.
    if (!(equityUsd <= this.peakEquityUsd)) this.peakEquityUsd = equityUsd;
    this.controller.onDrawdown(this.peakEquityUsd - equityUsd, this.now);
    this.samples.push({
      t: this.now,
      index: this.index,
      equityUsd,
      delta: g.delta,
      gamma: g.gamma,
      vega: g.vega,
      theta: g.theta,
      atmIv: this.frontAtmIv(),
    });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** The book's value in USD at the marks: cash (coin at the index) plus positions. */
  private equityUsd(): number {
    let equity = 0;
    for (const p of this.ledger.positions(true)) {
      const mark = this.tickers.get(p.instrument)?.markPrice;
      if (mark === undefined) continue;
      const amount = toNumber(p.amount);
      if (this.nameOf(p.instrument).kind === 'option') equity += amount * mark * this.index;
      else if (p.averagePrice !== null)
        equity += amount * (1 / toNumber(p.averagePrice) - 1 / mark) * this.index;
    }
    for (const [currency, money] of Object.entries(this.ledger.cash())) {
      const value = toNumber(money);
      if (currency === this.config.currency) equity += value * (Number.isFinite(this.index) ? this.index : 0);
      else if (currency === 'USD' || currency === 'USDC') equity += value;
    }
    return equity;
  }

  /** The risk breakdown for the dashboard (`EngineDetails`). */
  details(): EngineDetails {
    const breakdown = bookBreakdown(this.markedBook());
    // Smiles and the term structure from the tickers and the fitted surface.
    const smiles = new Map<number, EngineDetails['smiles'][number]>();
    for (const t of this.tickers.values()) {
      let name: ParsedInstrumentName;
      try {
        name = parseInstrumentName(t.instrument);
      } catch {
        continue;
      }
      if (
        name.kind !== 'option' ||
        name.base !== this.config.currency ||
        t.markIv === undefined ||
        name.expiryMs <= this.now
      )
        continue;
      let smile = smiles.get(name.expiryMs);
      if (smile === undefined) {
        smile = {
          expiry: formatExpiryCode(name.expiryMs),
          expiry_ms: name.expiryMs,
          forward: t.underlyingPrice ?? this.index,
          points: [],
          fit: [],
        };
        smiles.set(name.expiryMs, smile);
      }
      // One point per strike: the out-of-the-money side's quotes (calls above the forward).
      const otm = name.optionType === 'call' ? name.strike >= smile.forward : name.strike < smile.forward;
      if (!otm) continue;
      smile.points.push({
        strike: name.strike,
        bid_iv: t.bidIv !== undefined && t.bidIv > 0 ? t.bidIv / 100 : null,
        ask_iv: t.askIv !== undefined && t.askIv > 0 ? t.askIv / 100 : null,
        mark_iv: t.markIv / 100,
      });
    }
    const surface = this.surface;
    const term: EngineDetails['term'] = [];
    for (const smile of smiles.values()) {
      smile.points.sort((a, b) => a.strike - b.strike);
      // The fitted curve only where the surface has a slice of its own (not the extrapolation
      // before its first expiry, which an expiry left out of the fit would otherwise show).
      const fitted = surface?.slices.some((x) => x.expiryMs === smile.expiry_ms) === true;
      if (surface !== undefined && fitted && smile.points.length > 1) {
        const lo = smile.points[0]!.strike;
        const hi = smile.points[smile.points.length - 1]!.strike;
        for (let i = 0; i <= 40; i++) {
          const strike = lo + ((hi - lo) * i) / 40;
          const iv = surface.vol(strike, smile.expiry_ms);
          if (Number.isFinite(iv)) smile.fit.push({ strike, iv });
        }
        const atm = surface.vol(surface.forward(smile.expiry_ms), smile.expiry_ms);
        if (Number.isFinite(atm))
          term.push({
            expiry: smile.expiry,
            expiry_ms: smile.expiry_ms,
            years: (smile.expiry_ms - this.now) / MS_PER_YEAR,
            atm_iv: atm,
          });
      }
    }
    return {
      time_ms: Number.isFinite(this.now) ? this.now : 0,
      index: Number.isFinite(this.index) ? this.index : null,
      ...breakdown,
      smiles: [...smiles.values()].sort((a, b) => a.expiry_ms - b.expiry_ms),
      term: term.sort((a, b) => a.expiry_ms - b.expiry_ms),
      attribution: this.attribution(),
    };
  }

  /** Greeks against the equity's change over the last minute of samples. */
  private attribution(): EngineDetails['attribution'] {
    const last = this.samples[this.samples.length - 1];
    if (last === undefined) return null;
    let first: Sample | undefined;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const s = this.samples[i] as Sample;
      if (last.t - s.t > ATTRIBUTION_MS) break;
      first = s;
    }
    if (first === undefined || first === last) return null;
    const ds = last.index - first.index;
    const dvPoints = Number.isFinite(last.atmIv - first.atmIv) ? (last.atmIv - first.atmIv) * 100 : 0;
    const days = (last.t - first.t) / 86_400_000;
    const delta = first.delta * ds;
    const gamma = 0.5 * first.gamma * ds * ds;
    const vega = first.vega * dvPoints;
    const theta = first.theta * days;
    const total = last.equityUsd - first.equityUsd;
    return {
      window_ms: last.t - first.t,
      delta_usd: delta,
      gamma_usd: gamma,
      vega_usd: vega,
      theta_usd: theta,
      unexplained_usd: total - delta - gamma - vega - theta,
      total_usd: total,
    };
  }

  /** One instrument's book, our orders in it and our fills; null if the engine has not seen it. */
  instrument(name: string): InstrumentView | null {
    const book = this.books.get(name);
    const t = this.tickers.get(name);
    if (book === undefined && t === undefined) return null;
    const bids: [number, number][] = [];
    const asks: [number, number][] = [];
    if (book !== undefined) {
      for (let i = 0; i < Math.min(book.bidLevels(), 20); i++)
        bids.push([book.bidPrice(i) as number, book.bidAmount(i) as number]);
      for (let i = 0; i < Math.min(book.askLevels(), 20); i++)
        asks.push([book.askPrice(i) as number, book.askAmount(i) as number]);
    }
    return {
      instrument: name,
      time_ms: Number.isFinite(this.now) ? this.now : 0,
      bids,
      asks,
      book_status: book?.status ?? null,
      ticker:
        t === undefined
          ? null
          : {
              mark_price: t.markPrice ?? null,
              mark_iv: t.markIv === undefined ? null : t.markIv / 100,
              bid_iv: t.bidIv === undefined ? null : t.bidIv / 100,
              ask_iv: t.askIv === undefined ? null : t.askIv / 100,
            },
      orders: this.state().orders.filter((o) => o.instrument === name),
      fills: this.recentFills.filter((f) => f.instrument === name).map(({ instrument: _i, ...f }) => f),
      position: this.position(name),
    };
  }

  /** The index the core marks with (NaN before the first ticker). */
  get indexPrice(): number {
    return this.index;
  }

  /** The engine's time: the latest input's (NaN before any). */
  get time(): number {
    return this.now;
  }
}
