/**
 * Cancellation rules against adverse selection: when to keep quotes, requote them, or pull them
 * (both sides or one, maybe for a cool-down), each rule configurable and each answering with its
 * reason. Time comes from the events (ms), never the wall clock; every event costs O(1)
 * amortized.
 *
 * Rules (all optional; a rule left out never fires):
 * - underlying moved: |mid - mid at quote| >= `maxMoveBps` basis points of the quote's mid, or
 *   >= `maxMoveTicks` x `tickSize`;
 * - surface moved: |ATM vol - ATM vol at quote| or |instrument vol - vol at quote| >= the
 *   threshold in vol points (1 vol point = 0.01 of a vol given as a decimal);
 * - book imbalance: |imbalance| >= threshold, best level (`imbalance`) or the top levels
 *   (`depthImbalance`) of src/market/metrics.ts; bids outweighing asks pull the asks (the price
 *   is likelier to rise into them), and the reverse;
 * - markouts of own fills: a fill's markout at horizon h is `mid(t + h) - price` for our buy,
 *   `price - mid(t + h)` for our sell (per unit), the mid being the instrument's own (fed by
 *   `onMid` under its name) prevailing at `t + h`; the rule averages them per unit volume,
 *   `sum(size x markout) / sum(size)`, over the last `fills` resolved fills of each of our
 *   sides, and pulls that side when the mean is <= `threshold` (negative: we lose);
 * - VPIN (D. Easley, M. Lopez de Prado, M. O'Hara, "Flow toxicity and liquidity in a
 *   high-frequency world", Review of Financial Studies 25(5), 2012): trades fill volume buckets
 *   of `bucketVolume`; each trade's volume is classified buy/sell by bulk volume classification,
 *   `V_buy = V x Phi(dP / sigma)` with `dP` the price change since the previous trade and
 *   `sigma` the standard deviation of those changes (fixed in the config, or estimated online
 *   from all changes seen before), `V_sell = V - V_buy` (a trade that spans buckets is split
 *   pro rata); `VPIN = sum |V_buy - V_sell| / (n V)` over the last `buckets` (n) full buckets.
 *   A caller that aggregates trades into time bars (as the paper does, one-minute bars) feeds
 *   each bar as one trade: its volume and its last price. `classification: 'aggressor'` uses
 *   the trade's reported side instead. Fires when VPIN >= threshold; pulls both sides, or with
 *   `oneSided` the side the net flow of the window runs into (net buying pulls the asks);
 * - own-fill burst: more than `maxFills` fills, or more than `maxVolume` volume, on one of our
 *   sides (or both together, unless `oneSided`) within `windowMs`;
 * - stale data: no update of the instrument (or its underlying) within `maxAgeMs`, or a book
 *   that is not live (`stale` with its reason from src/market/book.ts, or `empty`);
 * - windows: time ranges `[startMs, endMs)` with quoting off (scheduled events, expiry).
 *
 * Boundaries. A rule fires at its threshold (>=, or <= for markouts), not below; the comparison
 * allows a relative 1e-12 so that a value computed in doubles equal to the threshold on paper
 * (0.56 - 0.55 against 1 vol point) counts as reaching it.
 *
 * Decision. `cancel` (with the sides and the cool-down end) beats `requote` beats `keep`; every
 * rule that fired is listed with its reason. A cancel with `cooldownMs` keeps that side pulled
 * until `timeMs + cooldownMs` even when the condition clears. `onQuoteSent` records the new
 * reference (underlying mid, ATM vol, instrument vol, time) after a (re)quote.
 */
import { InputError } from '../model/errors.js';
import { normCdf } from '../pricing/normal.js';
import type { BookView, StaleEvent } from '../market/book.js';
import { depthImbalance, imbalance } from '../market/metrics.js';

/** Our side of a quote: `bid` (we buy) or `ask` (we sell). */
export type QuoteSide = 'bid' | 'ask';
export type Sides = 'both' | QuoteSide;
export type Action = 'keep' | 'requote' | 'cancel';
export type RuleName =
  | 'underlying_moved'
  | 'surface_moved'
  | 'imbalance'
  | 'markout'
  | 'vpin'
  | 'fill_burst'
  | 'stale'
  | 'window'
  | 'cooldown';

/** One rule's verdict. */
export interface RuleHit {
  rule: RuleName;
  action: 'requote' | 'cancel';
  /** For a cancel: which of our sides to pull. */
  sides: Sides;
  /** A cool-down end for a cancel, ms (undefined: none). */
  untilMs?: number;
  /** What happened, with the numbers. */
  reason: string;
}

