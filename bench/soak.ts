/**
 * The soak benchmark (issue 9, must-show): the engine (`Engine`, default core config: quoting and
 * hedging) on a real SQLite journal in a temp directory, fed in real time by a load venue at
 * 5,000 market events and 200 fills of our own orders per second for 10 minutes.
 *
 *   npx tsx bench/soak.ts [--minutes 10] [--events 5000] [--fills 200] [--tick 10]
 *                         [--out bench/RESULTS-soak.md | --no-write]
 *   node --expose-gc --import tsx bench/soak.ts ...     (memory sampled after a forced GC)
 *
 * The load venue (`LoadVenue`, a `VenueAdapter`) wakes every `--tick` ms and emits everything
 * due by the wall clock since the start (a late tick catches up; nothing is dropped):
 * - market events on 50 options of the real chain (`data/deribit/`, three expiries nearest the
 *   money) and BTC-PERPETUAL: `book_change` with consecutive change ids per book (on a fixed
 *   price grid, so books stay bounded and never cross), tickers (options: mark, bid and ask iv,
 *   underlying, index; the perpetual: mark, index) about every 100 ms per instrument, and trades;
 *   the index is a random walk (60% a year);
 * - our fills: partial fills (0.1 contract) of the engine's own resting quotes, on the side that
 *   brings the instrument's position back toward zero when it can, each with its `order` update;
 *   when none of our orders rests, a synthetic fill (a unique trade id, an order id that is not
 *   ours) keeps the rate, and the report counts both kinds;
 * - answers to the engine's commands (place, edit, cancel, cancel all, order queries,
 *   reconcile), at the next tick: `order` updates, `reject`s, `account`. A hedge (immediate or
 *   cancel on the perpetual) fills at once.
 * Event times are the chain snapshot's time plus the wall time elapsed (the engine's timer uses
 * the same clock), so the core's schedules (requote 1 s, refit 60 s, timeouts) run in real time.
 *
 * Measured: per input, from its arrival at the engine (`push`, which the venue calls when it
 * emits it) to its batch journaled, applied and its commands handed to the venue (the Engine's
 * `onApplied` hook); the same from the input's due time on the generator's schedule (adds the
 * generator's tick lateness: what a sender would see); batch sizes of the group commit; RSS and
 * heap used every 5 s (after a forced GC when `--expose-gc`), with the slope of a least-squares
 * line over the run's second half; CPU time; the journal's size; the load average.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { DEFAULT_RUN_CONFIG, coreConfigOf } from '../src/engine/config.js';
import { Engine } from '../src/engine/loop.js';
import type { EngineInput, VenueAdapter, VenueCommand, VenueOrder } from '../src/engine/types.js';
import type { FillEvent, Side } from '../src/inventory/events.js';
import { parseMoney } from '../src/inventory/money.js';
import type { Level, MarketEvent } from '../src/market/events.js';
import { black76 } from '../src/pricing/black76.js';
import { MS_PER_YEAR } from '../src/model/time.js';
import { SqliteJournal } from '../src/store/sqlite/journal.js';

const VENUE = 'soak';
const PERP = 'BTC-PERPETUAL';

// ------------------------------------------------------------------ arguments

interface Args {
  minutes: number;
  events: number;
  fills: number;
  tickMs: number;
  out: string | null;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    minutes: 10,
    events: 5000,
    fills: 200,
    tickMs: 10,
    out: 'bench/RESULTS-soak.md',
    seed: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${k} needs a positive number, got ${v}`);
      i += 1;
      return n;
    };
    if (k === '--minutes') a.minutes = num();
    else if (k === '--events') a.events = num();
    else if (k === '--fills') a.fills = num();
    else if (k === '--tick') a.tickMs = num();
    else if (k === '--seed') a.seed = num();
    else if (k === '--out') {
      a.out = v ?? null;
      i += 1;
    } else if (k === '--no-write') a.out = null;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

/** A small seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ the market

interface Instrument {
  name: string;
  option: boolean;
  isCall: boolean;
  strike: number;
  expiryMs: number;
  /** Underlying (the expiry's forward) / index at the snapshot. */
  forwardRatio: number;
  markIv: number;
  /** Fixed price grid: bids at center - (i+1) tick, asks at center + (i+1) tick. */
  center: number;
  tick: number;
  bidAmounts: number[];
  askAmounts: number[];
  changeId: number;
}

interface ChainLine {
  instrument_name: string;
  option_type: 'call' | 'put';
  strike: number;
  expiration_timestamp: number;
  timestamp: number;
  underlying_price: number;
  index_price: number;
  mark_iv: number;
  mark_price: number;
}

const LEVELS = 10;

