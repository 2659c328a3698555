/**
 * A seeded market for the simulated venue, started from a real option chain (issue 9, the sim
 * venue): the index, every option's mark and the perpetual move on their own; a background
 * liquidity provider keeps every book two-sided on the venue's ticks; takers arrive as Poisson
 * flow and hit whatever rests in the books, our own orders included. Everything runs on the
 * simulated exchange (`src/sim/exchange/`) as participants `lp` and `takers`; the venue adapter
 * (`adapter.ts`) adds our orders as participant `us` on the same exchange.
 *
 * Model.
 * - Index: geometric Brownian motion without drift from the snapshot's index price, at the
 *   snapshot's 30-day at-the-money implied vol unless told otherwise, one step every `stepMs`.
 * - Forwards: each expiry keeps its basis ratio F/S of the snapshot, so forwards move one for one
 *   (in percent) with the index.
 * - Option marks: the fitted surface held in sticky moneyness. Each expiry's smile is the
 *   implied vol the fit gives at k = ln(K/F) for that expiry (as fitted at the snapshot), read
 *   at k taken against the *moving* forward: as the index moves, a strike slides along its
 *   expiry's smile. Mark price in coin = Black-76 USD price at the forward / forward (the venue's
 *   inverse-option mark), time to expiry from the simulated clock.
 * - Perpetual: mark = index x (1 + basis), the basis an Ornstein-Uhlenbeck process around 0
 *   (mean reversion over `perpBasisHalfLifeS`, stationary sd `perpBasisSd`); funding = basis.
 * - Liquidity provider: per option, `optionLevels` levels a side, the first `optionHalfSpreadVolPts`
 *   vol points from the mark vol, the next `optionLevelStepVolPts` further each, `optionDepth`
 *   contracts each, bids snapped down and asks up to the tick (a bid below the smallest price is
 *   left out). Per perpetual, levels `perpHalfSpreadTicks` ticks from the mark then
 *   `perpLevelStepTicks` apart, `perpDepthUsd` each. The provider re-quotes a book when its mark
 *   has moved by half a tick or more since its last quote, or after a trade took from it; its
 *   orders are post-only and never cross (a level that would is left out).
 * - Takers: per instrument and side, market orders arrive at rate A (per second) and reach a
 *   distance drawn from the exponential law of rate k beyond the mark (options: in vol points of
 *   implied vol; the perpetual: in USD), so a quote at distance delta is reached at the rate
 *   A exp(-k delta) (`src/sim/generators/flow.ts`). Each arrival is an immediate-or-cancel
 *   limit order at the price of its reach, with a lognormal size on the lot.
 * - Expiry: at each expiry (08:00 UTC) the options of that expiry are settled on the exchange at
 *   the 30-minute time-averaged index (`src/sim/delivery.ts`) and leave the market.
 *
 * Books are published as the venue does: a full snapshot of each book at the start, then one
 * `book_change` per book and instant that changed it, with the levels whose amount changed
 * (amount 0: the level left) and change ids consecutive per book.
 *
 * Determinism: one seed, independent random streams per consumer (`spot`, `basis`, `flow`), no
 * wall clock; the same seed and the same calls give the same events.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../model/errors.js';
import { InstrumentCatalog } from '../../model/instrument-catalog.js';
import type { TickSchedule } from '../../model/tick-schedule.js';
import { MS_PER_YEAR } from '../../model/time.js';
import type { MarketEvent, LevelChange, Level } from '../../market/events.js';
import { black76Price } from '../../pricing/black76.js';
import { inverseOptionImpliedVol, venueGreeks } from '../../pricing/coin.js';
import type { OptionKind } from '../../pricing/types.js';
import { timeAveragedDeliveryPrice, DELIVERY_WINDOW_MS } from '../../sim/delivery.js';
import { Exchange } from '../../sim/exchange/exchange.js';
import type { ExchangeEvent, Fill, SettlementEvent, Side } from '../../sim/exchange/types.js';
import { Rng } from '../../sim/random.js';
import { readChain, type ChainQuote } from '../../vol/chain.js';
import { fitChain, type ChainFit } from '../../vol/chain-surface.js';
import type { VolSurface } from '../../vol/surface.js';
import { median } from '../../model/stats.js';

/** The venue name of the simulated market's events. */
export const SIM_VENUE = 'sim';
/** The perpetual the market lists next to the options. */
export const PERPETUAL = 'BTC-PERPETUAL';
/** Participants of the market on the exchange. */
export const LP_PARTICIPANT = 'lp';
export const TAKER_PARTICIPANT = 'takers';