/** What to do with an instrument's quotes now. */
export interface Decision {
  action: Action;
  /** Sides to pull (for `cancel`), undefined otherwise. */
  sides?: Sides;
  /** The latest cool-down end among the cancels, ms. */
  untilMs?: number;
  /** Every rule that fired (empty for `keep`). */
  hits: RuleHit[];
}

interface ActionConfig {
  /** `requote` (default for the move rules) or `cancel`. */
  action?: 'requote' | 'cancel';
  /** Cool-down of a cancel, ms (default 0). */
  cooldownMs?: number;
}

export interface UnderlyingRule extends ActionConfig {
  maxMoveBps?: number;
  maxMoveTicks?: number;
  /** Needed with `maxMoveTicks`. */
  tickSize?: number;
}

export interface SurfaceRule extends ActionConfig {
  /** ATM vol change, vol points. */
  maxAtmVolPoints?: number;
  /** The instrument's own vol change, vol points. */
  maxVolPoints?: number;
}

export interface ImbalanceRule {
  /** |imbalance| in (0, 1]. */
  threshold: number;
  /** 1 (default): best level; more: `depthImbalance` over that many levels. */
  levels?: number;
  decay?: number;
  cooldownMs?: number;
}

export interface MarkoutRule {
  horizonMs: number;
  /** Fills per side averaged over (N). */
  fills: number;
  /** Mean markout per unit volume (price units) at or below which the side is pulled. */
  threshold: number;
  cooldownMs?: number;
}

export interface VpinRule {
  bucketVolume: number;
  /** n: full buckets averaged over. */
  buckets: number;
  /** VPIN in (0, 1]. */
  threshold: number;
  /** `bulk` (default) or `aggressor`. */
  classification?: 'bulk' | 'aggressor';
  /** Fixed standard deviation of the price changes for bulk classification; else estimated. */
  sigma?: number;
  oneSided?: boolean;
  cooldownMs?: number;
}

export interface FillBurstRule {
  windowMs: number;
  /** Pull when fills in the window exceed this count. */
  maxFills?: number;
  /** Pull when the volume in the window exceeds this. */
  maxVolume?: number;
  /**
   * Only each side's own fills count (a burst pulls that side alone); default false: when
   * neither side is over, both together are checked against the same limits and pull both.
   */
  oneSided?: boolean;
  cooldownMs?: number;
}

export interface StaleRule {
  maxAgeMs: number;
  cooldownMs?: number;
}

export interface QuietWindow {
  startMs: number;
  endMs: number;
  label: string;
  /** Instruments it applies to; all when left out. */
  instruments?: readonly string[];
}

export interface CancelRulesConfig {
  underlying?: UnderlyingRule;
  surface?: SurfaceRule;
  imbalance?: ImbalanceRule;
  markouts?: readonly MarkoutRule[];
  vpin?: VpinRule;
  fillBurst?: FillBurstRule;
  stale?: StaleRule;
  windows?: readonly QuietWindow[];
  /** The key of an instrument's underlying (mid, ATM vol, VPIN trades); default the instrument. */
  underlyingOf?: (instrument: string) => string;
}

/** A window of quoting off around an expiry: `[expiry - beforeMs, expiry + afterMs)`. */
export function expiryWindow(
  instrument: string,
  expiryMs: number,
  beforeMs: number,
  afterMs: number,
): QuietWindow {
  return {
    startMs: expiryMs - beforeMs,
    endMs: expiryMs + afterMs,
    label: `expiry of ${instrument}`,
    instruments: [instrument],
  };
}

const TOLERANCE = 1e-12;
/** `value >= threshold`, allowing a relative 1e-12. */
function reaches(value: number, threshold: number): boolean {
  return value >= threshold - TOLERANCE * Math.max(1, Math.abs(threshold));
}

/** A fixed-capacity ring of numbers with a running sum (recomputed now and then against drift). */
class Ring {
  private readonly values: Float64Array;
  private readonly weights: Float64Array;
  private next = 0;
  size = 0;
  sum = 0;
  weight = 0;
  private pushes = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
    this.weights = new Float64Array(capacity);
  }

  push(value: number, weight = 1): void {
    if (this.size === this.capacity) {
      this.sum -= this.values[this.next] as number;
      this.weight -= this.weights[this.next] as number;
    } else {
      this.size += 1;
    }
    this.values[this.next] = value;
    this.weights[this.next] = weight;
    this.sum += value;
    this.weight += weight;
    this.next = (this.next + 1) % this.capacity;
    if (++this.pushes % (this.capacity * 64) === 0) {
      this.sum = 0;
      this.weight = 0;
      for (let i = 0; i < this.size; i++) {
        this.sum += this.values[i] as number;
        this.weight += this.weights[i] as number;
      }
    }
  }

  get full(): boolean {
    return this.size === this.capacity;
  }
}

