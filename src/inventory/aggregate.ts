/**
 * Greeks of the book: the whole book in USD, and per underlying coin its total and its buckets
 * by expiry, by strike and by delta, in coin and in USD. Definitions and units are those of
 * `valuation.ts` (delta is the coin P&L per unit relative move: premium-adjusted for inverse
 * options, the coin position `n / F` for inverse futures; the venue's portfolio delta).
 *
 * - Coin figures are in the underlying's coin (the settlement coin of inverse instruments).
 * - USD figures are the coin figures times the underlying's spot index, the way the venue
 *   displays USD next to coin; the index, not the forward, so that one coin of P&L is worth
 *   the same in every expiry. The whole-book total is in USD only (coins do not add up).
 * - Time-weighted vega: vega × sqrt(30 / days to expiry), beside plain vega: a vega at 30 days
 *   counts as is, shorter expiries' vega more (their vol moves more), longer ones' less.
 *
 * Buckets (every position falls in exactly one bucket of each kind, so each kind sums to the
 * underlying's total):
 * - expiry: the expiry date (`2020-06-26`, expiries are at 08:00 UTC), `PERPETUAL` for the
 *   perpetual; sorted by time, the perpetual first.
 * - strike: options by K / F (strike over the forward of their expiry), in the bands set by
 *   `strikeEdges` (default 0.8, 0.9, 0.95, 1.05, 1.1, 1.2: `<0.8`, `0.8-0.9`, ..., `>=1.2`;
 *   a band holds its lower edge); futures and perpetuals in `no strike`.
 * - delta: options by the Black delta of the call of the same strike and expiry, N(d1) in
 *   (0, 1) (a put of call-delta 0.75 is the "25-delta put"), in the bands set by `deltaEdges`
 *   (default 0.1, 0.25, 0.4, 0.6, 0.75, 0.9); futures and perpetuals in `delta one`.
 *
 * The per-option loop allocates nothing: buckets are slots of one accumulator array sized
 * when the aggregator is built.
 */
import { InputError } from '../model/errors.js';
import { BookValuation, type BookPosition, type MarketState } from './valuation.js';

/** Greeks of a set of positions, in one currency (coin or USD); see `valuation.ts`. */
export interface Greeks {
  /** Options' mark value (futures and perpetuals count 0). */
  value: number;
  /** Premium-adjusted delta (the venue's portfolio delta): P&L per unit relative move. */
  delta: number;
  /** Not premium-adjusted: contracts × Black delta for options, as `delta` for futures. */
  blackDelta: number;
  /** F² d²V/dF²: a relative move r earns `delta r + gamma r² / 2`. */
  gamma: number;
  /** Per vol point. */
  vega: number;
  /** vega × sqrt(30 / days to expiry), per vol point. */
  timeWeightedVega: number;
  /** Per day. */
  theta: number;
  /** Change of `delta` per vol point. */
  vanna: number;
  /** Per vol point squared. */
  volga: number;
}

/** One bucket (or a total): its greeks in coin and USD and how many positions it holds. */
export interface GreekBucket {
  key: string;
  positions: number;
  coin: Greeks;
  usd: Greeks;
}

/** One underlying's greeks: total and buckets. */
export interface UnderlyingGreeks {
  coin: string;
  indexUsd: number;
  total: GreekBucket;
  byExpiry: GreekBucket[];
  byStrike: GreekBucket[];
  byDelta: GreekBucket[];
}

/** The book's greeks at one market state. */
export interface BookGreeks {
  timeMs: number;
  /** The whole book in USD. */
  totalUsd: Greeks;
  positions: number;
  byUnderlying: UnderlyingGreeks[];
}

/** Bucket edges (ascending, positive). */
export interface BucketOptions {
  strikeEdges?: readonly number[];
  deltaEdges?: readonly number[];
}

export const DEFAULT_STRIKE_EDGES: readonly number[] = [0.8, 0.9, 0.95, 1.05, 1.1, 1.2];
export const DEFAULT_DELTA_EDGES: readonly number[] = [0.1, 0.25, 0.4, 0.6, 0.75, 0.9];
export const NO_STRIKE_BUCKET = 'no strike';
export const DELTA_ONE_BUCKET = 'delta one';
export const PERPETUAL_BUCKET = 'PERPETUAL';