/** A chain read and fitted once (reusable by several markets). */
export interface PreparedChain {
  quotes: readonly ChainQuote[];
  fit: ChainFit;
  /** The snapshot's time: the fit's as-of time (median of the lines' timestamps). */
  asOfMs: number;
  /** The snapshot's index price (median of the lines' `index_price`). */
  indexUsd: number;
}

/** Reads and fits a chain file (`data/deribit/*.jsonl`). */
export async function prepareChain(file: string): Promise<PreparedChain> {
  const chain = await readChain(readFileSync(file, 'utf8'));
  if (chain.quotes.length === 0) throw new InputError('chainFile', file, 'a chain with usable options');
  const fit = fitChain(chain.quotes);
  return {
    quotes: chain.quotes,
    fit,
    asOfMs: fit.asOfMs,
    indexUsd: median(chain.quotes.map((q) => q.indexUsd)),
  };
}

/** The background liquidity provider's quoting. */
export interface LiquidityParams {
  /** Vol points from the mark vol to the first level, each side. */
  optionHalfSpreadVolPts: number;
  /** Vol points between levels. */
  optionLevelStepVolPts: number;
  optionLevels: number;
  /** Contracts per level (a multiple of the lot, 0.1). */
  optionDepth: number;
  /** Ticks from the perpetual's mark to the first level. */
  perpHalfSpreadTicks: number;
  perpLevelStepTicks: number;
  perpLevels: number;
  /** USD per level (a multiple of 10). */
  perpDepthUsd: number;
}

/** The takers' flow: A exp(-k delta) per instrument and side. */
export interface FlowParams {
  /** A: market orders per second per option and side. */
  optionRatePerSide: number;
  /** k: per vol point. */
  optionK: number;
  /** Median size in contracts, and the log-sd of the size. */
  optionSizeMedian: number;
  optionSizeLogSd: number;
  /** A: per second per side for the perpetual. */
  perpRatePerSide: number;
  /** k: per USD. */
  perpK: number;
  perpSizeMedianUsd: number;
  perpSizeLogSd: number;
}

export const DEFAULT_LIQUIDITY: LiquidityParams = {
  optionHalfSpreadVolPts: 1.5,
  optionLevelStepVolPts: 1,
  optionLevels: 3,
  optionDepth: 5,
  perpHalfSpreadTicks: 1,
  perpLevelStepTicks: 2,
  perpLevels: 5,
  perpDepthUsd: 20000,
};

export const DEFAULT_FLOW: FlowParams = {
  optionRatePerSide: 0.005,
  optionK: 0.5,
  optionSizeMedian: 1,
  optionSizeLogSd: 0.8,
  perpRatePerSide: 0.5,
  perpK: 0.1,
  perpSizeMedianUsd: 2000,
  perpSizeLogSd: 1,
};

/** Options of a market. */
export interface SimMarketOptions {
  seed: number | string;
  chain: PreparedChain;
  /** Start of the simulated clock; default the snapshot's time. */
  startMs?: number;
  /** Instruments to list (option names and/or `BTC-PERPETUAL`); default every option and the perpetual. */
  instruments?: readonly string[];
  /** Index vol per year; default the snapshot's 30-day at-the-money implied vol. */
  spotVol?: number;
  /** Index step, ms (default 1000). */
  stepMs?: number;
  /** How often the provider checks its option quotes against the marks, ms (default 5000). */
  optionQuoteMs?: number;
  /** Ticker interval of each option, ms (default 10000), and of the perpetual (default 1000). */
  optionTickerMs?: number;
  perpTickerMs?: number;
  perpBasisSd?: number;
  perpBasisHalfLifeS?: number;
  liquidity?: Partial<LiquidityParams>;
  flow?: Partial<FlowParams>;
  /** Prefix of trade ids (default `sim-<startMs>-`): distinct per run, so a resumed run never repeats one. */
  idPrefix?: string;
}

/** What the market reports while it runs. */
export interface MarketSink {
  /** A public market event. */
  market(event: MarketEvent): void;
  /** Everything an action of the market's participants did on the exchange (fills, order updates, MMP). */
  exchange(fills: readonly Fill[], events: readonly ExchangeEvent[], atMs: number): void;
  /** Expiry settlements (every participant's). */
  settlement(events: readonly SettlementEvent[], atMs: number): void;
}

interface LpOrder {
  orderId: string;
  price: number;
  amount: number;
}

interface Book {
  name: string;
  ticks: TickSchedule;
  changeId: number;
  published: { bids: Map<number, number>; asks: Map<number, number> };
  lpBids: LpOrder[];
  lpAsks: LpOrder[];
  /** Mark at the provider's last quote (NaN: quote now). */
  quotedMark: number;
  dirty: boolean;
}