/** A FIFO of timed amounts with a running total (for windows). */
class TimedQueue {
  private times: number[] = [];
  private amounts: number[] = [];
  private head = 0;
  total = 0;

  push(timeMs: number, amount: number): void {
    this.times.push(timeMs);
    this.amounts.push(amount);
    this.total += amount;
  }

  /** Drops entries at or before `cutoffMs`. */
  expire(cutoffMs: number): void {
    while (this.head < this.times.length && (this.times[this.head] as number) <= cutoffMs) {
      this.total -= this.amounts[this.head] as number;
      this.head += 1;
    }
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.amounts = this.amounts.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.times.length) this.total = 0;
  }

  get count(): number {
    return this.times.length - this.head;
  }
}

/** VPIN of one trade stream (see the module comment). */
export class Vpin {
  private readonly ring: Ring;
  /** Signed `V_buy - V_sell` of the full buckets in the window. */
  private readonly signed: Ring;
  private buy = 0;
  private filled = 0;
  private lastPrice = Number.NaN;
  // Welford's running mean and variance of price changes.
  private changes = 0;
  private meanChange = 0;
  private m2 = 0;

  constructor(
    readonly bucketVolume: number,
    readonly buckets: number,
    readonly classification: 'bulk' | 'aggressor' = 'bulk',
    readonly sigma?: number,
  ) {
    if (!(bucketVolume > 0) || !Number.isFinite(bucketVolume))
      throw new InputError('vpin.bucketVolume', bucketVolume, 'a positive finite volume');
    if (!Number.isInteger(buckets) || buckets < 1)
      throw new InputError('vpin.buckets', buckets, 'an integer >= 1');
    if (classification !== 'bulk' && classification !== 'aggressor')
      throw new InputError('vpin.classification', classification, 'bulk or aggressor');
    if (sigma !== undefined && !(sigma > 0 && Number.isFinite(sigma)))
      throw new InputError('vpin.sigma', sigma, 'a positive finite standard deviation');
    this.ring = new Ring(buckets);
    this.signed = new Ring(buckets);
  }

  /**
   * Adds a trade (or a bar): its price, volume and, for aggressor classification, the taker's
   * side. Under bulk classification the first trade (no change yet) and trades before a spread
   * of changes exists count half buy, half sell.
   */
  add(price: number, volume: number, side?: 'buy' | 'sell'): void {
    if (!Number.isFinite(price)) throw new InputError('price', price, 'a finite price');
    if (!(volume >= 0) || !Number.isFinite(volume))
      throw new InputError('volume', volume, 'a finite volume >= 0');
    let buyShare: number;
    if (this.classification === 'aggressor') {
      if (side !== 'buy' && side !== 'sell') throw new InputError('side', side, 'buy or sell');
      buyShare = side === 'buy' ? 1 : 0;
    } else {
      buyShare = 0.5;
      if (!Number.isNaN(this.lastPrice)) {
        const change = price - this.lastPrice;
        const sd = this.sigma ?? (this.changes >= 2 ? Math.sqrt(this.m2 / (this.changes - 1)) : 0);
        if (sd > 0) buyShare = normCdf(change / sd);
        this.changes += 1;
        const delta = change - this.meanChange;
        this.meanChange += delta / this.changes;
        this.m2 += delta * (change - this.meanChange);
      }
    }
    this.lastPrice = price;
    let rest = volume;
    while (rest > 0) {
      const take = Math.min(rest, this.bucketVolume - this.filled);
      this.buy += take * buyShare;
      this.filled += take;
      rest -= take;
      if (this.filled >= this.bucketVolume * (1 - TOLERANCE)) {
        const net = 2 * this.buy - this.filled;
        this.ring.push(Math.abs(net));
        this.signed.push(net);
        this.buy = 0;
        this.filled = 0;
      }
    }
  }

  /** VPIN over the last `buckets` full buckets; undefined until that many are full. */
  get value(): number | undefined {
    return this.ring.full ? Math.max(0, this.ring.sum) / (this.buckets * this.bucketVolume) : undefined;
  }