/** The fields of `Greeks`, in their documented order. */
export const GREEK_FIELDS = [
  'value',
  'delta',
  'blackDelta',
  'gamma',
  'vega',
  'timeWeightedVega',
  'theta',
  'vanna',
  'volga',
] as const satisfies readonly (keyof Greeks)[];
const FIELDS = GREEK_FIELDS;
const F = FIELDS.length;
/** Per slot: F coin sums, F USD sums, then the position count. */
const STRIDE = 2 * F + 1;

interface UnderlyingLayout {
  coin: string;
  /** Slot of the total. */
  total: number;
  expiryKeys: string[];
  /** First slot of expiry, strike and delta buckets. */
  expiry: number;
  strike: number;
  delta: number;
}

/**
 * Aggregates a fixed book at any number of market states. Builds the valuation's columns and
 * the bucket accumulator once; `aggregate(market)` reuses them.
 */
export class BookAggregator {
  readonly valuation: BookValuation;
  private readonly strikeEdges: readonly number[];
  private readonly deltaEdges: readonly number[];
  private readonly layouts: UnderlyingLayout[];
  /** Per position: index of its underlying's layout and its expiry slot. */
  private readonly layoutOf: Int32Array;
  private readonly expirySlot: Int32Array;
  private readonly acc: Float64Array;

  constructor(book: readonly BookPosition[], options: BucketOptions = {}) {
    this.strikeEdges = checkEdges('strikeEdges', options.strikeEdges ?? DEFAULT_STRIKE_EDGES);
    this.deltaEdges = checkEdges('deltaEdges', options.deltaEdges ?? DEFAULT_DELTA_EDGES);
    this.valuation = new BookValuation(book);
    const positions = this.valuation.positions;
    const coins = [...new Set(positions.map((p) => p.coin))].sort();
    const strikeCount = this.strikeEdges.length + 2;
    const deltaCount = this.deltaEdges.length + 2;
    let next = 0;
    this.layouts = coins.map((coin) => {
      const mine = positions.filter((p) => p.coin === coin);
      const expiryKeys = [...new Set(mine.map((p) => p.expiryMs ?? -1))].sort((a, b) => a - b).map(expiryKey);
      const layout: UnderlyingLayout = {
        coin,
        total: next,
        expiryKeys,
        expiry: next + 1,
        strike: next + 1 + expiryKeys.length,
        delta: next + 1 + expiryKeys.length + strikeCount,
      };
      next = layout.delta + deltaCount;
      return layout;
    });
    this.layoutOf = new Int32Array(positions.length);
    this.expirySlot = new Int32Array(positions.length);
    positions.forEach((p, i) => {
      const u = coins.indexOf(p.coin);
      const layout = this.layouts[u]!;
      this.layoutOf[i] = u;
      this.expirySlot[i] = layout.expiry + layout.expiryKeys.indexOf(expiryKey(p.expiryMs ?? -1));
    });
    this.acc = new Float64Array(next * STRIDE);
  }

  /** The book's greeks at `market`; throws `InputError` as `BookValuation.evaluate`. */
  aggregate(market: MarketState): BookGreeks {
    const c = this.valuation.evaluate(market);
    const acc = this.acc;
    acc.fill(0);
    const positions = this.valuation.positions;
    for (let i = 0; i < positions.length; i++) {
      const layout = this.layouts[this.layoutOf[i]!]!;
      const isOption = positions[i]!.kind === 'option';
      const strikeSlot =
        layout.strike +
        (isOption
          ? band(this.strikeEdges, positions[i]!.strike! / c.forward[i]!)
          : this.strikeEdges.length + 1);
      const deltaSlot =
        layout.delta + (isOption ? band(this.deltaEdges, c.callDelta[i]!) : this.deltaEdges.length + 1);
      const days = c.days[i]!;
      const weight = isOption ? Math.sqrt(30 / days) : 0;
      this.accumulate(layout.total, i, weight);
      this.accumulate(this.expirySlot[i]!, i, weight);
      this.accumulate(strikeSlot, i, weight);
      this.accumulate(deltaSlot, i, weight);
    }
    const byUnderlying = this.layouts.map((layout): UnderlyingGreeks => {
      const strikeKeys = [...bandKeys(this.strikeEdges), NO_STRIKE_BUCKET];
      const deltaKeys = [...bandKeys(this.deltaEdges), DELTA_ONE_BUCKET];
      return {
        coin: layout.coin,
        indexUsd: market.underlyings[layout.coin]!.indexUsd,
        total: this.bucket(layout.total, 'total'),
        byExpiry: layout.expiryKeys.map((key, j) => this.bucket(layout.expiry + j, key)),
        byStrike: strikeKeys.map((key, j) => this.bucket(layout.strike + j, key)),
        byDelta: deltaKeys.map((key, j) => this.bucket(layout.delta + j, key)),
      };
    });
    const totalUsd = zeroGreeks();
    for (const u of byUnderlying) for (const f of FIELDS) totalUsd[f] += u.total.usd[f];
    return { timeMs: market.timeMs, totalUsd, positions: positions.length, byUnderlying };
  }