interface OptionState extends Book {
  kind: OptionKind;
  strike: number;
  expiryMs: number;
  /** F / S at the snapshot. */
  basisRatio: number;
  /** The expiry's fitted time to expiry from the snapshot (where its smile is read). */
  sliceYears: number;
  underlyingIndex: string;
}

const OPTION_TICK = 0.0005;

/** The generated market. */
export class SimMarket {
  readonly exchange: Exchange;
  readonly startMs: number;
  readonly spotVol: number;
  readonly idPrefix: string;
  private readonly surface: VolSurface;
  private readonly lp: LiquidityParams;
  private readonly flow: FlowParams;
  private readonly stepMs: number;
  private readonly optionTickerMs: number;
  private readonly optionQuoteMs: number;
  private nextOptionQuoteMs: number;
  private readonly perpTickerMs: number;
  private readonly basisSd: number;
  private readonly basisHalfLifeS: number;
  private readonly spotRng: Rng;
  private readonly basisRng: Rng;
  private readonly flowRng: Rng;
  private readonly perpFlowRng: Rng;
  private options: OptionState[] = [];
  private readonly optionByName = new Map<string, OptionState>();
  private readonly perp: Book | null;
  private readonly books = new Map<string, Book>();
  private spot: number;
  private basis = 0;
  private now: number;
  private nextStepMs: number;
  private nextOptionTakerMs = Number.POSITIVE_INFINITY;
  private nextPerpTakerMs = Number.POSITIVE_INFINITY;
  private nextOptionTickerMs: number;
  private nextPerpTickerMs: number;
  /** Index samples of the last delivery window (and the one before it). */
  private readonly indexTimes: number[] = [];
  private readonly indexPrices: number[] = [];
  private expiries: number[];
  private started = false;

  constructor(
    private readonly o: SimMarketOptions,
    private readonly sink: MarketSink,
  ) {
    const chain = o.chain;
    this.surface = chain.fit.surface;
    this.startMs = o.startMs ?? chain.asOfMs;
    this.idPrefix = o.idPrefix ?? `sim-${this.startMs}-`;
    this.lp = { ...DEFAULT_LIQUIDITY, ...o.liquidity };
    this.flow = { ...DEFAULT_FLOW, ...o.flow };
    this.stepMs = positive('stepMs', o.stepMs ?? 1000);
    this.optionTickerMs = positive('optionTickerMs', o.optionTickerMs ?? 10000);
    this.optionQuoteMs = positive('optionQuoteMs', o.optionQuoteMs ?? 5000);
    this.perpTickerMs = positive('perpTickerMs', o.perpTickerMs ?? 1000);
    this.basisSd = o.perpBasisSd ?? 0.0002;
    this.basisHalfLifeS = positive('perpBasisHalfLifeS', o.perpBasisHalfLifeS ?? 3600);
    this.spotVol = positive('spotVol', o.spotVol ?? this.surface.volAt(0, 30 / 365));
    const root = new Rng(o.seed);
    this.spotRng = root.stream('spot');
    this.basisRng = root.stream('basis');
    this.flowRng = root.stream('flow/options');
    this.perpFlowRng = root.stream('flow/perpetual');
    this.spot = chain.indexUsd;
    this.now = this.startMs;
    this.nextStepMs = this.startMs + this.stepMs;
    this.nextOptionTickerMs = this.startMs + this.optionTickerMs;
    this.nextOptionQuoteMs = this.startMs + this.optionQuoteMs;
    this.nextPerpTickerMs = this.startMs + this.perpTickerMs;
    this.exchange = new Exchange({
      greeks: (instrument, atMs) => this.unitGreeks(instrument, atMs),
    });

    const wanted = o.instruments === undefined ? null : new Set(o.instruments);
    for (const q of chain.quotes) {
      if (wanted !== null && !wanted.has(q.instrumentName)) continue;
      if (q.expiryMs <= this.startMs) continue;
      const option: OptionState = {
        ...this.newBook(q.instrumentName),
        kind: q.kind,
        strike: q.strike,
        expiryMs: q.expiryMs,
        basisRatio: this.surface.forward(q.expiryMs) / chain.indexUsd,
        sliceYears: this.surface.yearsTo(q.expiryMs),
        underlyingIndex: q.underlyingIndex ?? `SYN.${q.instrumentName.split('-').slice(0, 2).join('-')}`,
      };
      this.options.push(option);
      this.optionByName.set(option.name, option);
      this.books.set(option.name, option);
    }
    if (wanted !== null) {
      for (const name of wanted)
        if (name !== PERPETUAL && !this.optionByName.has(name))
          throw new InputError(
            'instruments',
            name,
            'an option of the chain not expired at the start, or BTC-PERPETUAL',
          );
    }
    this.perp = wanted === null || wanted.has(PERPETUAL) ? this.newBook(PERPETUAL) : null;
    if (this.perp !== null) this.books.set(PERPETUAL, this.perp);
    this.expiries = [...new Set(this.options.map((x) => x.expiryMs))].sort((a, b) => a - b);
    this.recordIndex(this.startMs);
  }