  /** Net `V_buy - V_sell` over the window's buckets. */
  get net(): number {
    return this.signed.sum;
  }

  /** Full buckets so far (up to the window). */
  get fullBuckets(): number {
    return this.ring.size;
  }
}

interface PendingFill {
  dueMs: number;
  side: QuoteSide;
  price: number;
  size: number;
}

interface MarkoutState {
  pending: PendingFill[];
  head: number;
  bid: Ring;
  ask: Ring;
}

interface InstrumentState {
  quote?: { timeMs: number; mid: number | undefined; atmVol: number | undefined; vol: number | undefined };
  vol?: number;
  lastUpdateMs: number;
  bookStatus?: BookView['status'];
  staleReason?: StaleEvent;
  imbalance?: number;
  markouts: MarkoutState[];
  fillsBid: TimedQueue;
  fillsAsk: TimedQueue;
  volumeBid: TimedQueue;
  volumeAsk: TimedQueue;
  pulled: { bid: number; ask: number; reason: { bid: string; ask: string } };
}

interface UnderlyingState {
  mid?: number;
  atmVol?: number;
  lastUpdateMs: number;
  vpin?: Vpin;
}

function positive(field: string, value: number | undefined, integer = false): void {
  if (value === undefined) return;
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
    throw new InputError(field, value, integer ? 'an integer >= 1' : 'a positive finite number');
}

function cooldown(field: string, value: number | undefined): void {
  if (value !== undefined && (!(value >= 0) || !Number.isFinite(value)))
    throw new InputError(field, value, 'a finite duration >= 0 ms');
}

function share(field: string, value: number): void {
  if (!(value > 0 && value <= 1)) throw new InputError(field, value, 'a number in (0, 1]');
}

function checkConfig(c: CancelRulesConfig): void {
  if (c.underlying) {
    const u = c.underlying;
    positive('underlying.maxMoveBps', u.maxMoveBps);
    positive('underlying.maxMoveTicks', u.maxMoveTicks);
    if (u.maxMoveTicks !== undefined) {
      if (u.tickSize === undefined) throw new InputError('underlying.tickSize', u.tickSize, 'a tick size');
      positive('underlying.tickSize', u.tickSize);
    }
    if (u.maxMoveBps === undefined && u.maxMoveTicks === undefined)
      throw new InputError('underlying.maxMoveBps', undefined, 'maxMoveBps or maxMoveTicks');
    if (u.action !== undefined && u.action !== 'requote' && u.action !== 'cancel')
      throw new InputError('underlying.action', u.action, 'requote or cancel');
    cooldown('underlying.cooldownMs', u.cooldownMs);
  }
  if (c.surface) {
    const s = c.surface;
    positive('surface.maxAtmVolPoints', s.maxAtmVolPoints);
    positive('surface.maxVolPoints', s.maxVolPoints);
    if (s.maxAtmVolPoints === undefined && s.maxVolPoints === undefined)
      throw new InputError('surface.maxAtmVolPoints', undefined, 'maxAtmVolPoints or maxVolPoints');
    if (s.action !== undefined && s.action !== 'requote' && s.action !== 'cancel')
      throw new InputError('surface.action', s.action, 'requote or cancel');
    cooldown('surface.cooldownMs', s.cooldownMs);
  }
  if (c.imbalance) {
    share('imbalance.threshold', c.imbalance.threshold);
    positive('imbalance.levels', c.imbalance.levels, true);
    if (c.imbalance.decay !== undefined) share('imbalance.decay', c.imbalance.decay);
    cooldown('imbalance.cooldownMs', c.imbalance.cooldownMs);
  }
  (c.markouts ?? []).forEach((m, i) => {
    positive(`markouts[${i}].horizonMs`, m.horizonMs);
    positive(`markouts[${i}].fills`, m.fills, true);
    if (!Number.isFinite(m.threshold))
      throw new InputError(`markouts[${i}].threshold`, m.threshold, 'a finite markout per unit');
    cooldown(`markouts[${i}].cooldownMs`, m.cooldownMs);
  });
  if (c.vpin) {
    share('vpin.threshold', c.vpin.threshold);
    cooldown('vpin.cooldownMs', c.vpin.cooldownMs);
    new Vpin(c.vpin.bucketVolume, c.vpin.buckets, c.vpin.classification, c.vpin.sigma);
  }
  if (c.fillBurst) {
    positive('fillBurst.windowMs', c.fillBurst.windowMs);
    positive('fillBurst.maxFills', c.fillBurst.maxFills, true);
    positive('fillBurst.maxVolume', c.fillBurst.maxVolume);
    if (c.fillBurst.maxFills === undefined && c.fillBurst.maxVolume === undefined)
      throw new InputError('fillBurst.maxFills', undefined, 'maxFills or maxVolume');
    cooldown('fillBurst.cooldownMs', c.fillBurst.cooldownMs);
  }
  if (c.stale) {
    positive('stale.maxAgeMs', c.stale.maxAgeMs);
    cooldown('stale.cooldownMs', c.stale.cooldownMs);
  }
  (c.windows ?? []).forEach((w, i) => {
    if (!Number.isFinite(w.startMs) || !Number.isFinite(w.endMs) || !(w.endMs > w.startMs))
      throw new InputError(`windows[${i}].endMs`, w.endMs, `a finite time after startMs (${w.startMs})`);
  });
}