function loadMarket(
  count: number,
  random: () => number,
): { instruments: Instrument[]; startMs: number; index: number } {
  const lines = readFileSync(join('data', 'deribit', 'btc-options-2020-05-21.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ChainLine);
  const times = lines.map((l) => l.timestamp).sort((a, b) => a - b);
  const startMs = times[times.length >> 1] as number;
  const index = lines[0]!.index_price;
  // The three nearest expiries more than a day away; per expiry the strikes nearest the money.
  const expiries = [...new Set(lines.map((l) => l.expiration_timestamp))]
    .filter((e) => e - startMs > 86_400_000)
    .sort((a, b) => a - b)
    .slice(0, 3);
  const chosen: ChainLine[] = [];
  for (const [i, e] of expiries.entries()) {
    const per = Math.floor(count / expiries.length) + (i < count % expiries.length ? 1 : 0);
    const slice = lines
      .filter((l) => l.expiration_timestamp === e && l.mark_iv > 0)
      .sort(
        (a, b) =>
          Math.abs(Math.log(a.strike / a.underlying_price)) -
          Math.abs(Math.log(b.strike / b.underlying_price)),
      );
    chosen.push(...slice.slice(0, per));
  }
  const amounts = (): number[] => Array.from({ length: LEVELS }, () => Math.round(1 + random() * 20) / 2);
  const instruments: Instrument[] = chosen.map((l) => ({
    name: l.instrument_name,
    option: true,
    isCall: l.option_type === 'call',
    strike: l.strike,
    expiryMs: l.expiration_timestamp,
    forwardRatio: l.underlying_price / l.index_price,
    markIv: l.mark_iv,
    center: Math.max(0.0005 * (LEVELS + 2), Math.round(l.mark_price / 0.0005) * 0.0005),
    tick: 0.0005,
    bidAmounts: amounts(),
    askAmounts: amounts(),
    changeId: 1000,
  }));
  instruments.push({
    name: PERP,
    option: false,
    isCall: false,
    strike: 0,
    expiryMs: 0,
    forwardRatio: 1,
    markIv: 0,
    center: Math.round(index * 2) / 2,
    tick: 0.5,
    bidAmounts: amounts().map((a) => a * 10000),
    askAmounts: amounts().map((a) => a * 10000),
    changeId: 1000,
  });
  return { instruments, startMs, index };
}

function gridPrice(ins: Instrument, side: 'bid' | 'ask', level: number): number {
  const p = side === 'bid' ? ins.center - (level + 1) * ins.tick : ins.center + (level + 1) * ins.tick;
  return Math.round(p / ins.tick) * ins.tick;
}

// ------------------------------------------------------------------ the load venue

interface Resting {
  clientOrderId: string;
  orderId: string;
  instrument: string;
  side: Side;
  price: number;
  amount: number;
  filled: number;
  postOnly: boolean;
}

/** Counters the report reads. */
interface VenueCounts {
  market: number;
  bookChanges: number;
  tickers: number;
  trades: number;
  fills: number;
  ownFills: number;
  syntheticFills: number;
  hedgeFills: number;
  orderUpdates: number;
  rejects: number;
  commands: Record<string, number>;
}

class LoadVenue implements VenueAdapter {
  readonly venue = VENUE;
  private sink: ((input: EngineInput) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private emittedMarket = 0;
  private emittedFills = 0;
  private tradeSeq = 0;
  private orderSeq = 0;
  private fillSeq = 0;
  private index: number;
  private lastIndexMs = 0;
  private readonly outbox: EngineInput[] = [];
  private readonly resting = new Map<string, Resting>();
  /** The latest 1,000 orders done, by client id (for queries after the end: a query comes within seconds). */
  private readonly done = new Map<string, VenueOrder>();
  private readonly positions = new Map<string, number>();
  private lastTradeId: string | null = null;
  private readonly options: Instrument[];
  /** When each input was due on the schedule (performance.now() ms). */
  readonly due = new WeakMap<EngineInput, number>();
  /** Ticks' lateness behind their schedule, ms (max per minute kept by the caller). */
  lateness = 0;
  readonly counts: VenueCounts = {
    market: 0,
    bookChanges: 0,
    tickers: 0,
    trades: 0,
    fills: 0,
    ownFills: 0,
    syntheticFills: 0,
    hedgeFills: 0,
    orderUpdates: 0,
    rejects: 0,
    commands: {},
  };

  constructor(
    private readonly instruments: Instrument[],
    private readonly startMs: number,
    index: number,
    private readonly eventsPerS: number,
    private readonly fillsPerS: number,
    private readonly tickMs: number,
    private readonly random: () => number,
  ) {
    this.index = index;
    this.options = instruments.filter((i) => i.option);
  }

  /** The venue's clock: the snapshot's time plus the wall time since start. */
  clock = (): number => Math.floor(this.startMs + (performance.now() - this.t0));

  async start(sink: (input: EngineInput) => void): Promise<void> {
    this.sink = sink;
    this.t0 = performance.now();
    const at = this.clock();
    this.emit({ kind: 'connection', venue: VENUE, timestampMs: at, state: 'up', reason: 'soak' }, this.t0);
    for (const ins of this.instruments) {
      const bids: Level[] = ins.bidAmounts.map((amount, i) => ({ price: gridPrice(ins, 'bid', i), amount }));
      const asks: Level[] = ins.askAmounts.map((amount, i) => ({ price: gridPrice(ins, 'ask', i), amount }));
      this.emit(
        {
          kind: 'market',
          event: {
            type: 'book_snapshot',
            venue: VENUE,
            instrument: ins.name,
            timestampMs: at,
            changeId: ins.changeId,
            bids,
            asks,
            full: true,
          },
        },
        this.t0,
      );
      this.emit({ kind: 'market', event: this.ticker(ins, at) }, this.t0);
    }
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private emit(input: EngineInput, dueMs: number): void {
    this.due.set(input, dueMs);
    this.sink?.(input);
  }

  /** Everything due by now on the schedule, and the answers queued since the last tick. */
  private tick(): void {
    const now = performance.now();
    const elapsed = now - this.t0;
    for (const input of this.outbox.splice(0)) this.emit(input, now);
    const wantMarket = Math.floor((elapsed / 1000) * this.eventsPerS);
    const wantFills = Math.floor((elapsed / 1000) * this.fillsPerS);
    const firstDue = this.t0 + ((this.emittedMarket + 1) / this.eventsPerS) * 1000;
    if (wantMarket > this.emittedMarket) this.lateness = Math.max(this.lateness, now - firstDue);
    // Market and fills interleaved in schedule order.
    while (this.emittedMarket < wantMarket || this.emittedFills < wantFills) {
      const mDue = this.t0 + ((this.emittedMarket + 1) / this.eventsPerS) * 1000;
      const fDue = this.t0 + ((this.emittedFills + 1) / this.fillsPerS) * 1000;
      if (this.emittedMarket < wantMarket && (this.emittedFills >= wantFills || mDue <= fDue)) {
        this.emittedMarket += 1;
        this.marketEvent(mDue);
      } else {
        this.emittedFills += 1;
        this.fill(fDue);
      }
    }
  }

  private marketEvent(dueMs: number): void {
    const at = Math.floor(this.startMs + (dueMs - this.t0));
    // The index: a random walk, 60% a year, stepped per ms of event time.
    if (at > this.lastIndexMs) {
      const dt = this.lastIndexMs === 0 ? 0 : at - this.lastIndexMs;
      this.index *= Math.exp(0.6 * Math.sqrt(dt / MS_PER_YEAR) * gauss(this.random));
      this.lastIndexMs = at;
    }
    const n = this.emittedMarket;
    const count = this.instruments.length;
    // Per 5,000: ~510 tickers (each instrument ~every 100 ms), ~100 trades, the rest book changes.
    const tickerEvery = Math.max(1, Math.round(this.eventsPerS / (count * 10)));
    let event: MarketEvent;
    if (n % tickerEvery === 0) {
      event = this.ticker(this.instruments[Math.floor(n / tickerEvery) % count] as Instrument, at);
      this.counts.tickers += 1;
    } else if (n % 50 === 1) {
      const ins = this.instruments[Math.floor(this.random() * count)] as Instrument;
      const buy = this.random() < 0.5;
      this.tradeSeq += 1;
      event = {
        type: 'trade',
        venue: VENUE,
        instrument: ins.name,
        timestampMs: at,
        tradeId: `mkt-${this.tradeSeq}`,
        tradeSeq: this.tradeSeq,
        price: gridPrice(ins, buy ? 'ask' : 'bid', 0),
        amount: ins.option
          ? 0.1 * (1 + Math.floor(this.random() * 10))
          : 10 * (1 + Math.floor(this.random() * 100)),
        side: buy ? 'buy' : 'sell',
        indexPrice: this.index,
      };
      this.counts.trades += 1;
    } else {
      const ins = this.instruments[Math.floor(this.random() * count)] as Instrument;
      const side = this.random() < 0.5 ? 'bid' : 'ask';
      const amounts = side === 'bid' ? ins.bidAmounts : ins.askAmounts;
      const level = Math.floor(this.random() * LEVELS);
      const price = gridPrice(ins, side, level);
      const was = amounts[level] as number;
      // A level leaves now and then (amount 0) and comes back; otherwise its amount changes.
      const next =
        was === 0
          ? Math.round(1 + this.random() * 20) / 2
          : this.random() < 0.1
            ? 0
            : Math.round(1 + this.random() * 20) / 2;
      const scaled = ins.option ? next : next * 10000;
      amounts[level] = scaled;
      const change = {
        price,
        amount: scaled,
        action: was === 0 ? ('new' as const) : scaled === 0 ? ('delete' as const) : ('change' as const),
      };
      const prev = ins.changeId;
      ins.changeId += 1;
      event = {
        type: 'book_change',
        venue: VENUE,
        instrument: ins.name,
        timestampMs: at,
        changeId: ins.changeId,
        prevChangeId: prev,
        bids: side === 'bid' ? [change] : [],
        asks: side === 'ask' ? [change] : [],
      };
      this.counts.bookChanges += 1;
    }
    this.counts.market += 1;
    this.emit({ kind: 'market', event }, dueMs);
  }

  private ticker(ins: Instrument, at: number): MarketEvent {
    if (!ins.option) {
      return {
        type: 'ticker',
        venue: VENUE,
        instrument: ins.name,
        timestampMs: at,
        markPrice: this.index * (1 + 0.0002 * (this.random() - 0.5)),
        indexPrice: this.index,
        fundingRate: 0.0001,
      };
    }
    const forward = this.index * ins.forwardRatio;
    const iv = ins.markIv * (1 + 0.002 * (this.random() - 0.5));
    const years = (ins.expiryMs - at) / MS_PER_YEAR;
    const g = black76(ins.isCall ? 'call' : 'put', forward, ins.strike, years, iv / 100, 0);
    return {
      type: 'ticker',
      venue: VENUE,
      instrument: ins.name,
      timestampMs: at,
      markPrice: g.price / forward,
      indexPrice: this.index,
      underlyingPrice: forward,
      underlyingIndex: `SYN.${ins.name.split('-').slice(0, 2).join('-')}`,
      markIv: iv,
      bidIv: iv - 2,
      askIv: iv + 2,
      bidPrice: gridPrice(ins, 'bid', 0),
      askPrice: gridPrice(ins, 'ask', 0),
    };
  }

  // -------------------------------------------------------------- our orders

  private view(r: Resting, state: VenueOrder['state'], at: number, reason: string | null = null): VenueOrder {
    return {
      venue: VENUE,
      orderId: r.orderId,
      clientOrderId: r.clientOrderId,
      instrument: r.instrument,
      side: r.side,
      type: 'limit',
      price: r.price,
      amount: r.amount,
      filledAmount: r.filled,
      averagePrice: r.filled > 0 ? r.price : null,
      state,
      postOnly: r.postOnly,
      reduceOnly: false,
      mmp: false,
      reason,
      timestampMs: at,
    };
  }

  /** Keeps a done order for queries: the latest 1,000. */
  private remember(order: VenueOrder): void {
    this.done.set(order.clientOrderId as string, order);
    while (this.done.size > 1000) this.done.delete(this.done.keys().next().value as string);
  }

  /** Deribit's 11044 not_open_order: an edit or cancel of an order that is no longer resting. */
  private notOpen(clientOrderId: string, at: number): void {
    this.answer({
      kind: 'reject',
      venue: VENUE,
      timestampMs: at,
      clientOrderId,
      code: 11044,
      message: 'not_open_order',
    });
  }

  private answer(input: EngineInput): void {
    if (input.kind === 'order') {
      this.counts.orderUpdates += 1;
      if (input.order.state !== 'open' && input.order.clientOrderId !== null) this.remember(input.order);
    }
    if (input.kind === 'reject') this.counts.rejects += 1;
    this.outbox.push(input);
  }

  private fillEvent(
    r: { instrument: string; side: Side; orderId: string },
    amount: number,
    price: number,
    at: number,
    liquidity: 'maker' | 'taker',
  ): FillEvent {
    this.fillSeq += 1;
    const option = r.instrument !== PERP;
    const feeCoin = option ? amount * 0.0003 : (amount / price) * 0.0005;
    const id = `soak-${this.fillSeq}`;
    this.lastTradeId = id;
    const signed = r.side === 'buy' ? amount : -amount;
    this.positions.set(r.instrument, (this.positions.get(r.instrument) ?? 0) + signed);
    return {
      type: 'fill',
      venue: VENUE,
      id,
      timestampMs: at,
      sequence: this.fillSeq,
      instrument: r.instrument,
      side: r.side,
      amount: parseMoney(amount.toFixed(option ? 1 : 0)),
      price: parseMoney(price.toFixed(option ? 4 : 1)),
      fee: parseMoney(feeCoin.toFixed(8)),
      feeCurrency: 'BTC',
      liquidity,
      orderId: r.orderId,
    };
  }

  /** One of our fills: a resting quote's, else a synthetic one. */
  private fill(dueMs: number): void {
    const at = Math.floor(this.startMs + (dueMs - this.t0));
    const quotes = [...this.resting.values()];
    let pick: Resting | undefined;
    for (let tries = 0; tries < 6 && quotes.length > 0; tries++) {
      const r = quotes[Math.floor(this.random() * quotes.length)] as Resting;
      const pos = this.positions.get(r.instrument) ?? 0;
      const next = pos + (r.side === 'buy' ? 0.1 : -0.1);
      pick = r;
      if (Math.abs(next) <= Math.max(Math.abs(pos), 0.5)) break;
    }
    this.counts.fills += 1;
    if (pick === undefined) {
      // No quote of ours rests: a synthetic fill of an order that is not ours, buy and sell in turn.
      const ins = this.options[this.fillSeq % this.options.length] as Instrument;
      const pos = this.positions.get(ins.name) ?? 0;
      const side: Side = pos > 0 ? 'sell' : 'buy';
      this.counts.syntheticFills += 1;
      this.emit(
        {
          kind: 'fill',
          event: this.fillEvent(
            { instrument: ins.name, side, orderId: `ext-${this.fillSeq}` },
            0.1,
            gridPrice(ins, side === 'buy' ? 'bid' : 'ask', 0),
            at,
            'maker',
          ),
        },
        dueMs,
      );
      return;
    }
    const amount = Math.min(0.1, Math.round((pick.amount - pick.filled) * 10) / 10);
    pick.filled = Math.round((pick.filled + amount) * 10) / 10;
    this.counts.ownFills += 1;
    this.emit({ kind: 'fill', event: this.fillEvent(pick, amount, pick.price, at, 'maker') }, dueMs);
    const full = pick.filled >= pick.amount - 1e-9;
    if (full) this.resting.delete(pick.clientOrderId);
    const update: EngineInput = { kind: 'order', order: this.view(pick, full ? 'filled' : 'open', at) };
    this.counts.orderUpdates += 1;
    if (full) this.remember(update.order);
    this.emit(update, dueMs);
  }

  send(command: VenueCommand): void {
    this.counts.commands[command.kind] = (this.counts.commands[command.kind] ?? 0) + 1;
    const at = this.clock();
    switch (command.kind) {
      case 'place': {
        this.orderSeq += 1;
        const r: Resting = {
          clientOrderId: command.clientOrderId,
          orderId: `o-${this.orderSeq}`,
          instrument: command.instrument,
          side: command.side,
          price: command.price ?? this.index,
          amount: command.amount,
          filled: 0,
          postOnly: command.postOnly === true,
        };
        if (command.timeInForce === 'immediate_or_cancel' || command.type === 'market') {
          // A hedge: filled in full at its limit.
          r.filled = r.amount;
          // The answer first (Deribit's `buy` returns the order with its trades), then the fill.
          this.counts.hedgeFills += 1;
          this.answer({ kind: 'order', order: this.view(r, 'filled', at) });
          this.outbox.push({ kind: 'fill', event: this.fillEvent(r, r.amount, r.price, at, 'taker') });
        } else {
          this.resting.set(r.clientOrderId, r);
          this.answer({ kind: 'order', order: this.view(r, 'open', at) });
        }
        break;
      }
      case 'edit': {
        const r = this.resting.get(command.clientOrderId);
        if (r === undefined) {
          this.notOpen(command.clientOrderId, at);
          break;
        }
        r.price = command.price;
        r.amount = Math.max(command.amount, r.filled);
        const full = r.filled >= r.amount - 1e-9;
        if (full) this.resting.delete(r.clientOrderId);
        this.answer({ kind: 'order', order: this.view(r, full ? 'filled' : 'open', at) });
        break;
      }
      case 'cancel': {
        const r = this.resting.get(command.clientOrderId);
        if (r === undefined) {
          this.notOpen(command.clientOrderId, at);
          break;
        }
        this.resting.delete(r.clientOrderId);
        this.answer({ kind: 'order', order: this.view(r, 'cancelled', at, 'user_request') });
        break;
      }
      case 'cancel_all': {
        for (const r of this.resting.values())
          this.answer({ kind: 'order', order: this.view(r, 'cancelled', at, 'user_request') });
        this.resting.clear();
        break;
      }
      case 'query_order': {
        const r = this.resting.get(command.clientOrderId);
        const d = this.done.get(command.clientOrderId);
        if (r !== undefined) this.answer({ kind: 'order', order: this.view(r, 'open', at) });
        else if (d !== undefined) this.answer({ kind: 'order', order: { ...d, timestampMs: at } });
        else
          this.answer({
            kind: 'reject',
            venue: VENUE,
            timestampMs: at,
            clientOrderId: command.clientOrderId,
            code: 10004,
            message: 'order_not_found',
          });
        break;
      }
      case 'reconcile':
        this.outbox.push({
          kind: 'account',
          venue: VENUE,
          timestampMs: at,
          positions: [...this.positions].map(([instrument, amount]) => ({ instrument, amount })),
          openOrders: [...this.resting.values()].map((r) => this.view(r, 'open', at)),
          lastTradeId: this.lastTradeId,
        });
        break;
      default:
        break; // mass quotes and MMP: the core's default config sends none
    }
  }

  get restingCount(): number {
    return this.resting.size;
  }
}

function gauss(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

// ------------------------------------------------------------------ measurement

/** Latency samples in log buckets (1% wide, from 1 µs to ~100 s): 1,850 counts per histogram. */
class Histogram {
  private static readonly STEP = Math.log(1.01);
  private readonly counts = new Float64Array(1850);
  count = 0;
  max = 0;
  sum = 0;
  add(ms: number): void {
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    const i = ms <= 0.001 ? 0 : Math.min(1849, Math.ceil(Math.log(ms / 0.001) / Histogram.STEP));
    this.counts[i]! += 1;
  }
  /** The bucket's upper edge (at most 1% above the sample), capped at the max. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    let target = Math.ceil(q * this.count);
    for (let i = 0; i < this.counts.length; i++) {
      target -= this.counts[i] as number;
      if (target <= 0) return Math.min(this.max, 0.001 * Math.exp(i * Histogram.STEP));
    }
    return this.max;
  }
}

interface MinuteRow {
  minute: number;
  inputs: number;
  market: number;
  fills: number;
  ownFills: number;
  arrival: Histogram;
  scheduled: Histogram;
  batches: number;
  maxBatch: number;
  cpuPct: number;
  load1: number;
  rssMb: number;
  heapMb: number;
  lateness: number;
}

interface MemSample {
  tS: number;
  rssMb: number;
  heapMb: number;
}

function slopePerMinute(samples: MemSample[], pick: (s: MemSample) => number): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mx = samples.reduce((a, s) => a + s.tS, 0) / n;
  const my = samples.reduce((a, s) => a + pick(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.tS - mx) * (pick(s) - my);
    den += (s.tS - mx) ** 2;
  }
  return (num / den) * 60;
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-');

// ------------------------------------------------------------------ the run

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const random = rng(args.seed);
  const gc = (globalThis as { gc?: () => void }).gc;
  const dir = mkdtempSync(join(tmpdir(), 'ballast-soak-'));
  const dbPath = join(dir, 'journal.sqlite');
  const journal = SqliteJournal.open(dbPath);
  const { instruments, startMs, index } = loadMarket(50, random);
  const venue = new LoadVenue(instruments, startMs, index, args.events, args.fills, args.tickMs, random);
  const durationMs = args.minutes * 60_000;

  const overallArrival = new Histogram();
  const overallScheduled = new Histogram();
  const batchSizes = new Map<number, number>();
  const batchQuantile = (q: number): number => {
    let total = 0;
    for (const v of batchSizes.values()) total += v;
    let target = Math.ceil(q * total);
    for (const k of [...batchSizes.keys()].sort((a, b) => a - b)) {
      target -= batchSizes.get(k) as number;
      if (target <= 0) return k;
    }
    return Number.NaN;
  };
  const minutes: MinuteRow[] = [];
  const newMinute = (m: number): MinuteRow => ({
    minute: m,
    inputs: 0,
    market: 0,
    fills: 0,
    ownFills: 0,
    arrival: new Histogram(),
    scheduled: new Histogram(),
    batches: 0,
    maxBatch: 0,
    cpuPct: 0,
    load1: 0,
    rssMb: 0,
    heapMb: 0,
    lateness: 0,
  });
  let row = newMinute(1);
  let t0 = 0;
  let currentBatch = -1;
  let batchCount = 0;
  let batchWorst = 0;
  /** Batches that waited more than 100 ms: when (s into the run), size, worst latency. */
  const stalls: { tS: number; size: number; worstMs: number }[] = [];
  const ref: { engine?: Engine } = {};
  const onApplied = (input: EngineInput, latencyMs: number): void => {
    const b = ref.engine!.stats.batches;
    if (b !== currentBatch) {
      if (currentBatch >= 0) {
        batchSizes.set(batchCount, (batchSizes.get(batchCount) ?? 0) + 1);
        if (batchWorst > 100) {
          stalls.push({ tS: (performance.now() - t0) / 1000, size: batchCount, worstMs: batchWorst });
          if (process.env.SOAK_VERBOSE)
            console.error(
              `stall at ${f((performance.now() - t0) / 1000, 1)} s: batch of ${batchCount}, worst ${f(batchWorst, 0)} ms`,
            );
        }
        if (batchCount > row.maxBatch) row.maxBatch = batchCount;
        row.batches += 1;
      }
      currentBatch = b;
      batchCount = 0;
      batchWorst = 0;
    }
    batchCount += 1;
    if (latencyMs > batchWorst) batchWorst = latencyMs;
    const due = venue.due.get(input);
    const now = performance.now();
    overallArrival.add(latencyMs);
    row.arrival.add(latencyMs);
    if (due !== undefined) {
      const s = now - due;
      overallScheduled.add(s);
      row.scheduled.add(s);
    }
    row.inputs += 1;
    if (input.kind === 'market') row.market += 1;
    else if (input.kind === 'fill') {
      row.fills += 1;
      if (!input.event.orderId.startsWith('ext-')) row.ownFills += 1;
    }
  };

  if (process.env.SOAK_VERBOSE) {
    // Slow journal appends and snapshots, as they happen (diagnosis only).
    const append = journal.append.bind(journal);
    journal.append = (records) => {
      const s = performance.now();
      const r = append(records);
      const ms = performance.now() - s;
      if (ms > 50)
        console.error(`append of ${records.length} took ${f(ms, 0)} ms at ${f((s - t0) / 1000, 1)} s`);
      return r;
    };
    const save = journal.saveSnapshot.bind(journal);
    journal.saveSnapshot = (snap) => {
      const s = performance.now();
      save(snap);
      console.error(
        `snapshot ${snap.state.length} chars took ${f(performance.now() - s, 0)} ms at ${f((s - t0) / 1000, 1)} s`,
      );
    };
  }
  const core = coreConfigOf(DEFAULT_RUN_CONFIG, VENUE);
  const engine = Engine.open({ core, journal, venue, clock: venue.clock, onApplied, runId: 'soak' });
  ref.engine = engine;

  const mem: MemSample[] = [];
  const sampleMemory = (): void => {
    gc?.();
    const m = process.memoryUsage();
    mem.push({ tS: (performance.now() - t0) / 1000, rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 });
    if (process.env.SOAK_VERBOSE)
      console.error(
        `mem ${f((performance.now() - t0) / 1000, 0)} s: rss ${f(m.rss / 2 ** 20, 1)} heapTotal ${f(m.heapTotal / 2 ** 20, 1)} heapUsed ${f(m.heapUsed / 2 ** 20, 1)} external ${f(m.external / 2 ** 20, 1)} MB`,
      );
  };

  console.error(
    `soak: ${args.minutes} min, ${args.events} market events/s, ${args.fills} fills/s, tick ${args.tickMs} ms, journal ${dbPath}${gc ? ', GC forced before each memory sample' : ' (no --expose-gc: memory sampled without a forced GC)'}`,
  );
  const load0 = loadavg();
  t0 = performance.now();
  let cpu = process.cpuUsage();
  const cpuStart = process.cpuUsage();
  let lastMinuteWall = t0;
  await engine.start();
  sampleMemory();
  const memTimer = setInterval(sampleMemory, 5000);
  const snapAt = process.env.SOAK_HEAPSNAP?.split(',').map(Number) ?? [];
  for (const at of snapAt)
    setTimeout(() => {
      gc?.();
      console.error(`heap snapshot ${writeHeapSnapshot(`/tmp/soak-${at}.heapsnapshot`)}`);
    }, at * 1000).unref();
  const diagTimer = setInterval(() => {
    if (!process.env.SOAK_VERBOSE) return;
    const st = engine.state();
    const g = st.greeks.BTC;
    console.error(
      `state ${st.trading_state} ${st.trading_reasons.join('; ')}; live ${st.orders.length} (resting ${venue.restingCount}); delta ${f(g?.delta ?? NaN)} vega ${f(g?.vega ?? NaN, 0)}; positions ${st.positions.length}; hedges ${st.hedges.count}; alerts ${st.alerts
        .slice(-2)
        .map((a) => a.kind + ': ' + a.message)
        .join(' | ')}`,
    );
  }, 10_000);
  const minuteTimer = setInterval(() => {
    const now = performance.now();
    const c = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    row.cpuPct = ((c.user + c.system) / 1000 / (now - lastMinuteWall)) * 100;
    lastMinuteWall = now;
    row.load1 = loadavg()[0] as number;
    const last = mem[mem.length - 1];
    row.rssMb = last?.rssMb ?? Number.NaN;
    row.heapMb = last?.heapMb ?? Number.NaN;
    row.lateness = venue.lateness;
    venue.lateness = 0;
    minutes.push(row);
    console.error(
      `min ${row.minute}: ${row.inputs} inputs (${f(row.market / 60, 0)} mkt/s, ${f(row.fills / 60, 0)} fills/s), p50 ${f(row.arrival.quantile(0.5))} p99 ${f(row.arrival.quantile(0.99))} p99.9 ${f(row.arrival.quantile(0.999))} max ${f(row.arrival.max)} ms; from schedule p99 ${f(row.scheduled.quantile(0.99))} max ${f(row.scheduled.max)}; batches ${row.batches} (max ${row.maxBatch}); cpu ${f(row.cpuPct, 0)}%; rss ${f(row.rssMb, 1)} heap ${f(row.heapMb, 1)} MB; resting ${venue.restingCount}; load ${f(row.load1)}`,
    );
    row = newMinute(row.minute + 1);
  }, 60_000);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  clearInterval(memTimer);
  clearInterval(diagTimer);
  clearInterval(minuteTimer);
  if (row.inputs > 0 && performance.now() - lastMinuteWall > 30_000) {
    // The last minute, when the end came before its timer.
    const c = process.cpuUsage(cpu);
    row.cpuPct = ((c.user + c.system) / 1000 / (performance.now() - lastMinuteWall)) * 100;
    row.load1 = loadavg()[0] as number;
    row.rssMb = mem[mem.length - 1]?.rssMb ?? Number.NaN;
    row.heapMb = mem[mem.length - 1]?.heapMb ?? Number.NaN;
    minutes.push(row);
  }
  const wallMs = performance.now() - t0;
  const cpuAll = process.cpuUsage(cpuStart);
  const load1 = loadavg();
  sampleMemory();
  const stats = { ...engine.stats };
  const state = engine.state();
  await engine.stop();
  const counts = venue.counts;
  const journalRecords = journal.count();
  journal.close();
  let journalBytes = 0;
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(dbPath + suffix)) journalBytes += statSync(dbPath + suffix).size;
  rmSync(dir, { recursive: true, force: true });

  const half = mem.filter((s) => s.tS >= wallMs / 2000);
  const rssSlope = slopePerMinute(half, (s) => s.rssMb);
  const heapSlope = slopePerMinute(half, (s) => s.heapMb);
  const wallS = wallMs / 1000;
  const cpuModel = cpus()[0]?.model ?? '';
  const commit = ((): string => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  })();

  const lines: string[] = [];
  lines.push('## Soak: the engine in real time (issue 9)');
  lines.push('');
  lines.push(
    `Measured with \`npx tsx bench/soak.ts --minutes ${args.minutes} --events ${args.events} --fills ${args.fills}\`${gc ? ' (node --expose-gc)' : ''} on ${cpus().length} cores (${cpuModel}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, commit ${commit}. The machine is a shared VM: load average ${load0.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min) at the start, ${load1.map((x) => x.toFixed(2)).join(' / ')} at the end.`,
  );
  lines.push('');
  lines.push(
    'The engine (`Engine`, default core configuration: quoting two expiries, delta hedging on the perpetual, the rate budget) on a SQLite journal in a temp directory, fed by a load venue paced by the wall clock in ' +
      `${args.tickMs} ms ticks: market events on 50 options of the real chain and BTC-PERPETUAL (book changes with consecutive change ids, tickers with mark/bid/ask iv, underlying and index, trades) and fills of the engine's own resting quotes (0.1 contract each, with the order update), answering its commands (place, edit, cancel, queries, reconcile) at the next tick.`,
  );
  lines.push('');
  lines.push('| figure | value |');
  lines.push('|---|---|');
  lines.push(`| run | ${f(wallS / 60, 2)} min wall |`);
  lines.push(
    `| market events | ${counts.market} (${f(counts.market / wallS, 0)}/s): ${counts.bookChanges} book changes, ${counts.tickers} tickers, ${counts.trades} trades |`,
  );
  lines.push(
    `| fills | ${counts.fills + counts.hedgeFills} (${f((counts.fills + counts.hedgeFills) / wallS, 1)}/s): ${counts.ownFills} of our resting quotes, ${counts.hedgeFills} hedges, ${counts.syntheticFills} synthetic (no quote of ours resting) |`,
  );
  lines.push(
    `| inputs applied | ${stats.inputs} (${f(stats.inputs / wallS, 0)}/s; also ${counts.orderUpdates} order updates, ${counts.rejects} rejects) |`,
  );
  lines.push(
    `| commands sent | ${stats.commands}: ${Object.entries(counts.commands)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} |`,
  );
  lines.push(
    `| group commits | ${stats.batches} batches, ${f(stats.inputs / stats.batches, 1)} inputs per batch on average; p50 ${batchQuantile(0.5)}, p99 ${batchQuantile(0.99)}, max ${Math.max(...batchSizes.keys())} |`,
  );
  lines.push(
    `| latency, arrival -> decided (journaled, applied, commands handed to the venue) | p50 ${f(overallArrival.quantile(0.5))} ms, p99 ${f(overallArrival.quantile(0.99))} ms, p99.9 ${f(overallArrival.quantile(0.999))} ms, max ${f(overallArrival.max)} ms, mean ${f(overallArrival.sum / overallArrival.count)} ms |`,
  );
  lines.push(
    `| latency, due on the schedule -> decided | p50 ${f(overallScheduled.quantile(0.5))} ms, p99 ${f(overallScheduled.quantile(0.99))} ms, p99.9 ${f(overallScheduled.quantile(0.999))} ms, max ${f(overallScheduled.max)} ms |`,
  );
  const stallInputs = stalls.reduce((a, x) => a + x.size, 0);
  lines.push(
    `| batches that waited > 100 ms | ${stalls.length} (${stallInputs} inputs, ${f((100 * stallInputs) / Math.max(1, stats.inputs), 2)}% of all); worst ${f(Math.max(0, ...stalls.map((x) => x.worstMs)), 0)} ms |`,
  );
  lines.push(
    `| CPU | ${f(((cpuAll.user + cpuAll.system) / 1000 / wallMs) * 100, 0)}% of one core (user ${f(cpuAll.user / 1e6, 0)} s, system ${f(cpuAll.system / 1e6, 0)} s) |`,
  );
  lines.push(
    `| memory, second half (linear fit, ${half.length} samples every 5 s${gc ? ' after a forced GC' : ''}) | RSS ${f(rssSlope, 3)} MB/min, heap used ${f(heapSlope, 3)} MB/min |`,
  );
  lines.push(
    `| memory, start -> end | RSS ${f(mem[0]!.rssMb, 1)} -> ${f(mem[mem.length - 1]!.rssMb, 1)} MB, heap used ${f(mem[0]!.heapMb, 1)} -> ${f(mem[mem.length - 1]!.heapMb, 1)} MB |`,
  );
  lines.push(
    `| journal at the end | ${journalRecords} records, ${f(journalBytes / 2 ** 20, 1)} MB (database + WAL) |`,
  );
  lines.push(
    `| engine at the end | ${state.trading_state}${state.trading_reasons.length > 0 ? ` (${state.trading_reasons.join('; ')})` : ''}, ${state.orders.length} live orders, ${state.positions.length} positions, hedges ${state.hedges.count} |`,
  );
  lines.push('');
  lines.push('Per minute (latency in ms, arrival -> decided; "sched." from the input\'s due time):');
  lines.push('');
  lines.push(
    '| min | market/s | fills/s (own) | p50 | p99 | p99.9 | max | sched. p99 | sched. max | batches | max batch | CPU % | load 1m | RSS MB | heap MB |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of minutes) {
    lines.push(
      `| ${r.minute} | ${f(r.market / 60, 0)} | ${f(r.fills / 60, 1)} (${f(r.ownFills / 60, 1)}) | ${f(r.arrival.quantile(0.5))} | ${f(r.arrival.quantile(0.99))} | ${f(r.arrival.quantile(0.999))} | ${f(r.arrival.max)} | ${f(r.scheduled.quantile(0.99))} | ${f(r.scheduled.max)} | ${r.batches} | ${r.maxBatch} | ${f(r.cpuPct, 0)} | ${f(r.load1)} | ${f(r.rssMb, 1)} | ${f(r.heapMb, 1)} |`,
    );
  }
  lines.push('');
  lines.push(
    'Memory samples (s: RSS / heap used MB): ' +
      mem
        .filter((_, i) => i % 12 === 0 || i === mem.length - 1)
        .map((s) => `${f(s.tS, 0)}: ${f(s.rssMb, 0)}/${f(s.heapMb, 0)}`)
        .join(', '),
  );
  lines.push('');
  const text = lines.join('\n');
  console.log(text);
  if (args.out !== null) writeFileSync(args.out, text);
}

await main();