  // ---------------------------------------------------------------- reading

  /** The simulated clock. */
  nowMs(): number {
    return this.now;
  }

  /** The index price now. */
  index(): number {
    return this.spot;
  }

  /** The perpetual's mark now. */
  perpMark(): number {
    return this.spot * (1 + this.basis);
  }

  /** Names of the instruments listed now (options not yet expired, then the perpetual). */
  instruments(): string[] {
    const names = this.options.map((x) => x.name);
    if (this.perp !== null) names.push(PERPETUAL);
    return names;
  }

  /** Whether an option of the market is listed (not expired). */
  isListed(name: string): boolean {
    return this.books.has(name);
  }

  /** An option's forward now. */
  forward(name: string): number {
    const option = this.option(name);
    return this.spot * option.basisRatio;
  }

  /** An option's mark implied vol now (decimal): its expiry's fitted smile at ln(K / F(now)). */
  markVol(name: string): number {
    const option = this.option(name);
    return this.volOf(option, this.spot * option.basisRatio);
  }

  /** An option's mark price in coin now. */
  markPrice(name: string): number {
    const option = this.option(name);
    return this.markOf(option, this.now);
  }

  // ---------------------------------------------------------------- running

  /** Places the provider's quotes and publishes every book's snapshot and every ticker at the start. */
  open(): void {
    if (this.started) return;
    this.started = true;
    for (const book of this.books.values()) this.quote(book, this.now);
    for (const book of this.books.values()) this.publishSnapshot(book, this.now);
    this.tickers(true, this.perp !== null, this.now);
    this.nextOptionTakerMs = this.drawNext(this.flowRng, this.optionFlowRate(), this.now);
    this.nextPerpTakerMs =
      this.perp === null
        ? Number.POSITIVE_INFINITY
        : this.drawNext(this.perpFlowRng, 2 * this.flow.perpRatePerSide, this.now);
  }

  /** Runs the market up to `targetMs` (inclusive), emitting everything in time order. */
  advanceTo(targetMs: number): void {
    if (!this.started) this.open();
    for (;;) {
      const expiry = this.expiries[0] ?? Number.POSITIVE_INFINITY;
      const next = Math.min(this.nextStepMs, this.nextOptionTakerMs, this.nextPerpTakerMs, expiry);
      if (next > targetMs) break;
      this.now = next;
      if (next === expiry) this.expire(expiry);
      else if (next === this.nextStepMs) this.step(next);
      else if (next === this.nextOptionTakerMs) this.optionTaker(next);
      else this.perpTaker(next);
      this.flushBooks(next);
    }
    if (targetMs > this.now) this.now = targetMs;
  }

  /** Marks a book as touched (an order of ours): its change is published at the next `flushBooks`. */
  touch(instrument: string): void {
    const book = this.books.get(instrument);
    if (book !== undefined) book.dirty = true;
  }

  /** Publishes a `book_change` for every book touched since the last flush. */
  flushBooks(atMs: number): void {
    for (const book of this.books.values()) {
      if (!book.dirty) continue;
      book.dirty = false;
      this.publishChange(book, atMs);
    }
  }

  /** A trade of the tape: publishes it and lets the provider refresh the book it took from. */
  tape(fills: readonly Fill[]): void {
    for (const fill of fills) {
      const book = this.books.get(fill.instrument);
      if (book === undefined) continue;
      book.dirty = true;
      if (fill.makerParticipant === LP_PARTICIPANT) book.quotedMark = Number.NaN;
      const event: MarketEvent = {
        type: 'trade',
        venue: SIM_VENUE,
        instrument: fill.instrument,
        timestampMs: fill.timestampMs,
        tradeId: `${this.idPrefix}${fill.tradeId}`,
        tradeSeq: fill.tradeId,
        price: fill.price,
        amount: fill.amount,
        side: fill.takerSide,
        indexPrice: this.spot,
      };
      const option = this.optionByName.get(fill.instrument);
      if (option !== undefined) {
        event.markPrice = this.markOf(option, fill.timestampMs);
        event.iv = round(100 * this.volOf(option, this.spot * option.basisRatio), 2);
      } else event.markPrice = this.perpMark();
      this.sink.market(event);
    }
  }

  // ---------------------------------------------------------------- internals