function checkTime(timeMs: number): void {
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs))
    throw new InputError('timeMs', timeMs, 'a finite time in ms');
}

/**
 * The rules' state per instrument and per underlying, fed by events and asked for a decision.
 * Events of one instrument are expected in time order.
 */
export class CancelRules {
  private readonly config: CancelRulesConfig;
  private readonly underlyingOf: (instrument: string) => string;
  private readonly instruments = new Map<string, InstrumentState>();
  private readonly underlyings = new Map<string, UnderlyingState>();

  constructor(config: CancelRulesConfig) {
    checkConfig(config);
    this.config = config;
    this.underlyingOf = config.underlyingOf ?? ((instrument) => instrument);
  }

  /**
   * A mid under `key`: an underlying's (for the move rule) or an instrument's own (its fills'
   * markouts are taken against it; with the default `underlyingOf` both are the same).
   */
  onMid(key: string, timeMs: number, mid: number): void {
    checkTime(timeMs);
    if (!(mid > 0) || !Number.isFinite(mid)) throw new InputError('mid', mid, 'a positive finite price');
    const u = this.underlying(key);
    // Markouts (of fills of `key` itself) due before this update see the previous mid, the one
    // prevailing then; those due at this time see the new one.
    this.resolve(key, u, timeMs, false);
    u.mid = mid;
    u.lastUpdateMs = Math.max(u.lastUpdateMs, timeMs);
    this.resolve(key, u, timeMs, true);
  }

  /** The ATM vol of an underlying (decimal). */
  onAtmVol(key: string, timeMs: number, vol: number): void {
    checkTime(timeMs);
    if (!(vol >= 0) || !Number.isFinite(vol)) throw new InputError('vol', vol, 'a finite vol >= 0');
    const u = this.underlying(key);
    u.atmVol = vol;
    u.lastUpdateMs = Math.max(u.lastUpdateMs, timeMs);
  }

  /** An instrument's own vol (decimal). */
  onVol(instrument: string, timeMs: number, vol: number): void {
    checkTime(timeMs);
    if (!(vol >= 0) || !Number.isFinite(vol)) throw new InputError('vol', vol, 'a finite vol >= 0');
    const s = this.state(instrument);
    s.vol = vol;
    s.lastUpdateMs = Math.max(s.lastUpdateMs, timeMs);
  }

  /** An instrument's book after an update: status, stale reason and imbalance. */
  onBook(instrument: string, timeMs: number, book: BookView & { readonly staleReason?: StaleEvent }): void {
    checkTime(timeMs);
    const s = this.state(instrument);
    s.lastUpdateMs = Math.max(s.lastUpdateMs, timeMs);
    s.bookStatus = book.status;
    s.staleReason = book.status === 'stale' ? book.staleReason : undefined;
    const rule = this.config.imbalance;
    if (rule !== undefined && book.status === 'live') {
      const levels = rule.levels ?? 1;
      s.imbalance = levels === 1 ? imbalance(book) : depthImbalance(book, levels, rule.decay ?? 1);
    } else {
      s.imbalance = undefined;
    }
  }

  /** A market trade on an underlying's stream (feeds VPIN). `side` is the taker's. */
  onTrade(key: string, timeMs: number, price: number, volume: number, side?: 'buy' | 'sell'): void {
    checkTime(timeMs);
    const u = this.underlying(key);
    u.lastUpdateMs = Math.max(u.lastUpdateMs, timeMs);
    if (this.config.vpin !== undefined) {
      const c = this.config.vpin;
      u.vpin ??= new Vpin(c.bucketVolume, c.buckets, c.classification, c.sigma);
      u.vpin.add(price, volume, side);
    }
  }