  /** Adds position i's greeks (coin, and USD at its index) to a slot. */
  private accumulate(slot: number, i: number, vegaWeight: number): void {
    const c = this.valuation.columns;
    const acc = this.acc;
    const o = slot * STRIDE;
    const index = c.indexUsd[i]!;
    add(acc, o, 0, c.value[i]!, index);
    add(acc, o, 1, c.delta[i]!, index);
    add(acc, o, 2, c.blackDelta[i]!, index);
    add(acc, o, 3, c.gamma[i]!, index);
    add(acc, o, 4, c.vega[i]!, index);
    add(acc, o, 5, c.vega[i]! * vegaWeight, index);
    add(acc, o, 6, c.theta[i]!, index);
    add(acc, o, 7, c.vanna[i]!, index);
    add(acc, o, 8, c.volga[i]!, index);
    acc[o + 2 * F] = acc[o + 2 * F]! + 1;
  }

  private bucket(slot: number, key: string): GreekBucket {
    const o = slot * STRIDE;
    const coin = zeroGreeks();
    const usd = zeroGreeks();
    FIELDS.forEach((f, j) => {
      coin[f] = this.acc[o + j]!;
      usd[f] = this.acc[o + F + j]!;
    });
    return { key, positions: this.acc[o + 2 * F]!, coin, usd };
  }
}

/** The greeks of `book` at `market` (builds a `BookAggregator` for one use). */
export function aggregateGreeks(
  book: readonly BookPosition[],
  market: MarketState,
  options: BucketOptions = {},
): BookGreeks {
  return new BookAggregator(book, options).aggregate(market);
}

function add(acc: Float64Array, o: number, field: number, coin: number, index: number): void {
  acc[o + field] = acc[o + field]! + coin;
  acc[o + F + field] = acc[o + F + field]! + coin * index;
}

/** Which band `x` falls in: 0 below the first edge, edges.length at or above the last. */
function band(edges: readonly number[], x: number): number {
  let j = 0;
  while (j < edges.length && x >= edges[j]!) j++;
  return j;
}

function bandKeys(edges: readonly number[]): string[] {
  const keys = [`<${edges[0]}`];
  for (let j = 1; j < edges.length; j++) keys.push(`${edges[j - 1]}-${edges[j]}`);
  keys.push(`>=${edges[edges.length - 1]}`);
  return keys;
}

function expiryKey(expiryMs: number): string {
  return expiryMs < 0 ? PERPETUAL_BUCKET : new Date(expiryMs).toISOString().slice(0, 10);
}

function checkEdges(field: string, edges: readonly number[]): readonly number[] {
  const ok =
    Array.isArray(edges) &&
    edges.length > 0 &&
    edges.every((e, j) => Number.isFinite(e) && e > 0 && (j === 0 || e > edges[j - 1]!));
  if (!ok) throw new InputError(field, edges, 'a non-empty list of increasing positive numbers');
  return [...edges];
}

function zeroGreeks(): Greeks {
  return {
    value: 0,
    delta: 0,
    blackDelta: 0,
    gamma: 0,
    vega: 0,
    timeWeightedVega: 0,
    theta: 0,
    vanna: 0,
    volga: 0,
  };
}