  private newBook(name: string): Book {
    return {
      name,
      ticks: this.exchangeTicks(name),
      changeId: 0,
      published: { bids: new Map(), asks: new Map() },
      lpBids: [],
      lpAsks: [],
      quotedMark: Number.NaN,
      dirty: false,
    };
  }

  /** The tick schedule the exchange checks (both read the built-in instrument table). */
  private exchangeTicks(name: string): TickSchedule {
    return SHARED_CATALOG.ticks(name);
  }

  private option(name: string): OptionState {
    const option = this.optionByName.get(name);
    if (option === undefined) throw new InputError('instrument', name, 'a listed option of the market');
    return option;
  }

  private volOf(option: OptionState, forward: number): number {
    return this.surface.volAt(Math.log(option.strike / forward), option.sliceYears);
  }

  private markOf(option: OptionState, atMs: number): number {
    const forward = this.spot * option.basisRatio;
    const tau = (option.expiryMs - atMs) / MS_PER_YEAR;
    if (!(tau > 0)) return Number.NaN;
    return black76Price(option.kind, forward, option.strike, tau, this.volOf(option, forward), 0) / forward;
  }

  private priceAtVol(option: OptionState, vol: number, atMs: number): number {
    const forward = this.spot * option.basisRatio;
    const tau = (option.expiryMs - atMs) / MS_PER_YEAR;
    return black76Price(option.kind, forward, option.strike, tau, Math.max(vol, 0.01), 0) / forward;
  }

  private unitGreeks(instrument: string, atMs: number): { delta: number; vega: number } {
    const option = this.optionByName.get(instrument);
    if (option === undefined) return { delta: instrument === PERPETUAL ? 1 / this.perpMark() : 0, vega: 0 };
    const forward = this.spot * option.basisRatio;
    const tau = (option.expiryMs - atMs) / MS_PER_YEAR;
    if (!(tau > 0)) return { delta: 0, vega: 0 };
    const g = venueGreeks(option.kind, forward, option.strike, tau, this.volOf(option, forward), 0);
    return { delta: g.deltaPerCoin, vega: g.vegaUsdPerVolPoint };
  }

  private optionFlowRate(): number {
    return 2 * this.flow.optionRatePerSide * this.options.length;
  }

  private drawNext(rng: Rng, rate: number, fromMs: number): number {
    if (!(rate > 0)) return Number.POSITIVE_INFINITY;
    return fromMs + Math.max(1, Math.round(rng.exponential(rate) * 1000));
  }

  private recordIndex(atMs: number): void {
    this.indexTimes.push(atMs);
    this.indexPrices.push(this.spot);
    // Keep one sample at or before the next delivery window's start, and all after it.
    const expiry = this.expiries[0];
    if (expiry === undefined) {
      this.indexTimes.splice(0, this.indexTimes.length - 1);
      this.indexPrices.splice(0, this.indexPrices.length - 1);
      return;
    }
    const windowStart = expiry - DELIVERY_WINDOW_MS;
    let drop = 0;
    while (drop + 1 < this.indexTimes.length && this.indexTimes[drop + 1]! <= windowStart) drop++;
    if (drop > 0) {
      this.indexTimes.splice(0, drop);
      this.indexPrices.splice(0, drop);
    }
  }

  private step(atMs: number): void {
    const dt = this.stepMs / MS_PER_YEAR;
    const z = this.spotRng.normal();
    this.spot *= Math.exp(-0.5 * this.spotVol * this.spotVol * dt + this.spotVol * Math.sqrt(dt) * z);
    const theta = Math.LN2 / this.basisHalfLifeS;
    const decay = Math.exp((-theta * this.stepMs) / 1000);
    this.basis = this.basis * decay + this.basisSd * Math.sqrt(1 - decay * decay) * this.basisRng.normal();
    this.recordIndex(atMs);
    this.nextStepMs = atMs + this.stepMs;
    if (atMs >= this.nextOptionQuoteMs) {
      this.nextOptionQuoteMs += this.optionQuoteMs;
      for (const option of this.options) this.maybeQuote(option, atMs);
    }
    if (this.perp !== null) this.maybeQuote(this.perp, atMs);
    const optionTickers = atMs >= this.nextOptionTickerMs;
    const perpTickers = atMs >= this.nextPerpTickerMs;
    if (optionTickers) this.nextOptionTickerMs += this.optionTickerMs;
    if (perpTickers) this.nextPerpTickerMs += this.perpTickerMs;
    if (optionTickers || perpTickers) {
      this.flushBooks(atMs);
      this.tickers(optionTickers, perpTickers && this.perp !== null, atMs);
    }
  }