  /** One of our fills: our side (`bid` = we bought), price and size. */
  onOwnFill(instrument: string, timeMs: number, side: QuoteSide, price: number, size: number): void {
    checkTime(timeMs);
    if (side !== 'bid' && side !== 'ask') throw new InputError('side', side, 'bid or ask');
    if (!Number.isFinite(price)) throw new InputError('price', price, 'a finite price');
    if (!(size > 0) || !Number.isFinite(size)) throw new InputError('size', size, 'a positive finite size');
    const s = this.state(instrument);
    const markouts = this.config.markouts ?? [];
    markouts.forEach((rule, i) => {
      const m = s.markouts[i] as MarkoutState;
      m.pending.push({ dueMs: timeMs + rule.horizonMs, side, price, size });
    });
    if (this.config.fillBurst !== undefined) {
      (side === 'bid' ? s.fillsBid : s.fillsAsk).push(timeMs, 1);
      (side === 'bid' ? s.volumeBid : s.volumeAsk).push(timeMs, size);
    }
  }

  /** After a (re)quote: the new reference (mid, vols, time) the move rules measure from. */
  onQuoteSent(instrument: string, timeMs: number): void {
    checkTime(timeMs);
    const s = this.state(instrument);
    const u = this.underlying(this.underlyingOf(instrument));
    s.quote = { timeMs, mid: u.mid, atmVol: u.atmVol, vol: s.vol };
  }

  /** The VPIN of an underlying's stream (undefined before enough buckets). */
  vpin(key: string): number | undefined {
    return this.underlyings.get(key)?.vpin?.value;
  }

  /** The mean markout per unit of the last fills of a side for markout rule `index` (undefined before N fills). */
  markout(instrument: string, side: QuoteSide, index = 0): number | undefined {
    const ring = this.instruments.get(instrument)?.markouts[index]?.[side];
    return ring === undefined || !ring.full || ring.weight <= 0 ? undefined : ring.sum / ring.weight;
  }

  /** Every rule that fires for `instrument` at `nowMs`, and the combined decision. */
  decide(instrument: string, nowMs: number): Decision {
    checkTime(nowMs);
    const s = this.state(instrument);
    const key = this.underlyingOf(instrument);
    const u = this.underlying(key);
    const hits: RuleHit[] = [];
    const c = this.config;
    const cancel = (rule: RuleName, sides: Sides, cooldownMs: number | undefined, reason: string): void => {
      const until = cooldownMs !== undefined && cooldownMs > 0 ? nowMs + cooldownMs : undefined;
      hits.push(
        until === undefined
          ? { rule, action: 'cancel', sides, reason }
          : { rule, action: 'cancel', sides, untilMs: until, reason },
      );
      if (until !== undefined) {
        for (const side of sides === 'both' ? (['bid', 'ask'] as const) : [sides]) {
          if (until > s.pulled[side]) {
            s.pulled[side] = until;
            s.pulled.reason[side] = `${rule}: ${reason}`;
          }
        }
      }
    };
    const move = (rule: RuleName, config: ActionConfig, reason: string): void => {
      if ((config.action ?? 'requote') === 'cancel') cancel(rule, 'both', config.cooldownMs, reason);
      else hits.push({ rule, action: 'requote', sides: 'both', reason });
    };

    // (g) windows
    for (const w of c.windows ?? []) {
      if (
        nowMs >= w.startMs &&
        nowMs < w.endMs &&
        (w.instruments === undefined || w.instruments.includes(instrument))
      )
        cancel('window', 'both', undefined, `${w.label}: quoting off from ${w.startMs} to ${w.endMs}`);
    }

    // (f) stale data
    if (c.stale !== undefined) {
      if (s.bookStatus === 'stale') {
        const why = s.staleReason;
        cancel(
          'stale',
          'both',
          c.stale.cooldownMs,
          `book stale${why ? `: ${why.reason} (${why.detail})` : ''}`,
        );
      } else if (s.bookStatus === 'empty') {
        cancel('stale', 'both', c.stale.cooldownMs, 'book empty (no snapshot yet)');
      }
      const ownUpdate = Math.max(s.lastUpdateMs, this.underlyings.get(instrument)?.lastUpdateMs ?? -Infinity);
      const updates: [string, number][] = [[instrument, ownUpdate]];
      if (key !== instrument) updates.push([key, u.lastUpdateMs]);
      for (const [name, last] of updates) {
        const age = nowMs - last;
        if (reaches(age, c.stale.maxAgeMs))
          cancel(
            'stale',
            'both',
            c.stale.cooldownMs,
            Number.isFinite(age)
              ? `no update of ${name} for ${age} ms (max ${c.stale.maxAgeMs})`
              : `no update of ${name} yet`,
          );
      }
    }

    // (a) underlying moved since the quote
    const q = s.quote;
    if (c.underlying !== undefined && q !== undefined && q.mid !== undefined && u.mid !== undefined) {
      const diff = Math.abs(u.mid - q.mid);
      const bps = (diff / q.mid) * 1e4;
      const r = c.underlying;
      if (r.maxMoveBps !== undefined && reaches(bps, r.maxMoveBps))
        move('underlying_moved', r, `mid ${q.mid} -> ${u.mid}: ${bps} bps >= ${r.maxMoveBps}`);
      else if (r.maxMoveTicks !== undefined && reaches(diff / (r.tickSize as number), r.maxMoveTicks))
        move(
          'underlying_moved',
          r,
          `mid ${q.mid} -> ${u.mid}: ${diff / (r.tickSize as number)} ticks >= ${r.maxMoveTicks}`,
        );
    }

    // (b) surface moved since the quote
    if (c.surface !== undefined && q !== undefined) {
      const r = c.surface;
      if (r.maxAtmVolPoints !== undefined && q.atmVol !== undefined && u.atmVol !== undefined) {
        const points = Math.abs(u.atmVol - q.atmVol) * 100;
        if (reaches(points, r.maxAtmVolPoints))
          move(
            'surface_moved',
            r,
            `ATM vol ${q.atmVol} -> ${u.atmVol}: ${points} vol points >= ${r.maxAtmVolPoints}`,
          );
      }
      if (r.maxVolPoints !== undefined && q.vol !== undefined && s.vol !== undefined) {
        const points = Math.abs(s.vol - q.vol) * 100;
        if (reaches(points, r.maxVolPoints))
          move('surface_moved', r, `vol ${q.vol} -> ${s.vol}: ${points} vol points >= ${r.maxVolPoints}`);
      }
    }

    // (c) book imbalance
    if (
      c.imbalance !== undefined &&
      s.imbalance !== undefined &&
      reaches(Math.abs(s.imbalance), c.imbalance.threshold)
    ) {
      const side: QuoteSide = s.imbalance > 0 ? 'ask' : 'bid';
      cancel(
        'imbalance',
        side,
        c.imbalance.cooldownMs,
        `imbalance ${s.imbalance} beyond ${c.imbalance.threshold}: ${side === 'ask' ? 'bids' : 'asks'} outweigh, pull the ${side}s`,
      );
    }

    // (d) toxic flow: markouts
    const own = this.underlyings.get(instrument);
    if (own !== undefined) this.resolve(instrument, own, nowMs, true);
    (c.markouts ?? []).forEach((rule, i) => {
      for (const side of ['bid', 'ask'] as const) {
        const mean = this.markout(instrument, side, i);
        if (mean !== undefined && mean <= rule.threshold + TOLERANCE * Math.max(1, Math.abs(rule.threshold)))
          cancel(
            'markout',
            side,
            rule.cooldownMs,
            `mean ${rule.horizonMs} ms markout of the last ${rule.fills} ${side} fills ${mean} per unit <= ${rule.threshold}`,
          );
      }
    });

    // (d) toxic flow: VPIN
    if (c.vpin !== undefined && u.vpin !== undefined) {
      const value = u.vpin.value;
      if (value !== undefined && reaches(value, c.vpin.threshold)) {
        const net = u.vpin.net;
        const sides: Sides = c.vpin.oneSided && net !== 0 ? (net > 0 ? 'ask' : 'bid') : 'both';
        cancel('vpin', sides, c.vpin.cooldownMs, `VPIN ${value} >= ${c.vpin.threshold} (net flow ${net})`);
      }
    }

    // (e) burst of own fills
    if (c.fillBurst !== undefined) {
      const r = c.fillBurst;
      const cutoff = nowMs - r.windowMs;
      for (const queue of [s.fillsBid, s.fillsAsk, s.volumeBid, s.volumeAsk]) queue.expire(cutoff);
      const over = (fills: number, volume: number): string | undefined =>
        r.maxFills !== undefined && fills > r.maxFills
          ? `${fills} fills > ${r.maxFills}`
          : r.maxVolume !== undefined && volume > r.maxVolume * (1 + TOLERANCE)
            ? `volume ${volume} > ${r.maxVolume}`
            : undefined;
      const bid = over(s.fillsBid.count, s.volumeBid.total);
      const ask = over(s.fillsAsk.count, s.volumeAsk.total);
      const window = `within ${r.windowMs} ms`;
      if (bid !== undefined) cancel('fill_burst', 'bid', r.cooldownMs, `${bid} on the bid ${window}`);
      if (ask !== undefined) cancel('fill_burst', 'ask', r.cooldownMs, `${ask} on the ask ${window}`);
      if (bid === undefined && ask === undefined && r.oneSided !== true) {
        const both = over(s.fillsBid.count + s.fillsAsk.count, s.volumeBid.total + s.volumeAsk.total);
        if (both !== undefined) cancel('fill_burst', 'both', r.cooldownMs, `${both} on both sides ${window}`);
      }
    }

    // Cool-downs still running from earlier cancels.
    for (const side of ['bid', 'ask'] as const) {
      const until = s.pulled[side];
      if (
        nowMs < until &&
        !hits.some((h) => h.action === 'cancel' && h.untilMs === until && covers(h.sides, side))
      )
        hits.push({
          rule: 'cooldown',
          action: 'cancel',
          sides: side,
          untilMs: until,
          reason: `cool-down after ${s.pulled.reason[side]}`,
        });
    }

    return combine(hits);
  }