  private maybeQuote(book: Book, atMs: number): void {
    const mark = book === this.perp ? this.perpMark() : this.markOf(book as OptionState, atMs);
    // The perpetual follows its mark within half a tick; an option's ladder moves a whole tick.
    const threshold = book === this.perp ? book.ticks.tickAt(mark, atMs) / 2 : OPTION_TICK;
    if (Number.isNaN(book.quotedMark) || Math.abs(mark - book.quotedMark) >= threshold)
      this.quote(book, atMs);
  }

  /** Sets the provider's levels of a book to its targets around the mark now. */
  private quote(book: Book, atMs: number): void {
    const targets =
      book === this.perp ? this.perpTargets(atMs) : this.optionTargets(book as OptionState, atMs);
    if (targets === null) return;
    book.quotedMark = targets.mark;
    // Stale levels of both sides go first, so that a new level never meets an old one across.
    const keepBids = this.cancelStale(book, 'buy', targets.bids, atMs);
    const keepAsks = this.cancelStale(book, 'sell', targets.asks, atMs);
    book.lpBids = this.placeLevels(book, 'buy', targets.bids, keepBids, atMs);
    book.lpAsks = this.placeLevels(book, 'sell', targets.asks, keepAsks, atMs);
  }

  private optionTargets(
    option: OptionState,
    atMs: number,
  ): { mark: number; bids: number[]; asks: number[] } | null {
    const mark = this.markOf(option, atMs);
    if (!Number.isFinite(mark)) return null;
    const vol = this.volOf(option, this.spot * option.basisRatio);
    const bids: number[] = [];
    const asks: number[] = [];
    const lp = this.lp;
    for (let i = 0; i < lp.optionLevels; i++) {
      const d = (lp.optionHalfSpreadVolPts + i * lp.optionLevelStepVolPts) / 100;
      const bid = option.ticks.snap(this.priceAtVol(option, vol - d, atMs), atMs, 'down');
      if (bid >= OPTION_TICK && !bids.includes(bid) && bid < mark) bids.push(bid);
      let ask = option.ticks.snap(this.priceAtVol(option, vol + d, atMs), atMs, 'up');
      if (ask < OPTION_TICK) ask = OPTION_TICK;
      while (asks.includes(ask) || ask <= mark) ask = option.ticks.snap(ask + OPTION_TICK, atMs, 'nearest');
      asks.push(ask);
    }
    return { mark, bids, asks };
  }

  private perpTargets(atMs: number): { mark: number; bids: number[]; asks: number[] } {
    const mark = this.perpMark();
    const book = this.perp as Book;
    const tick = book.ticks.tickAt(mark, atMs);
    const bids: number[] = [];
    const asks: number[] = [];
    const lp = this.lp;
    for (let i = 0; i < lp.perpLevels; i++) {
      const d = (lp.perpHalfSpreadTicks + i * lp.perpLevelStepTicks) * tick;
      bids.push(book.ticks.snap(mark - d, atMs, 'down'));
      asks.push(book.ticks.snap(mark + d, atMs, 'up'));
    }
    return { mark, bids, asks };
  }

  /** Cancels the provider's orders of a side that are off target or partly taken; returns the rest. */
  private cancelStale(book: Book, side: Side, prices: readonly number[], atMs: number): LpOrder[] {
    const depth = book === this.perp ? this.lp.perpDepthUsd : this.lp.optionDepth;
    const keep: LpOrder[] = [];
    for (const order of side === 'buy' ? book.lpBids : book.lpAsks) {
      const live = this.exchange.getOrder(order.orderId);
      if (
        live !== undefined &&
        live.filledAmount === 0 &&
        live.amount === depth &&
        prices.includes(order.price)
      )
        keep.push(order);
      else {
        if (live !== undefined) this.exchange.cancel(order.orderId, LP_PARTICIPANT, atMs);
        book.dirty = true;
      }
    }
    return keep;
  }

  /** Places the levels of a side not already kept (post-only: a level that would cross is left out). */
  private placeLevels(
    book: Book,
    side: Side,
    prices: readonly number[],
    keep: readonly LpOrder[],
    atMs: number,
  ): LpOrder[] {
    const depth = book === this.perp ? this.lp.perpDepthUsd : this.lp.optionDepth;
    const placed: LpOrder[] = [...keep];
    const opposite = this.exchange.depth(book.name, side === 'buy' ? 'asks' : 'bids')[0]?.price;
    for (const price of prices) {
      if (keep.some((o) => o.price === price)) continue;
      if (opposite !== undefined && (side === 'buy' ? price >= opposite : price <= opposite)) continue;
      const r = this.exchange.submit(
        {
          participant: LP_PARTICIPANT,
          instrument: book.name,
          side,
          amount: depth,
          price,
          postOnly: true,
          rejectPostOnly: true,
        },
        atMs,
      );
      if (r.order.state === 'open') {
        placed.push({ orderId: r.order.orderId, price: r.order.price as number, amount: depth });
        book.dirty = true;
      }
    }
    return placed;
  }

  private optionTaker(atMs: number): void {
    const rng = this.flowRng;
    const n = this.options.length;
    if (n > 0) {
      const option = this.options[rng.int(n)]!;
      const side: Side = rng.uniform() < 0.5 ? 'buy' : 'sell';
      const reachVolPts = rng.exponential(this.flow.optionK);
      const size = lotSize(
        this.flow.optionSizeMedian * Math.exp(this.flow.optionSizeLogSd * rng.normal()),
        0.1,
      );
      const vol = this.volOf(option, this.spot * option.basisRatio);
      const raw = this.priceAtVol(option, vol + (side === 'buy' ? 1 : -1) * (reachVolPts / 100), atMs);
      let price = option.ticks.snap(raw, atMs, side === 'buy' ? 'down' : 'up');
      if (price < OPTION_TICK) price = OPTION_TICK;
      this.take(option.name, side, size, price, atMs);
    }
    this.nextOptionTakerMs = this.drawNext(rng, this.optionFlowRate(), atMs);
  }

  private perpTaker(atMs: number): void {
    const rng = this.perpFlowRng;
    const book = this.perp as Book;
    const side: Side = rng.uniform() < 0.5 ? 'buy' : 'sell';
    const reach = rng.exponential(this.flow.perpK);
    const size = lotSize(this.flow.perpSizeMedianUsd * Math.exp(this.flow.perpSizeLogSd * rng.normal()), 10);
    const mark = this.perpMark();
    const price = book.ticks.snap(
      mark + (side === 'buy' ? reach : -reach),
      atMs,
      side === 'buy' ? 'down' : 'up',
    );
    this.take(PERPETUAL, side, size, price, atMs);
    this.nextPerpTakerMs = this.drawNext(rng, 2 * this.flow.perpRatePerSide, atMs);
  }

  private take(instrument: string, side: Side, amount: number, price: number, atMs: number): void {
    const r = this.exchange.submit(
      {
        participant: TAKER_PARTICIPANT,
        instrument,
        side,
        amount,
        price,
        timeInForce: 'immediate_or_cancel',
      },
      atMs,
    );
    if (r.fills.length === 0 && r.events.length === 0) return;
    this.tape(r.fills);
    this.sink.exchange(r.fills, r.events, atMs);
    const book = this.books.get(instrument);
    if (book !== undefined) book.dirty = true;
  }

  private expire(expiryMs: number): void {
    this.expiries.shift();
    const times = [...this.indexTimes];
    const prices = [...this.indexPrices];
    const windowStart = expiryMs - DELIVERY_WINDOW_MS;
    if (times[0]! > windowStart) {
      // The run started inside the window: the index before it is the first one known.
      times.unshift(windowStart);
      prices.unshift(prices[0]!);
    }
    const delivery = round(timeAveragedDeliveryPrice({ timestampMs: times, prices }, expiryMs), 2);
    const expiring = this.options.filter((x) => x.expiryMs === expiryMs);
    const settlements: SettlementEvent[] = [];
    for (const option of expiring) {
      settlements.push(...this.exchange.settle(option.name, delivery, expiryMs));
      option.lpBids = [];
      option.lpAsks = [];
      this.publishChange(option, expiryMs);
      this.books.delete(option.name);
      this.optionByName.delete(option.name);
    }
    this.options = this.options.filter((x) => x.expiryMs !== expiryMs);
    this.sink.settlement(settlements, expiryMs);
    this.recordIndex(expiryMs);
  }

  private tickers(options: boolean, perp: boolean, atMs: number): void {
    if (options) for (const option of this.options) this.optionTicker(option, atMs);
    if (perp) {
      const mark = this.perpMark();
      this.sink.market({
        type: 'ticker',
        venue: SIM_VENUE,
        instrument: PERPETUAL,
        timestampMs: atMs,
        markPrice: round(mark, 2),
        indexPrice: round(this.spot, 2),
        fundingRate: round(this.basis, 8),
        funding8h: round(this.basis, 8),
        ...this.bestOf(PERPETUAL),
      });
    }
  }