  private state(instrument: string): InstrumentState {
    let s = this.instruments.get(instrument);
    if (s === undefined) {
      s = {
        lastUpdateMs: Number.NEGATIVE_INFINITY,
        markouts: (this.config.markouts ?? []).map((rule) => ({
          pending: [],
          head: 0,
          bid: new Ring(rule.fills),
          ask: new Ring(rule.fills),
        })),
        fillsBid: new TimedQueue(),
        fillsAsk: new TimedQueue(),
        volumeBid: new TimedQueue(),
        volumeAsk: new TimedQueue(),
        pulled: {
          bid: Number.NEGATIVE_INFINITY,
          ask: Number.NEGATIVE_INFINITY,
          reason: { bid: '', ask: '' },
        },
      };
      this.instruments.set(instrument, s);
    }
    return s;
  }

  private underlying(key: string): UnderlyingState {
    let u = this.underlyings.get(key);
    if (u === undefined) {
      u = { lastUpdateMs: Number.NEGATIVE_INFINITY };
      this.underlyings.set(key, u);
    }
    return u;
  }

  /**
   * Resolves the fills of `instrument` due by `timeMs` against its own current mid (`u`, the
   * mids fed under the instrument's name; a late fill due before the last mid takes the current):
   * `inclusive` takes those due at `timeMs` too (the mid then prevails); otherwise only those due
   * strictly before (the current mid prevailed until `timeMs`).
   */
  private resolve(instrument: string, u: UnderlyingState, timeMs: number, inclusive: boolean): void {
    const s = this.instruments.get(instrument);
    if (s === undefined || u.mid === undefined) return;
    const mid = u.mid;
    for (const m of s.markouts) {
      while (m.head < m.pending.length) {
        const fill = m.pending[m.head] as PendingFill;
        if (inclusive ? fill.dueMs > timeMs : fill.dueMs >= timeMs) break;
        const markout = fill.side === 'bid' ? mid - fill.price : fill.price - mid;
        m[fill.side].push(markout * fill.size, fill.size);
        m.head += 1;
      }
      if (m.head > 64 && m.head * 2 > m.pending.length) {
        m.pending = m.pending.slice(m.head);
        m.head = 0;
      }
    }
  }
}

function covers(sides: Sides, side: QuoteSide): boolean {
  return sides === 'both' || sides === side;
}

/** Cancel beats requote beats keep; the cancels' sides are merged. */
function combine(hits: RuleHit[]): Decision {
  const cancels = hits.filter((h) => h.action === 'cancel');
  if (cancels.length > 0) {
    const bid = cancels.some((h) => covers(h.sides, 'bid'));
    const ask = cancels.some((h) => covers(h.sides, 'ask'));
    const sides: Sides = bid && ask ? 'both' : bid ? 'bid' : 'ask';
    const untils = cancels.map((h) => h.untilMs).filter((t): t is number => t !== undefined);
    return untils.length > 0
      ? { action: 'cancel', sides, untilMs: Math.max(...untils), hits }
      : { action: 'cancel', sides, hits };
  }
  if (hits.length > 0) return { action: 'requote', hits };
  return { action: 'keep', hits };
}