  private optionTicker(option: OptionState, atMs: number): void {
    const forward = this.spot * option.basisRatio;
    const tau = (option.expiryMs - atMs) / MS_PER_YEAR;
    if (!(tau > 0)) return;
    const vol = this.volOf(option, forward);
    const g = venueGreeks(option.kind, forward, option.strike, tau, vol, 0);
    const best = this.bestOf(option.name);
    // The venue's `bid_iv` / `ask_iv`: the implied vols of the best bid and ask at the forward
    // (left out where a price has none, at or below intrinsic).
    const ivOf = (premiumCoin: number | undefined): number | undefined => {
      if (premiumCoin === undefined) return undefined;
      try {
        return round(
          100 * inverseOptionImpliedVol(option.kind, premiumCoin, forward, option.strike, tau, 0),
          2,
        );
      } catch (error) {
        if (error instanceof InputError) return undefined;
        throw error;
      }
    };
    const bidIv = ivOf(best.bidPrice);
    const askIv = ivOf(best.askPrice);
    this.sink.market({
      type: 'ticker',
      venue: SIM_VENUE,
      instrument: option.name,
      timestampMs: atMs,
      markPrice: round(g.priceCoin, 8),
      markIv: round(100 * vol, 2),
      ...(bidIv === undefined ? {} : { bidIv }),
      ...(askIv === undefined ? {} : { askIv }),
      underlyingPrice: round(forward, 2),
      underlyingIndex: option.underlyingIndex,
      indexPrice: round(this.spot, 2),
      ...best,
      delta: round(g.deltaPerCoin, 5),
      gamma: round(g.gammaPerUsd, 5),
      vega: round(g.vegaUsdPerVolPoint, 5),
      theta: round(g.thetaUsdPerDay, 5),
    });
  }

  /** Best bid and ask as last published (books are flushed before tickers). */
  private bestOf(name: string): {
    bidPrice?: number;
    bidAmount?: number;
    askPrice?: number;
    askAmount?: number;
  } {
    const book = this.books.get(name);
    if (book === undefined) return {};
    let bid = Number.NEGATIVE_INFINITY;
    let ask = Number.POSITIVE_INFINITY;
    for (const price of book.published.bids.keys()) if (price > bid) bid = price;
    for (const price of book.published.asks.keys()) if (price < ask) ask = price;
    return {
      ...(bid === Number.NEGATIVE_INFINITY
        ? {}
        : { bidPrice: bid, bidAmount: book.published.bids.get(bid)! }),
      ...(ask === Number.POSITIVE_INFINITY
        ? {}
        : { askPrice: ask, askAmount: book.published.asks.get(ask)! }),
    };
  }

  private levels(name: string, side: 'bids' | 'asks'): Level[] {
    return this.exchange.depth(name, side).map((l) => ({ price: l.price, amount: l.amount }));
  }

  private publishSnapshot(book: Book, atMs: number): void {
    const bids = this.levels(book.name, 'bids');
    const asks = this.levels(book.name, 'asks');
    book.published = {
      bids: new Map(bids.map((l) => [l.price, l.amount])),
      asks: new Map(asks.map((l) => [l.price, l.amount])),
    };
    book.changeId += 1;
    book.dirty = false;
    this.sink.market({
      type: 'book_snapshot',
      venue: SIM_VENUE,
      instrument: book.name,
      timestampMs: atMs,
      changeId: book.changeId,
      bids,
      asks,
      full: true,
    });
  }

  private publishChange(book: Book, atMs: number): void {
    const bids = diffSide(book.published.bids, this.levels(book.name, 'bids'), true);
    const asks = diffSide(book.published.asks, this.levels(book.name, 'asks'), false);
    if (bids.length === 0 && asks.length === 0) return;
    const prev = book.changeId;
    book.changeId += 1;
    this.sink.market({
      type: 'book_change',
      venue: SIM_VENUE,
      instrument: book.name,
      timestampMs: atMs,
      changeId: book.changeId,
      prevChangeId: prev,
      bids,
      asks,
    });
  }
}

/** Level changes from `published` to `now` (best first), updating `published`. */
function diffSide(published: Map<number, number>, now: readonly Level[], isBid: boolean): LevelChange[] {
  const changes: LevelChange[] = [];
  const seen = new Set<number>();
  for (const level of now) {
    seen.add(level.price);
    const before = published.get(level.price);
    if (before === level.amount) continue;
    changes.push({
      price: level.price,
      amount: level.amount,
      action: before === undefined ? 'new' : 'change',
    });
    published.set(level.price, level.amount);
  }
  for (const price of [...published.keys()]) {
    if (seen.has(price)) continue;
    changes.push({ price, amount: 0, action: 'delete' });
    published.delete(price);
  }
  changes.sort((a, b) => (isBid ? b.price - a.price : a.price - b.price));
  return changes;
}

const SHARED_CATALOG = new InstrumentCatalog();

function lotSize(raw: number, lot: number): number {
  const lots = Math.max(1, Math.round(raw / lot));
  return lot < 1 ? Number((lots * lot).toFixed(1)) : lots * lot;
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

function positive(field: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InputError(field, value, 'a positive finite number');
  return value;
}
